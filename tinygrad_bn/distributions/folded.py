"""Distributions of |Y| for Y symmetric about 0 with a scale: the half-normal and the
half-Cauchy. With p, F and H those of Y,

    log p₊(x) = log 2 + log p(x)  (x ≥ 0, −∞ below)
    F₊(x)     = 2F(x) − 1,   F₊⁻¹(q) = F⁻¹((1 + q)/2)
    H₊        = H − log 2,   mode 0

and samples are |y|, reparameterized where Y's are.
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution


class FoldedAtZero(Distribution):
    """|Y| for Y = ``base_family(0, scale)``. PyTorch builds these as TransformedDistributions
    of that family by the absolute value; here each is a family of its own with the same
    ``base_dist``, ``scale``, methods, repr and errors, but no ``transforms``. A subclass
    names ``base_family`` and gives ``mean`` and ``variance``."""

    base_family: type
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        self.base_dist = self.base_family(0, scale, validate_args=False)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    def _validated_parameters(self):
        return {"scale": self.scale}

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mode(self):
        return ops.zeros_like(self.scale.detach())

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape).abs()

    def log_prob(self, value):
        self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return ops.where(value >= 0, log_prob, -math.inf)

    def cdf(self, value):
        self._validate_sample(value, "cdf")
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, value):
        return self.base_dist.icdf((value + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)

    def _expanded_state(self, batch_shape):
        return {"base_dist": self.base_dist.expand(batch_shape)}
