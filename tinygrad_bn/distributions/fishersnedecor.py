"""The F distribution of d₁ and d₂ degrees of freedom: PyTorch's
``FisherSnedecor(df1, df2)``, the law of (X₁/d₁)/(X₂/d₂) for X₁ ~ χ²(d₁), X₂ ~ χ²(d₂),
drawn as the ratio of Gamma(d₁/2, d₁) and Gamma(d₂/2, d₂) samples.

    log p(x) = log Γ((d₁ + d₂)/2) − log Γ(d₁/2) − log Γ(d₂/2)
               + (d₁/2) log(d₁/d₂) + (d₁/2 − 1) log x − ((d₁ + d₂)/2) log(1 + d₁x/d₂)
    mean d₂/(d₂ − 2) (d₂ > 2),   mode (d₁ − 2)/d₁ · d₂/(d₂ + 2) (d₁ > 2),
    variance 2d₂²(d₁ + d₂ − 2)/(d₁(d₂ − 2)²(d₂ − 4)) (d₂ > 4); NaN outside those ranges
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.gamma import Gamma
from tinygrad_bn.distributions.utils import broadcast_all

__all__ = ["FisherSnedecor"]


class FisherSnedecor(Distribution):
    """F distributions of ``df1`` d₁ and ``df2`` d₂ degrees of freedom; samples are
    reparameterized, differentiable in both through the two Gamma samples.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.FisherSnedecor(torch.tensor([4.0, 1.0]), torch.tensor([6.0, 2.0]))
    >>> d.mean.tolist(), d.mode.tolist()
    ([1.5, nan], [0.375, nan])
    """

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(self.df1.shape, validate_args=validate_args)

    def _expanded_state(self, batch_shape):
        return {**super()._expanded_state(batch_shape), "_gamma1": self._gamma1.expand(batch_shape),
                "_gamma2": self._gamma2.expand(batch_shape)}

    @property
    def mean(self):
        finite = self.df2 > 2
        df2 = ops.where(finite, self.df2, 3.0)  # a stand-in where the mean is NaN
        return ops.where(finite, df2 / (df2 - 2), math.nan)

    @property
    def mode(self):
        d1, d2 = self.df1, self.df2
        return ops.where(d1 > 2, (d1 - 2) / d1 * d2 / (d2 + 2), math.nan)

    @property
    def variance(self):
        finite = self.df2 > 4
        d1, d2 = self.df1, ops.where(finite, self.df2, 5.0)  # a stand-in where the variance is NaN
        variance = 2 * d2.square() * (d1 + d2 - 2) / (d1 * (d2 - 2).square() * (d2 - 4))
        return ops.where(finite, variance, math.nan)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        tiny = float(numpy.finfo(self.df1.dtype).tiny)
        x1 = self._gamma1.rsample(sample_shape).reshape(shape)
        x2 = self._gamma2.rsample(sample_shape).reshape(shape).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value):
        self._validate_sample(value)
        half1, half2 = self.df1 * 0.5, self.df2 * 0.5
        ratio = self.df1 / self.df2
        log_normalizer = (half1 + half2).lgamma() - half1.lgamma() - half2.lgamma()
        return (log_normalizer + half1 * ratio.log() + (half1 - 1) * value.log()
                - (half1 + half2) * (ratio * value).log1p())
