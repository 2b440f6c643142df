"""The Cauchy distribution of location x₀ and scale γ: PyTorch's ``Cauchy(loc, scale)``.

    log p(x) = −log π − log γ − log(1 + ((x − x₀)/γ)²)
    F(x)     = 1/2 + arctan((x − x₀)/γ)/π,   F⁻¹(p) = x₀ + γ tan(π(p − 1/2))
    H        = log(4πγ)
    mean undefined (NaN),   mode x₀,   variance ∞
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import standard_cauchy
from tinygrad_bn.distributions.utils import broadcast_all


class Cauchy(Distribution):
    """Cauchy distributions of ``loc`` x₀ and ``scale`` γ; samples are reparameterized
    through the inverse CDF. The mean (NaN) and variance (∞) carry no gradient.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Cauchy(1.0, 2.0)
    >>> d.cdf(torch.tensor(3.0)).item(), d.mean.item(), d.variance.item()
    (0.75, nan, inf)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return ops.full_like(self.loc.detach(), math.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return ops.full_like(self.loc.detach(), math.inf)

    def rsample(self, sample_shape=()):
        return self.loc + standard_cauchy(self._extended_shape(sample_shape), self.loc) * self.scale

    def log_prob(self, value):
        self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - ((value - self.loc) / self.scale).square().log1p()

    def cdf(self, value):
        self._validate_sample(value, "cdf")
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value):
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
