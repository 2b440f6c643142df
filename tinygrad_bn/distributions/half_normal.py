"""The half-normal distribution, of |Y| with Y ~ N(0, σ²): PyTorch's ``HalfNormal(scale)``.

    log p(x) = log 2 + log N(x; 0, σ²)  (x ≥ 0, −∞ below)
    F(x)     = 2Φ(x/σ) − 1,   F⁻¹(p) = σΦ⁻¹((1 + p)/2)
    H        = H(N(0, σ²)) − log 2
    mean σ√(2/π),   mode 0,   variance σ²(1 − 2/π)
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.normal import Normal


class HalfNormal(Distribution):
    """Half-normal distributions of ``scale`` σ; samples are reparameterized, x = σ|ε|.
    PyTorch builds it as a TransformedDistribution of ``Normal(0, scale)`` by the
    absolute value; here it is a family of its own with the same ``base_dist``, ``scale``,
    methods, repr and errors, but no ``transforms``.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.HalfNormal(torch.tensor(2.0))
    >>> round(d.mean.item(), 6), d.mode.item(), round(d.cdf(torch.tensor(0.0)).item(), 6)
    (1.595769, 0.0, 0.0)
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        self.base_dist = Normal(0, scale, validate_args=False)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    def _validated_parameters(self):
        return {"scale": self.scale}

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self):
        return ops.zeros_like(self.scale.detach())

    @property
    def variance(self):
        return self.scale.square() * (1 - 2 / math.pi)

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
