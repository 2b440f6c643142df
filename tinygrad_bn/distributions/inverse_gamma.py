"""The inverse gamma distribution: PyTorch's ``InverseGamma(concentration, rate)``, the
law of 1/X for X ~ Gamma(α, β), so a :class:`TransformedDistribution` of a
:class:`Gamma` by the power −1, as in PyTorch.

    log p(y) = α log β − log Γ(α) − (α + 1) log y − β/y   (y > 0)
    H        = α + log β + log Γ(α) − (1 + α) ψ(α)
    mean β/(α − 1) (∞ for α ≤ 1),   mode β/(α + 1),   variance β²/((α − 1)²(α − 2)) (∞ for α ≤ 2)
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.gamma import Gamma
from tinygrad_bn.distributions.transformed_distribution import TransformedDistribution
from tinygrad_bn.distributions.transforms import PowerTransform

__all__ = ["InverseGamma"]


class InverseGamma(TransformedDistribution):
    """Inverse gamma distributions of ``concentration`` α and ``rate`` β, the reciprocals
    of Gamma(α, β) samples; samples are reparameterized, differentiable in both.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.InverseGamma(torch.tensor([0.5, 3.0]), torch.tensor([2.0, 2.0]))
    >>> d.mean.tolist(), d.mode.tolist()
    ([inf, 1.0], [1.3333333730697632, 0.5])
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        base = Gamma(concentration, rate, validate_args=validate_args)
        minus_one = ops.full((), -1.0, dtype=base.rate.dtype, device=base.rate.device)
        super().__init__(base, PowerTransform(minus_one), validate_args=validate_args)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        alpha = self.concentration
        finite = alpha > 1
        alpha = ops.where(finite, alpha, 2.0)  # a stand-in where the mean is ∞
        return ops.where(finite, self.rate / (alpha - 1), math.inf)

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        alpha = self.concentration
        finite = alpha > 2
        alpha = ops.where(finite, alpha, 3.0)  # a stand-in where the variance is ∞
        return ops.where(finite, self.rate.square() / ((alpha - 1).square() * (alpha - 2)), math.inf)

    def entropy(self):
        alpha = self.concentration
        return alpha + self.rate.log() + alpha.lgamma() - (1 + alpha) * alpha.digamma()
