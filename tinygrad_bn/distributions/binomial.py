"""The binomial distribution of the successes in n trials that succeed with probability
p: PyTorch's ``Binomial(total_count=1, probs=None, logits=None)``.

With ℓ the log-odds of p, and softplus(ℓ) = log(1 + e^ℓ) = −log(1 − p):

    log p(k) = kℓ − n·softplus(ℓ) + log Γ(n + 1) − log Γ(k + 1) − log Γ(n − k + 1)
    H        = −Σₖ p(k) log p(k) over k = 0..n (one n for the whole batch)
    mean np,   mode ⌊(n + 1)p⌋ (at most n),   variance np(1 − p)
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.autograd import no_grad
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import uniform
from tinygrad_bn.distributions.utils import (
    BinaryProbabilities,
    softplus,
)


class Binomial(BinaryProbabilities, Distribution):
    """Binomial distributions of ``total_count`` n trials (held in the parameter's dtype)
    of success probability ``probs`` (or σ(``logits``)); samples are counts in that dtype,
    drawn outside the graph as the sum of n Bernoulli draws (so in memory proportional
    to the largest n).

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Binomial(4, torch.tensor([0.5, 0.25]))
    >>> d.mean.tolist(), d.mode.tolist(), [round(p, 4) for p in d.log_prob(torch.tensor([2.0, 0.0])).exp().tolist()]
    ([2.0, 1.0], [2.0, 1.0], [0.375, 0.3164])
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        super().__init__(self._counted(total_count, probs, logits), validate_args=validate_args)

    @property
    def _param(self):
        return self.__dict__["probs"] if "probs" in self.__dict__ else self.__dict__["logits"]

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def _common_total_count(self, method: str) -> int:
        total_count = int(self.total_count.max().item())
        if self.total_count.min().item() != total_count:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{method}`.")
        return total_count

    def enumerate_support(self, expand=True):
        """0, 1, ..., n in the parameter's dtype along a new first axis (one n for the batch)."""
        total_count = self._common_total_count("enumerate_support")
        param = self._param
        values = ops.arange(1 + total_count, dtype=param.dtype, device=param.device)
        values = values.reshape(-1, *(1,) * len(self.batch_shape))
        return values.broadcast_to((1 + total_count, *self.batch_shape)) if expand else values

    def sample(self, sample_shape=()):
        with no_grad():
            shape = self._extended_shape(sample_shape)
            probs, total_count = self.probs.detach(), self.total_count.detach()
            trials = int(total_count.max().item()) if total_count.numel() else 0
            u = uniform((*shape, trials), probs)
            index = ops.arange(trials, dtype=probs.dtype, device=probs.device)
            successes = (u < probs.unsqueeze(-1)) & (index < total_count.unsqueeze(-1))
            return successes.astype(probs.dtype).sum(-1)

    def log_prob(self, value):
        self._validate_sample(value)
        n = self.total_count
        log_binomial = (n + 1).lgamma() - (value + 1).lgamma() - (n - value + 1).lgamma()
        return value * self.logits - n * softplus(self.logits) + log_binomial

    def entropy(self):
        self._common_total_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)
