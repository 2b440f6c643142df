"""The negative binomial distribution of the successes before the r-th failure of trials
that succeed with probability p: PyTorch's ``NegativeBinomial(total_count, probs=None,
logits=None)``.

With ℓ the log-odds of p, log σ(ℓ) = log p and log σ(−ℓ) = log(1 − p):

    log p(k) = r log σ(−ℓ) + k log σ(ℓ) + log Γ(r + k) − log Γ(k + 1) − log Γ(r)
    mean r eˡ = rp/(1 − p),   mode ⌊(r − 1) eˡ⌋ (at least 0),   variance mean/(1 − p)

(at r = k = 0 the mass is 1 and the Γ terms are left out). Samples are Poisson draws
of Gamma(r, e^(−ℓ)) rates, a mixture that has this law.
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.autograd import no_grad
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import standard_gamma
from tinygrad_bn.distributions.utils import (
    BinaryProbabilities,
    softplus,
)


class NegativeBinomial(BinaryProbabilities, Distribution):
    """Negative binomial distributions of ``total_count`` r ≥ 0 failures (any real r, held in
    the parameter's dtype) and success probability ``probs`` in [0, 1) (or σ(``logits``));
    samples are counts in that dtype, drawn outside the graph.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.NegativeBinomial(2.0, torch.tensor([0.5, 0.75]))
    >>> d.mean.tolist(), [round(v, 4) for v in d.variance.tolist()], d.log_prob(torch.tensor([0.0, 0.0])).exp().tolist()
    ([2.0, 6.0], [4.0, 24.0], [0.25, 0.0625])
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        super().__init__(self._counted(total_count, probs, logits), validate_args=validate_args)

    @property
    def param_shape(self):
        return self.batch_shape

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        # mean/(1 − p), 1 − p = σ(−ℓ)
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape=()):
        with no_grad():
            shape = self._extended_shape(sample_shape)
            r = self.total_count.detach()
            awaited = r > 0  # λ = 0 where no failure is awaited (r = 0), drawn with r = 1 in its place
            # λ ~ Gamma(r, rate e^(−ℓ)), then k ~ Poisson(λ)
            rate = standard_gamma(ops.where(awaited, r, 1.0), shape) * self.logits.detach().exp()
            rate = ops.where(awaited, rate, 0.0)
            return ops.poisson(rate)

    def log_prob(self, value):
        self._validate_sample(value)
        r, logits = self.total_count, self.logits
        # log σ(−ℓ) = −softplus(ℓ), log σ(ℓ) = −softplus(−ℓ)
        log_unnormalized = -r * softplus(logits) - value * softplus(-logits)
        log_normalizer = (r + value).lgamma() - (value + 1).lgamma() - r.lgamma()
        return log_unnormalized + ops.where(r + value == 0, 0.0, log_normalizer)
