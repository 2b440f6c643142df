"""The Gumbel distribution of location μ and scale β: PyTorch's ``Gumbel(loc, scale)``.

With z = (x − μ)/β and γ Euler's constant:

    log p(x) = −log β − z − e^(−z)
    F(x)     = exp(−e^(−z)),   F⁻¹(p) = μ − β log(−log p)
    H        = log β + 1 + γ
    mean μ + βγ,   mode μ,   variance π²β²/6
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import uniform
from tinygrad_bn.distributions.utils import broadcast_all


class Gumbel(Distribution):
    """Gumbel distributions of ``loc`` μ and ``scale`` β, the law of the maximum of many
    light-tailed draws; samples are reparameterized through the inverse CDF. PyTorch
    builds it as a TransformedDistribution of a Uniform; here it is a family of its own
    with the same parameters, methods and repr.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Gumbel(0.0, 1.0)
    >>> round(d.mean.item(), 6), round(d.cdf(torch.tensor(0.0)).item(), 6)  # γ, 1/e
    (0.577216, 0.367879)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc + self.scale * numpy.euler_gamma

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return math.pi / math.sqrt(6) * self.scale

    @property
    def variance(self):
        return self.stddev.square()

    def rsample(self, sample_shape=()):
        return self.icdf(uniform(self._extended_shape(sample_shape), self.loc))

    def log_prob(self, value):
        self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -self.scale.log() - z - (-z).exp()

    def cdf(self, value):
        self._validate_sample(value, "cdf")
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value):
        return self.loc - self.scale * (-value.log()).log()

    def entropy(self):
        return self.scale.log() + (1 + numpy.euler_gamma)
