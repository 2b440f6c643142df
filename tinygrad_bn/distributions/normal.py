"""The normal distribution N(μ, σ²): PyTorch's ``Normal(loc, scale)``.

    log p(x) = −(x − μ)²/(2σ²) − log σ − log √(2π)
    F(x)     = (1 + erf((x − μ)/(σ√2))) / 2
    F⁻¹(p)   = μ + σ√2 · erf⁻¹(2p − 1)
    H        = 1/2 + log √(2π) + log σ
"""

from __future__ import annotations

import math

from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.draws import standard_normal
from tinygrad_bn.distributions.exp_family import ExponentialFamily
from tinygrad_bn.distributions.utils import broadcast_all
from tinygrad_bn.ops import erfinv

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class Normal(ExponentialFamily):
    """Normal distributions of means ``loc`` and standard deviations ``scale`` (numbers or
    tensors, broadcast together); samples are reparameterized, x = μ + σ·ε.

    >>> import tinygrad_bn as torch
    >>> loc = torch.tensor([0.0, 1.0], requires_grad=True)
    >>> d = torch.distributions.Normal(loc, 2.0)
    >>> d.batch_shape, d.sample((5,)).shape
    ((2,), (5, 2))
    >>> d.log_prob(torch.tensor([0.0, 0.0])).sum().backward()
    >>> loc.grad.tolist()  # −(μ − x)/σ²
    [0.0, -0.25]
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _mean_carrier_measure = 0  # E[log h(X)], h = 1

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
        return self.scale

    @property
    def variance(self):
        return self.scale.square()

    def rsample(self, sample_shape=()):
        epsilon = standard_normal(self._extended_shape(sample_shape), self.loc)
        return self.loc + epsilon * self.scale

    def log_prob(self, value):
        self._validate_sample(value)
        return -(value - self.loc).square() / (2 * self.variance) - self.scale.log() - LOG_SQRT_2PI

    def cdf(self, value):
        self._validate_sample(value, "cdf")
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    def icdf(self, value):
        return self.loc + self.scale * math.sqrt(2) * erfinv(2 * value - 1)

    def entropy(self):
        return 0.5 + LOG_SQRT_2PI + self.scale.log()

    @property
    def _natural_params(self):
        # θ = (μ/σ², −1/(2σ²))
        variance = self.scale.square()
        return self.loc / variance, -0.5 / variance

    def _log_normalizer(self, x, y):
        # A(θ) = −θ₁²/(4θ₂) + ½ log(−π/θ₂)
        return -0.25 * x.square() / y + 0.5 * (-math.pi / y).log()
