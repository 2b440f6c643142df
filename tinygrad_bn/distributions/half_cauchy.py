"""The half-Cauchy distribution, of |Y| with Y ~ Cauchy(0, γ): PyTorch's ``HalfCauchy(scale)``.

    log p(x) = log 2 + log Cauchy(x; 0, γ)  (x ≥ 0, −∞ below)
    F(x)     = 2F_Cauchy(x) − 1,   F⁻¹(p) = F⁻¹_Cauchy((1 + p)/2)
    H        = H(Cauchy(0, γ)) − log 2
    mean ∞,   mode 0,   variance ∞
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.cauchy import Cauchy
from tinygrad_bn.distributions.distribution import Distribution


class HalfCauchy(Distribution):
    """Half-Cauchy distributions of ``scale`` γ; samples are reparameterized, x = |γ tan(π(u − 1/2))|.
    PyTorch builds it as a TransformedDistribution of ``Cauchy(0, scale)`` by the absolute
    value; here it is a family of its own with the same ``base_dist``, ``scale``, methods,
    repr and errors, but no ``transforms``.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.HalfCauchy(torch.tensor(2.0))
    >>> round(d.cdf(torch.tensor(2.0)).item(), 6), d.mean.item(), d.mode.item()
    (0.5, inf, 0.0)
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        self.base_dist = Cauchy(0, scale, validate_args=False)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    def _validated_parameters(self):
        return {"scale": self.scale}

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return ops.full_like(self.scale.detach(), math.inf)

    @property
    def mode(self):
        return ops.zeros_like(self.scale.detach())

    @property
    def variance(self):
        return ops.full_like(self.scale.detach(), math.inf)

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
