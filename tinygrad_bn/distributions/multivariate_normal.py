"""The multivariate normal distribution N(μ, Σ) over vectors of n numbers: PyTorch's
``MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None, scale_tril=None)``.

Σ is given by one of three matrices, and everything is computed from its Cholesky
factor L (lower triangular, positive diagonal, Σ = L Lᵀ):

    scale_tril         L
    covariance_matrix  Σ = L Lᵀ,            L = cholesky(Σ)
    precision_matrix   P = Σ⁻¹ = L⁻ᵀ L⁻¹,   L = U⁻ᵀ with P = U Uᵀ, U upper triangular

With the Mahalanobis distance M(x) = (x − μ)ᵀ Σ⁻¹ (x − μ) = ‖L⁻¹(x − μ)‖², a triangular
solve and no inverse, and log det Σ = 2 Σᵢ log Lᵢᵢ:

    log p(x) = −½ (n log 2π + M(x)) − Σᵢ log Lᵢᵢ
    H        = ½ n (1 + log 2π) + Σᵢ log Lᵢᵢ
    mean = mode = μ,   variance Σᵢᵢ = Σₖ Lᵢₖ²

Samples are reparameterized, x = μ + L ε with ε ~ N(0, I).
"""

from __future__ import annotations

import math

from tinygrad_bn import linalg
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import standard_normal
from tinygrad_bn.distributions.utils import lazy_property
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.ops import eye
from tinygrad_bn.ops.promotion import broadcast_shapes

MATRICES = ("covariance_matrix", "precision_matrix", "scale_tril")


class ScaleTrilMatrices:
    """``scale_tril`` L, ``covariance_matrix`` Σ = L Lᵀ and ``precision_matrix`` Σ⁻¹ of a
    distribution that holds L as ``_unbroadcasted_scale_tril``, each computed on first use
    (unless given) and broadcast to the batch: MultivariateNormal's, Wishart's."""

    def _matrix(self, matrix):
        """A matrix of the distribution broadcast to ``batch_shape + (n, n)``."""
        n = self._unbroadcasted_scale_tril.shape[-1]
        return matrix.broadcast_to(self.batch_shape + (n, n))

    @lazy_property
    def scale_tril(self):
        return self._matrix(self._unbroadcasted_scale_tril)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return self._matrix(L @ L.swapaxes(-1, -2))  # Σ = L Lᵀ

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        # Σ⁻¹ = (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹, L⁻¹ by a solve that reads every entry of L, as Σ = L Lᵀ does
        # (so that the gradients reach the entries above the diagonal, as PyTorch's do)
        L_inv = linalg.solve(L, eye(L.shape[-1], dtype=L.dtype, device=L.device).broadcast_to(L.shape))
        return self._matrix(L_inv.swapaxes(-1, -2) @ L_inv)


class MultivariateNormal(ScaleTrilMatrices, Distribution):
    """Normal distributions over vectors, of means ``loc`` (..., n) and one of
    ``covariance_matrix`` Σ, ``precision_matrix`` Σ⁻¹ or ``scale_tril`` L (..., n, n);
    the leading axes of ``loc`` and the matrix broadcast to the batch. The other two
    matrices are computed when first asked for.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.MultivariateNormal(torch.zeros(2), torch.tensor([[4.0, 2.0], [2.0, 2.0]]))
    >>> d, d.batch_shape, d.event_shape, d.sample((5,)).shape
    (MultivariateNormal(loc: torch.Size([2]), covariance_matrix: torch.Size([2, 2])), (), (2,), (5, 2))
    >>> d.scale_tril.tolist()  # L Lᵀ = Σ
    [[2.0, 0.0], [1.0, 1.0]]
    >>> round(d.log_prob(torch.tensor([2.0, 1.0])).item(), 6)  # M = ‖L⁻¹x‖² = 1, log det L = log 2
    -3.031024
    """

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if not isinstance(loc, Tensor):
            raise TypeError(f"MultivariateNormal expects loc as a Tensor of shape (..., n), got {type(loc).__name__}")
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = {name: matrix for name, matrix in zip(MATRICES, (covariance_matrix, precision_matrix, scale_tril),
                                                      strict=True) if matrix is not None}
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        ((name, matrix),) = given.items()
        _check_matrix(loc, name, matrix)
        batch_shape = broadcast_shapes(matrix.shape[:-2], loc.shape[:-1])
        if batch_shape is None:
            raise ShapeError(f"MultivariateNormal expects loc and {name} of batch shapes that broadcast together, "
                             f"got {loc.shape[:-1]} and {matrix.shape[:-2]}")
        n = loc.shape[-1]
        setattr(self, name, matrix.broadcast_to(batch_shape + (n, n)))
        self.loc = loc.broadcast_to(batch_shape + (n,))
        super().__init__(batch_shape, (n,), validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = _scale_tril_of_precision(matrix)

    def _expanded_state(self, batch_shape):
        return {**super()._expanded_state(batch_shape), "_unbroadcasted_scale_tril": self._unbroadcasted_scale_tril}

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        # Σᵢᵢ = Σₖ Lᵢₖ²
        return self._unbroadcasted_scale_tril.square().sum(-1).broadcast_to(self.batch_shape + self.event_shape)

    def rsample(self, sample_shape=()):
        epsilon = standard_normal(self._extended_shape(sample_shape), self.loc)
        # x = μ + L ε
        return self.loc + (self._unbroadcasted_scale_tril @ epsilon.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        self._validate_sample(value)
        n = self.event_shape[0]
        # M(x) = ‖L⁻¹(x − μ)‖²
        whitened = solve_lower(self._unbroadcasted_scale_tril, (value - self.loc).unsqueeze(-1))
        mahalanobis = whitened.square().sum((-2, -1))
        return -0.5 * (n * math.log(2 * math.pi) + mahalanobis) - self._half_log_det

    def entropy(self):
        n = self.event_shape[0]
        entropy = 0.5 * n * (1 + math.log(2 * math.pi)) + self._half_log_det
        return entropy.broadcast_to(self.batch_shape)

    @property
    def _half_log_det(self):
        """½ log det Σ = Σᵢ log Lᵢᵢ, one per matrix."""
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


def _check_matrix(loc, name, matrix):
    """Refuse what is not an n × n matrix, for n the length of ``loc``, in its dtype."""
    if not isinstance(matrix, Tensor):
        raise TypeError(f"MultivariateNormal expects {name} as a Tensor of shape (..., n, n), "
                        f"got {type(matrix).__name__}")
    if matrix.ndim < 2:
        called = "scale_tril matrix" if name == "scale_tril" else name  # PyTorch's words
        raise ValueError(f"{called} must be at least two-dimensional, with optional leading batch dimensions")
    n = loc.shape[-1]
    if matrix.shape[-2:] != (n, n):
        raise ShapeError(f"MultivariateNormal expects {name} of shape (..., {n}, {n}) for loc of shape {loc.shape}, "
                         f"got {matrix.shape}")
    if loc.dtype != matrix.dtype:
        raise TypeError(f"MultivariateNormal expects loc and {name} of one dtype, got {loc.dtype} and {matrix.dtype}")


def solve_lower(L, B):
    """L⁻¹ B for lower-triangular matrices L, both broadcast to one batch. Only the lower
    triangle of L is read, so the entries above its diagonal get no gradient, as in a
    triangular solve."""
    batch = broadcast_shapes(L.shape[:-2], B.shape[:-2])
    return linalg.solve(L.tril().broadcast_to(batch + L.shape[-2:]), B.broadcast_to(batch + B.shape[-2:]))


def _scale_tril_of_precision(P):
    """L with L Lᵀ = P⁻¹. With J the matrix that reverses the order of the axes,
    J P J = F Fᵀ (Cholesky), so P = U Uᵀ with U = J F J upper triangular, and
    P⁻¹ = U⁻ᵀ U⁻¹: L = U⁻ᵀ = (Uᵀ)⁻¹, Uᵀ lower triangular."""
    F = linalg.cholesky(P.flip(-2, -1))
    U_t = F.flip(-2, -1).swapaxes(-1, -2)
    return solve_lower(U_t, eye(P.shape[-1], dtype=P.dtype, device=P.device))
