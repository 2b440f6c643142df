"""Student's t distribution of ν degrees of freedom, location μ and scale σ: PyTorch's
``StudentT(df, loc=0.0, scale=1.0)``.

    log p(x) = −(ν + 1)/2 · log(1 + y²/ν) − log σ − ½ log(νπ) − log Γ(ν/2) + log Γ((ν + 1)/2),  y = (x − μ)/σ
    H        = log σ + (ν + 1)/2 · (ψ((ν + 1)/2) − ψ(ν/2)) + ½ log ν + log B(ν/2, 1/2)
    mean μ (NaN for ν ≤ 1),   mode μ,   variance σ²ν/(ν − 2) (∞ for 1 < ν ≤ 2, NaN for ν ≤ 1)

Samples are μ + σ·ε·√(ν/z), ε ~ N(0, 1) and z ~ χ²(ν), reparameterized through the
Gamma sample behind the χ², so differentiable in ν as well.
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.chi2 import Chi2
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import standard_normal
from tinygrad_bn.distributions.utils import broadcast_all


class StudentT(Distribution):
    """Student's t distributions of ``df`` ν, ``loc`` μ and ``scale`` σ; samples are
    reparameterized in all three.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.StudentT(torch.tensor([0.5, 1.5, 4.0]))
    >>> d.mean.tolist(), d.variance.tolist()
    ([nan, 0.0, 0.0], [nan, inf, 2.0])
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df, validate_args=validate_args)  # refuses a bad df first, as in PyTorch
        super().__init__(self.df.shape, validate_args=validate_args)

    @property
    def mean(self):
        return ops.where(self.df > 1, self.loc, math.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        finite = self.df > 2
        df = ops.where(finite, self.df, 3.0)  # keeps the unused branch, and its gradient, finite
        return ops.where(finite, self.scale.square() * df / (df - 2), ops.where(self.df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        epsilon = standard_normal(shape, self.df)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * epsilon * (z / self.df).rsqrt()

    def log_prob(self, value):
        self._validate_sample(value)
        y = (value - self.loc) / self.scale
        half_df = 0.5 * self.df
        normalizer = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
                      + half_df.lgamma() - (half_df + 0.5).lgamma())
        return -(half_df + 0.5) * (y.square() / self.df).log1p() - normalizer

    def entropy(self):
        half_df = 0.5 * self.df
        log_beta = half_df.lgamma() + math.lgamma(0.5) - (half_df + 0.5).lgamma()
        return (self.scale.log() + (half_df + 0.5) * ((half_df + 0.5).digamma() - half_df.digamma())
                + 0.5 * self.df.log() + log_beta)

    def _expanded_state(self, batch_shape):
        state = super()._expanded_state(batch_shape)
        state["_chi2"] = self._chi2.expand(batch_shape)
        return state
