"""The Wishart distribution over n × n positive-definite matrices, of ν degrees of freedom
and scale Σ = L Lᵀ: PyTorch's ``Wishart(df, covariance_matrix=None, precision_matrix=None,
scale_tril=None)``, the law of Σₖ xₖxₖᵀ for ν draws xₖ ~ N(0, Σ) when ν is an integer.

    log p(X) = −ν(n/2·log 2 + Σᵢ log Lᵢᵢ) − log Γₙ(ν/2) + (ν − n − 1)/2·log det X − tr(Σ⁻¹X)/2
    H        = (n + 1)(n/2·log 2 + Σᵢ log Lᵢᵢ) + log Γₙ(ν/2) − (ν − n − 1)/2·ψₙ(ν/2) + νn/2
    mean νΣ,   mode (ν − n − 1)Σ (ν > n + 1),   variance ν(Σᵢⱼ² + ΣᵢᵢΣⱼⱼ)

Γₙ the multivariate gamma function and ψₙ(a) = Σᵢ₌₀…ₙ₋₁ ψ(a − i/2) its logarithmic
derivative. Samples are Bartlett's: X = (LA)(LA)ᵀ with A lower-triangular, Aᵢᵢ = √cᵢ for
cᵢ ~ χ²(ν − i + 1) and standard normals below the diagonal, so differentiable in ν and L.
An exponential family, of natural parameters (−Σ⁻¹/2, (ν − n − 1)/2).
"""

from __future__ import annotations

import math
import warnings

import numpy

from tinygrad_bn import linalg, ops
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.chi2 import Chi2
from tinygrad_bn.distributions.corr_cholesky import vec_to_tril_matrix
from tinygrad_bn.distributions.draws import standard_normal
from tinygrad_bn.distributions.exp_family import ExponentialFamily
from tinygrad_bn.distributions.multivariate_normal import ScaleTrilMatrices, _scale_tril_of_precision
from tinygrad_bn.ops.promotion import broadcast_shapes

__all__ = ["Wishart"]

LOG_2 = math.log(2)


def multivariate_digamma(a: Tensor, p: int) -> Tensor:
    """ψₚ(a) = Σᵢ₌₀…ₚ₋₁ ψ(a − i/2), the derivative of log Γₚ(a), for a > (p − 1)/2."""
    if not bool((a > (p - 1) / 2).all()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    halves = ops.arange(p, dtype=a.dtype, device=a.device) / 2
    return (a.unsqueeze(-1) - halves).digamma().sum(-1)


class Wishart(ScaleTrilMatrices, ExponentialFamily):
    """Wishart distributions of ``df`` ν > n − 1 degrees of freedom and scale matrix given as
    one of ``covariance_matrix`` Σ, ``precision_matrix`` Σ⁻¹ or ``scale_tril`` L; samples
    are reparameterized. For n − 1 < ν < n samples are often singular: such draws are drawn
    again, up to ``max_try_correction`` times, with a warning (PyTorch 2.13 warns and draws
    again for every sample, singular or not).

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Wishart(torch.tensor(4.0), covariance_matrix=torch.eye(2))
    >>> d.mean.tolist(), d.mode.tolist(), d.sample((3,)).shape
    ([[4.0, 0.0], [0.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]], (3, 2, 2))
    """

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = {name: m for name, m in (("covariance_matrix", covariance_matrix),
                                         ("precision_matrix", precision_matrix), ("scale_tril", scale_tril))
                 if m is not None}
        if len(given) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        ((name, matrix),) = given.items()
        if matrix.ndim < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        batch_shape, self.df = _batch_and_df(df, matrix)
        n = matrix.shape[-1]
        if bool((self.df <= n - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {n - 1}.")
        setattr(self, name, matrix.broadcast_to(batch_shape + (n, n)))
        if bool((self.df < n).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < "
                          "ndim.", stacklevel=2)
        self._unbroadcasted_scale_tril = _scale_tril(name, matrix)
        super().__init__(batch_shape, (n, n), validate_args=validate_args)
        self._dist_chi2 = self._chi2(self.df)

    def _chi2(self, df):
        """χ²(ν − i) for i = 0 … n − 1: the laws of the squared diagonal of Bartlett's A."""
        n = self.event_shape[-1]
        return Chi2(df.unsqueeze(-1) - ops.arange(n, dtype=df.dtype, device=df.device))

    def _expanded_state(self, batch_shape):
        state = {**super()._expanded_state(batch_shape), "_unbroadcasted_scale_tril": self._unbroadcasted_scale_tril}
        return {**state, "_dist_chi2": self._chi2(state["df"])}

    @property
    def _nu(self):
        """ν with two axes for the matrices."""
        return self.df.unsqueeze(-1).unsqueeze(-1)

    @property
    def mean(self):
        return self._nu * self.covariance_matrix

    @property
    def mode(self):
        factor = self._nu - self.event_shape[-1] - 1
        return ops.where(factor > 0, factor, math.nan) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        diagonal = V.diagonal(dim1=-2, dim2=-1)
        return self._nu * (V.square() + diagonal.unsqueeze(-1) * diagonal.unsqueeze(-2))

    def _bartlett(self, sample_shape):
        """(LA)(LA)ᵀ for a fresh Bartlett factor A."""
        n = self.event_shape[-1]
        eps = float(numpy.finfo(self.df.dtype).eps)
        diagonal = self._dist_chi2.rsample(sample_shape).sqrt().clamp(min=eps)
        below = standard_normal(tuple(sample_shape) + tuple(self.batch_shape) + (n * (n - 1) // 2,), diagonal)
        A = diagonal.diag_embed() + vec_to_tril_matrix(below, diag=-1)
        LA = self._unbroadcasted_scale_tril @ A
        return LA @ LA.swapaxes(-1, -2)

    def rsample(self, sample_shape=(), max_try_correction=None):
        """Bartlett samples; a singular one is drawn again, up to ``max_try_correction``
        (10) times."""
        tries = 10 if max_try_correction is None else max_try_correction
        sample = self._bartlett(sample_shape)
        for attempt in range(tries):
            singular = ~self.support.check(sample)
            if not bool(singular.any()):
                break
            if attempt == 0:
                warnings.warn("Singular sample detected.", stacklevel=2)
            sample = ops.where(singular.unsqueeze(-1).unsqueeze(-1), self._bartlett(sample_shape), sample)
        return sample

    def _half_log_det(self):
        """½ log det Σ = Σᵢ log Lᵢᵢ."""
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        self._validate_sample(value)
        nu, n = self.df, self.event_shape[-1]
        trace = linalg.cholesky_solve(value, self._unbroadcasted_scale_tril).diagonal(dim1=-2, dim2=-1).sum(-1)
        return (-nu * (n * LOG_2 / 2 + self._half_log_det()) - (nu / 2).mvlgamma(n)
                + (nu - n - 1) / 2 * linalg.slogdet(value).logabsdet - trace / 2)

    def entropy(self):
        nu, n = self.df, self.event_shape[-1]
        return ((n + 1) * (n * LOG_2 / 2 + self._half_log_det()) + (nu / 2).mvlgamma(n)
                - (nu - n - 1) / 2 * multivariate_digamma(nu / 2, n) + nu * n / 2)

    @property
    def _natural_params(self):
        return -self.precision_matrix / 2, (self.df - self.event_shape[-1] - 1) / 2

    def _log_normalizer(self, x, y):
        # A(θ) = a·(n log 2 − log det(−2θ₁)) + log Γₙ(a),  a = θ₂ + (n + 1)/2
        n = self.event_shape[-1]
        a = y + (n + 1) / 2
        return a * (n * LOG_2 - linalg.slogdet(-2 * x).logabsdet) + a.mvlgamma(n)


def _batch_and_df(df, matrix) -> tuple:
    """The batch shape of ``df`` with the matrices, and ν broadcast to it in their dtype."""
    if not isinstance(df, Tensor):
        return tuple(matrix.shape[:-2]), ops.full((), float(df), dtype=matrix.dtype, device=matrix.device)
    batch_shape = broadcast_shapes(matrix.shape[:-2], df.shape)
    if batch_shape is None:
        raise ValueError(f"Wishart expects df and matrices of batch shapes that broadcast together, got "
                         f"{tuple(df.shape)} and {tuple(matrix.shape[:-2])}")
    return tuple(batch_shape), df.broadcast_to(batch_shape)


def _scale_tril(name: str, matrix: Tensor) -> Tensor:
    """L with L Lᵀ = Σ, from the matrix given under ``name``."""
    if name == "scale_tril":
        return matrix
    if name == "covariance_matrix":
        return linalg.cholesky(matrix)
    return _scale_tril_of_precision(matrix)
