"""The log-normal distribution, of X = e^Y with Y ~ N(μ, σ²): PyTorch's ``LogNormal(loc, scale)``.

    log p(x) = log N(log x; μ, σ²) − log x  (x > 0)
    F(x)     = Φ((log x − μ)/σ),   F⁻¹(p) = exp(μ + σΦ⁻¹(p))
    H        = H(N(μ, σ²)) + μ
    mean e^(μ + σ²/2),   mode e^(μ − σ²),   variance (e^(σ²) − 1) e^(2μ + σ²)
"""

from __future__ import annotations

from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.normal import Normal


class LogNormal(Distribution):
    """Log-normal distributions whose logs have means ``loc`` and standard deviations
    ``scale``; samples are reparameterized, x = e^(μ + σε). PyTorch builds it as a
    TransformedDistribution of a Normal by the exp transform; here it is a family of
    its own with the same attributes (``base_dist``, ``loc``, ``scale``), methods,
    repr and errors, but no ``transforms``.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.LogNormal(0.0, 1.0)
    >>> round(d.mean.item(), 6), d.cdf(torch.tensor(1.0)).item(), d
    (1.648721, 0.5, LogNormal())
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.base_dist = Normal(loc, scale, validate_args=validate_args)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    @property
    def loc(self):
        return self.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return (self.loc + self.scale.square() / 2).exp()

    @property
    def mode(self):
        return (self.loc - self.scale.square()).exp()

    @property
    def variance(self):
        variance = self.scale.square()
        return variance.expm1() * (2 * self.loc + variance).exp()

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value):
        self._validate_sample(value)
        y = value.log()
        return self.base_dist.log_prob(y) - y

    def cdf(self, value):
        return self.base_dist.cdf(value.log())  # the Normal validates log x, as in PyTorch

    def icdf(self, value):
        return self.base_dist.icdf(value).exp()

    def entropy(self):
        return self.base_dist.entropy() + self.loc

    def _expanded_state(self, batch_shape):
        return {"base_dist": self.base_dist.expand(batch_shape)}
