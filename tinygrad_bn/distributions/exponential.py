"""The exponential distribution of rate λ: PyTorch's ``Exponential(rate)``.

    log p(x) = log λ − λx  (x ≥ 0)
    F(x)     = 1 − e^(−λx),    F⁻¹(p) = −log(1 − p)/λ
    H        = 1 − log λ
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.draws import standard_exponential
from tinygrad_bn.distributions.exp_family import ExponentialFamily
from tinygrad_bn.distributions.utils import broadcast_all


class Exponential(ExponentialFamily):
    """Exponential distributions of ``rate`` λ (mean 1/λ); samples are reparameterized
    through the inverse CDF, x = −log(1 − u)/λ.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Exponential(torch.tensor([0.5, 2.0]))
    >>> d.mean.tolist(), d.cdf(torch.tensor([0.0, 0.0])).tolist()
    ([2.0, 0.5], [0.0, 0.0])
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0  # E[log h(X)], h = 1

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return 1 / self.rate

    @property
    def mode(self):
        return ops.zeros_like(self.rate)

    @property
    def stddev(self):
        return 1 / self.rate

    @property
    def variance(self):
        return 1 / self.rate.square()

    def rsample(self, sample_shape=()):
        return standard_exponential(self._extended_shape(sample_shape), self.rate) / self.rate

    def log_prob(self, value):
        self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        self._validate_sample(value, "cdf")
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1 - self.rate.log()

    @property
    def _natural_params(self):
        return (-self.rate,)

    def _log_normalizer(self, x):
        # A(θ) = −log(−θ)
        return -(-x).log()
