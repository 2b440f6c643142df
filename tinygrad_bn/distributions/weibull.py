"""The Weibull distribution of scale λ and concentration k: PyTorch's ``Weibull(scale,
concentration)``, the law of λ·E^(1/k) for E ~ Exponential(1), so a
:class:`TransformedDistribution` of it as in PyTorch. With γ Euler's constant:

    log p(x) = log(k/λ) + (k − 1) log(x/λ) − (x/λ)ᵏ   (x > 0)
    F(x)     = 1 − exp(−(x/λ)ᵏ)
    H        = γ(1 − 1/k) + log(λ/k) + 1
    mean λ Γ(1 + 1/k),   mode λ((k − 1)/k)^(1/k),   variance λ²(Γ(1 + 2/k) − Γ(1 + 1/k)²)
"""

from __future__ import annotations

import numpy

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.exponential import Exponential
from tinygrad_bn.distributions.transformed_distribution import TransformedDistribution
from tinygrad_bn.distributions.transforms import AffineTransform, PowerTransform
from tinygrad_bn.distributions.utils import broadcast_all


class Weibull(TransformedDistribution):
    """Weibull distributions of ``scale`` λ and ``concentration`` k; samples are
    reparameterized, x = λ·E^(1/k). For k < 1 the density is unbounded at 0, and the
    mode, computed by the formula as in PyTorch, a negative number to the power 1/k: NaN
    unless 1/k is an integer.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Weibull(torch.tensor([2.0, 1.0]), torch.tensor([1.0, 2.0]))
    >>> d.mean[0].item(), round(d.cdf(torch.tensor([2.0, 1.0]))[1].item(), 6)  # λ at k = 1; 1 − 1/e
    (2.0, 0.632121)
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(ops.ones_like(self.scale.detach()), validate_args=validate_args)
        super().__init__(base, self._transforms(), validate_args=validate_args)

    def _transforms(self):
        # E ↦ E^(1/k) ↦ λ·E^(1/k)
        return [PowerTransform(self.concentration_reciprocal), AffineTransform(0.0, self.scale)]

    def _expanded_state(self, batch_shape):
        expanded = object.__new__(Weibull)
        expanded.scale = self.scale.broadcast_to(batch_shape)
        expanded.concentration = self.concentration.broadcast_to(batch_shape)
        expanded.concentration_reciprocal = expanded.concentration.reciprocal()
        return {**expanded.__dict__, "base_dist": self.base_dist.expand(batch_shape),
                "transforms": expanded._transforms()}

    @property
    def mean(self):
        return self.scale * (1 + self.concentration_reciprocal).lgamma().exp()

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** self.concentration_reciprocal

    @property
    def variance(self):
        k_inv = self.concentration_reciprocal
        return self.scale.square() * ((1 + 2 * k_inv).lgamma().exp() - (2 * (1 + k_inv).lgamma()).exp())

    def entropy(self):
        k_inv = self.concentration_reciprocal
        return numpy.euler_gamma * (1 - k_inv) + (self.scale * k_inv).log() + 1
