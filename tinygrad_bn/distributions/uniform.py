"""The continuous uniform distribution on [low, high): PyTorch's ``Uniform(low, high)``.

    log p(x) = −log(high − low) on [low, high), −∞ elsewhere
    F(x)     = (x − low)/(high − low), held within [0, 1]
    H        = log(high − low)
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import uniform
from tinygrad_bn.distributions.utils import broadcast_all


class Uniform(Distribution):
    """Uniform distributions between ``low`` (included) and ``high`` (excluded), numbers
    or tensors broadcast together; samples are reparameterized, x = low + u·(high − low).

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Uniform(torch.tensor([0.0, 1.0]), 3.0)
    >>> d.log_prob(torch.tensor([1.5, 1.5])).exp().tolist(), d.mean.tolist()
    ([0.3333333432674408, 0.5], [1.5, 2.0])
    """

    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, validate_args=validate_args)

    @property
    def arg_constraints(self):
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return ops.full_like(self.high, math.nan)  # every point of the interval is one

    @property
    def stddev(self):
        return (self.high - self.low) / math.sqrt(12)

    @property
    def variance(self):
        return (self.high - self.low).square() / 12

    def rsample(self, sample_shape=()):
        u = uniform(self._extended_shape(sample_shape), self.low)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        self._validate_sample(value)
        inside = (value >= self.low) & (value < self.high)
        return ops.where(inside, -(self.high - self.low).log(), -math.inf)

    def cdf(self, value):
        self._validate_sample(value, "cdf")
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value):
        return self.low + value * (self.high - self.low)

    def entropy(self):
        return (self.high - self.low).log()
