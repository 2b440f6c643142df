"""The geometric distribution of the failures before the first success of trials that
succeed with probability p: PyTorch's ``Geometric(probs=None, logits=None)``.

    log p(k) = k log(1 − p) + log p   (k = 0, 1, 2, ...)
    H        = (softplus(ℓ) − pℓ)/p, ℓ the log-odds of p
    mean 1/p − 1,   mode 0,   variance (1/p − 1)/p
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.autograd import no_grad
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import uniform
from tinygrad_bn.distributions.utils import (
    BinaryProbabilities,
    broadcast_all,
    check_one_of,
    softplus,
)


class Geometric(BinaryProbabilities, Distribution):
    """Geometric distributions of success probability ``probs`` in (0, 1] (or σ(``logits``));
    samples are counts in the parameter's float dtype, ⌊log u / log(1 − p)⌋, drawn
    outside the graph.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Geometric(torch.tensor([0.5, 0.25]))
    >>> d.mean.tolist(), d.log_prob(torch.tensor([1.0, 0.0])).exp().tolist()
    ([1.0, 3.0], [0.25, 0.25])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        check_one_of(probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        given = self.__dict__["probs"] if probs is not None else self.__dict__["logits"]
        super().__init__(given.shape, validate_args=validate_args)
        if self._validate_args and probs is not None and not bool((self.probs > 0).all()):
            raise ValueError(
                f"Expected parameter probs ({type(self.probs).__name__} of shape {tuple(self.probs.shape)}) "
                f"of distribution {self!r} to be positive but found invalid values:\n{self.probs[~(self.probs > 0)]}"
            )

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return ops.zeros_like(self.probs.detach())

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        with no_grad():
            probs = self.probs.detach()
            u = uniform(self._extended_shape(sample_shape), probs)
            return (u.log() / (-probs).log1p()).floor()

    def log_prob(self, value):
        self._validate_sample(value)
        probs = self.probs
        # a certain success at k = 0 has k·log(1 − p) = 0, not 0·(−∞)
        kept = ops.where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-kept).log1p() + probs.log()

    def entropy(self):
        return (softplus(self.logits) - self.probs * self.logits) / self.probs
