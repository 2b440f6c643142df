"""The generalized Pareto distribution of location μ, scale σ and concentration ξ:
PyTorch's ``GeneralizedPareto(loc, scale, concentration)``. With z = (x − μ)/σ,

    log p(x) = −log σ − (1/ξ + 1) log(1 + ξz)     (ξ ≠ 0),   −log σ − z   (ξ = 0)
    log S(x) = −log(1 + ξz)/ξ                      (ξ ≠ 0),   −z           (ξ = 0)
    F⁻¹(u)   = μ + σ·((1 − u)^(−ξ) − 1)/ξ           (ξ ≠ 0),   μ − σ log(1 − u)
    H        = log σ + ξ + 1
    mean μ + σ/(1 − ξ) (ξ < 1),   variance σ²/((1 − ξ)²(1 − 2ξ)) (ξ < 1/2),   mode μ

S = 1 − F the survival function. The support is [μ, ∞) for ξ ≥ 0 and [μ, μ − σ/ξ] for
ξ < 0. As in PyTorch, ξ counts as 0 where ``isclose(ξ, 0)``.
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import uniform
from tinygrad_bn.distributions.utils import broadcast_all

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """Generalized Pareto distributions of ``loc`` μ, ``scale`` σ and ``concentration`` ξ:
    an Exponential for ξ = 0, a Pareto for ξ > 0 and μ = σ/ξ, a Uniform for ξ = −1;
    samples are reparameterized through the inverse CDF.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.GeneralizedPareto(0.0, 1.0, torch.tensor([-0.5, 0.0, 0.5]))
    >>> d.support.upper_bound.tolist(), d.mean.tolist(), d.entropy().tolist()
    ([2.0, inf, inf], [0.6666666865348816, 1.0, 2.0], [0.5, 1.0, 1.5])
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def support(self):
        xi = self.concentration
        negative = xi < 0
        safe_xi = ops.where(negative, xi, -1.0)  # a stand-in where the support has no upper end
        return constraints.interval(self.loc, ops.where(negative, self.loc - self.scale / safe_xi, math.inf))

    def _zero_and_safe(self):
        """Where ξ counts as 0, and ξ with 1 there, so that 1/ξ stays finite."""
        xi = self.concentration
        at_zero = ops.isclose(xi, ops.zeros_like(xi))
        return at_zero, ops.where(at_zero, 1.0, xi)

    def _z(self, value):
        return (value - self.loc) / self.scale

    def log_prob(self, value):
        self._validate_sample(value)
        z = self._z(value)
        at_zero, xi = self._zero_and_safe()
        power = 1 / xi + 1
        # (1/ξ + 1) log(1 + ξz), and 0 where 1/ξ + 1 = 0 (ξ = −1, uniform), also at the upper end
        tail = ops.where(power == 0, 0.0, power * (xi * z).log1p())
        return -self.scale.log() - ops.where(at_zero, z, tail)

    def log_survival_function(self, value):
        """log(1 − F(value))."""
        self._validate_sample(value)
        z = self._z(value)
        at_zero, xi = self._zero_and_safe()
        return ops.where(at_zero, -z, -(xi * z).log1p() / xi)

    def log_cdf(self, value):
        """log F(value)."""
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        at_zero, xi = self._zero_and_safe()
        log_u = (-value).log1p()  # log(1 − u)
        return ops.where(at_zero, self.loc - self.scale * log_u, self.loc + self.scale / xi * (-xi * log_u).expm1())

    def rsample(self, sample_shape=()):
        return self.icdf(uniform(self._extended_shape(sample_shape), self.loc))

    @property
    def mean(self):
        finite = self.concentration < 1
        xi = ops.where(finite, self.concentration, 0.5)  # a stand-in where the mean is NaN
        return ops.where(finite, self.loc + self.scale / (1 - xi), math.nan)

    @property
    def variance(self):
        finite = self.concentration < 0.5
        xi = ops.where(finite, self.concentration, 0.25)  # a stand-in where the variance is NaN
        return ops.where(finite, self.scale.square() / ((1 - xi).square() * (1 - 2 * xi)), math.nan)

    @property
    def mode(self):
        return self.loc

    def entropy(self):
        return (self.scale.log() + self.concentration + 1).broadcast_to(self.batch_shape)
