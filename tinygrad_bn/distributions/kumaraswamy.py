"""The Kumaraswamy distribution on [0, 1] of concentrations a and b: PyTorch's
``Kumaraswamy(concentration1, concentration0)``, the law of (1 − U^(1/b))^(1/a) for
U ~ Uniform(0, 1), so a :class:`TransformedDistribution` of it as in PyTorch.

    p(x)  = ab·x^(a − 1)·(1 − xᵃ)^(b − 1),   F(x) = 1 − (1 − xᵃ)ᵇ
    E Xⁿ  = b·B(1 + n/a, b)
    H     = (1 − 1/b) + (1 − 1/a)(ψ(b + 1) + γ) − log a − log b
    mode  ((a − 1)/(ab − 1))^(1/a) for a ≥ 1, b ≥ 1 (not both 1)
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.transformed_distribution import TransformedDistribution
from tinygrad_bn.distributions.transforms import AffineTransform, PowerTransform
from tinygrad_bn.distributions.uniform import Uniform
from tinygrad_bn.distributions.utils import broadcast_all

__all__ = ["Kumaraswamy"]


class Kumaraswamy(TransformedDistribution):
    """Kumaraswamy distributions of ``concentration1`` a and ``concentration0`` b, close
    kin of Beta(a, b) with a closed-form CDF; samples are reparameterized.

    The mode is the maximum of the density, ((a − 1)/(ab − 1))^(1/a), where it has one
    inside (0, 1) (a ≥ 1 and b ≥ 1, not both 1), and NaN elsewhere; PyTorch 2.13's mode
    is NaN for every b ≠ 1.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Kumaraswamy(torch.tensor(2.0), torch.tensor(2.0))
    >>> round(d.mean.item(), 6), round(d.mode.item(), 6), round(d.cdf(torch.tensor(0.5)).item(), 6)  # 1 − (3/4)²
    (0.533333, 0.57735, 0.4375)
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        zeros = ops.zeros_like(self.concentration0.detach())
        base = Uniform(zeros, zeros + 1, validate_args=validate_args)
        super().__init__(base, self._transforms(), validate_args=validate_args)

    def _transforms(self):
        # U ↦ U^(1/b) ↦ 1 − U^(1/b) ↦ (1 − U^(1/b))^(1/a)
        return [PowerTransform(self.concentration0.reciprocal()), AffineTransform(1.0, -1.0),
                PowerTransform(self.concentration1.reciprocal())]

    def _expanded_state(self, batch_shape):
        expanded = object.__new__(Kumaraswamy)
        expanded.concentration1 = self.concentration1.broadcast_to(batch_shape)
        expanded.concentration0 = self.concentration0.broadcast_to(batch_shape)
        return {**expanded.__dict__, "base_dist": self.base_dist.expand(batch_shape),
                "transforms": expanded._transforms()}

    def _moment(self, n: int):
        """E Xⁿ = b·B(1 + n/a, b)."""
        a, b = self.concentration1, self.concentration0
        shifted = 1 + n / a
        return b * (shifted.lgamma() + b.lgamma() - (shifted + b).lgamma()).exp()

    @property
    def mean(self):
        return self._moment(1)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        inside = (a >= 1) & (b >= 1) & ((a > 1) | (b > 1))
        safe_a, safe_b = ops.where(inside, a, 2.0), ops.where(inside, b, 2.0)  # stand-ins where there is none
        return ops.where(inside, ((safe_a - 1) / (safe_a * safe_b - 1)) ** safe_a.reciprocal(), math.nan)

    @property
    def variance(self):
        return self._moment(2) - self.mean.square()

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic = (b + 1).digamma() + numpy.euler_gamma  # H_b, the b-th harmonic number
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic - a.log() - b.log()
