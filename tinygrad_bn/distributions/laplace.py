"""The Laplace distribution of location μ and scale b: PyTorch's ``Laplace(loc, scale)``.

    log p(x) = −log(2b) − |x − μ|/b
    F(x)     = 1/2 − sign(x − μ)·(e^(−|x − μ|/b) − 1)/2
    F⁻¹(p)   = μ − b·sign(p − 1/2)·log(1 − 2|p − 1/2|)
    H        = 1 + log(2b)
"""

from __future__ import annotations

import math

from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import uniform
from tinygrad_bn.distributions.utils import broadcast_all


class Laplace(Distribution):
    """Laplace distributions of ``loc`` μ and ``scale`` b (variance 2b²); samples are
    reparameterized through the inverse CDF.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Laplace(0.0, 2.0)
    >>> round(d.log_prob(torch.tensor(2.0)).item(), 6), d.variance.item()  # −log 4 − 1
    (-2.386294, 8.0)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    @property
    def variance(self):
        return 2 * self.scale.square()

    def rsample(self, sample_shape=()):
        return self.icdf(uniform(self._extended_shape(sample_shape), self.loc))

    def log_prob(self, value):
        self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        self._validate_sample(value, "cdf")
        z = (value - self.loc) / self.scale
        return 0.5 - 0.5 * z.sign() * ((-z.abs()).exp() - 1)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()
