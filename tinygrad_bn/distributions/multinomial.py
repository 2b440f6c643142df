"""The multinomial distribution of the counts of K classes in n draws: PyTorch's
``Multinomial(total_count=1, probs=None, logits=None)``, over vectors of K counts that sum
to n (event shape (K,)).

With ℓ the normalized log-probabilities of a :class:`Categorical`, and x the counts:

    log p(x) = log Γ(Σx + 1) − Σᵢ log Γ(xᵢ + 1) + Σᵢ xᵢ ℓᵢ     (xᵢ ℓᵢ = 0 where xᵢ = 0 and ℓᵢ = −∞)
    H        = n·H(Categorical) − log n! + Σᵢ Σₖ Binomial(k; n, pᵢ) log k!   (k = 1..n)
    mean np,   variance np(1 − p)

log_prob reads n from the counts (Σx), as PyTorch's does.
"""

from __future__ import annotations

import math
from numbers import Number

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.binomial import Binomial
from tinygrad_bn.distributions.categorical import Categorical, CategoricalParameters
from tinygrad_bn.distributions.distribution import Distribution


class MultinomialSupport(constraints.Constraint):
    """Vectors of non-negative counts along the last axis whose sum is at most ``upper_bound``
    (integrality is not checked, as PyTorch's ``constraints.multinomial`` does not)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound: int):
        self.upper_bound = upper_bound

    def check(self, value):
        return (value >= 0).all(-1) & (value.sum(-1) <= self.upper_bound)


class Multinomial(CategoricalParameters, Distribution):
    """The counts of the K classes of the last axis of ``probs`` (non-negative weights) or
    ``logits`` in ``total_count`` draws, one n for the whole batch. Samples are counts in
    the dtype of the probabilities, drawn outside the graph as PyTorch draws them: n
    classes from the :class:`Categorical`, then counted (the same counts after the same seed).

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Multinomial(4, torch.tensor([0.25, 0.75]))
    >>> d.event_shape, d.mean.tolist(), d.sample((3,)).sum(-1).tolist()
    ((2,), [1.0, 3.0], [4.0, 4.0, 4.0])
    >>> round(d.log_prob(torch.tensor([1.0, 3.0])).exp().item(), 6)  # 4 · ¼ · (¾)³
    0.421875
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, Number):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    def _expanded_state(self, batch_shape):
        return {"total_count": self.total_count, "_categorical": self._categorical.expand(batch_shape)}

    @property
    def support(self):
        return MultinomialSupport(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        """n classes from the :class:`Categorical` (shape (n, *sample_shape, *batch_shape)),
        counted per class."""
        classes = self._categorical.sample((self.total_count, *sample_shape))
        index = ops.arange(self.event_shape[0], device=classes.device)
        counts = (classes.unsqueeze(-1) == index).astype(self.probs.dtype).sum(0)
        return counts.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        self._validate_sample(value)
        value = ops.as_tensor(value, dtype=self.logits.dtype, device=self.logits.device)
        logits = self.logits
        # 0 · (−∞) = 0: a class of probability 0 counted 0 times adds nothing
        logits = ops.where((value == 0) & (logits == -float("inf")), 0.0, logits)
        log_factorial_n = (value.sum(-1) + 1).lgamma()
        log_factorial_xs = (value + 1).lgamma().sum(-1)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def entropy(self):
        n = self.total_count
        binomial = Binomial(n, self.probs)
        k = binomial.enumerate_support(False)[1:]  # 1..n: log 0! = 0 adds nothing
        weights = (k + 1).lgamma()
        expected_log_factorials = (binomial.log_prob(k).exp() * weights).sum((0, -1))
        return n * self._categorical.entropy() - math.lgamma(n + 1) + expected_log_factorials
