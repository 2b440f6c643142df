"""PyTorch's older decompositions at the top level, still common in scripts: ``torch.svd``
(which returns V, not Vh), ``torch.qr`` (with ``some``) and ``torch.cholesky`` (with
``upper``), each the :mod:`tinygrad_bn.linalg` function it became, and
``torch.chain_matmul`` (``linalg.multi_dot`` of matrices), ``torch.lu_unpack``,
``torch.pinverse`` (``linalg.pinv`` with ``rcond`` as ``rtol``) and
``torch.cholesky_inverse`` (A⁻¹ from A's Cholesky factor), ``torch.vander`` (decreasing
powers unless ``increasing``) and ``torch.triangular_solve`` (which warns, as PyTorch's). ``qr``, ``cholesky`` and
``chain_matmul`` warn that they are deprecated, as PyTorch's do; ``svd`` does not, as
PyTorch's does not.

>>> import tinygrad_bn as torch
>>> U, S, V = torch.svd(torch.tensor([[0.0, 2.0], [-3.0, 0.0]]))
>>> S.tolist(), (U @ torch.diag(S) @ V.T).abs().tolist()
([3.0, 2.0], [[0.0, 2.0], [3.0, 0.0]])
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.linalg.chain import multi_dot
from tinygrad_bn.linalg.decompositions import QRResult, svdvals
from tinygrad_bn.linalg.decompositions import cholesky as _cholesky
from tinygrad_bn.linalg.decompositions import qr as _qr
from tinygrad_bn.linalg.decompositions import svd as _svd
from tinygrad_bn.linalg.inverse import pinv
from tinygrad_bn.linalg.least_squares import vander as _vander
from tinygrad_bn.linalg.matrices import check_matrices, transposed
from tinygrad_bn.linalg.pivoted_lu import lu_unpack  # noqa: F401 - torch.lu_unpack
from tinygrad_bn.linalg.triangular import cholesky_solve, solve_triangular
from tinygrad_bn.ops.promotion import constant


class SVD(NamedTuple):
    """``torch.return_types.svd``: ``U``, the singular values ``S`` in descending order,
    and ``V``, with A = U diag(S) Vᵀ."""

    U: Tensor
    S: Tensor
    V: Tensor


def svd(input, some=True, compute_uv=True) -> SVD:  # noqa: A002 - PyTorch's argument name
    """A = U diag(S) Vᵀ of each (..., m, n) matrix, k = min(m, n): U (m, k) and V (n, k) when
    ``some``, else U (m, m) and V (n, n). Without ``compute_uv``, U and V are zeros of the
    full shapes and only S carries a gradient."""
    if not compute_uv:
        check_matrices(input, "svd", square=False)
        m, n = input.shape[-2], input.shape[-1]
        zeros = input.xp.zeros
        batch, dtype = input.shape[:-2], input._data.dtype
        return SVD(constant(zeros((*batch, m, m), dtype=dtype), input), svdvals(input),
                   constant(zeros((*batch, n, n), dtype=dtype), input))
    U, S, Vh = _svd(input, full_matrices=not some)
    return SVD(U, S, transposed(Vh))


def qr(input, some=True) -> QRResult:  # noqa: A002 - PyTorch's argument name
    """Q R of each (..., m, n) matrix: ``linalg.qr(input, "reduced" if some else "complete")``."""
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr: Q, R = torch.qr(A, some) is "
                  "torch.linalg.qr(A, 'reduced' if some else 'complete')", UserWarning, stacklevel=2)
    return _qr(input, "reduced" if some else "complete")


def cholesky(input, upper=False):  # noqa: A002 - PyTorch's argument name
    """The Cholesky factor L of each symmetric positive-definite matrix (Lᵀ when ``upper``)."""
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky: torch.cholesky(A) is "
                  "torch.linalg.cholesky(A), and torch.cholesky(A, upper=True) is torch.linalg.cholesky(A).mH",
                  UserWarning, stacklevel=2)
    return _cholesky(input, upper=upper)


def chain_matmul(*matrices):
    """M₁ M₂ ⋯ Mₙ of one or more 2-D tensors, multiplied in the cheapest order:
    ``linalg.multi_dot(matrices)`` (one matrix is returned as a copy)."""
    warnings.warn("torch.chain_matmul is deprecated in favor of torch.linalg.multi_dot, which takes a list of two "
                  "or more tensors rather than several arguments", UserWarning, stacklevel=2)
    if not matrices:
        raise ShapeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        if not isinstance(m, Tensor) or m.ndim != 2:
            given = f"{m.ndim}-d of shape {m.shape}" if isinstance(m, Tensor) else type(m).__name__
            raise ShapeError(f"chain_matmul(): expected 2-D tensors, got {given} as matrix {i}")
    return matrices[0].clone() if len(matrices) == 1 else multi_dot(matrices)


def pinverse(input, rcond=1e-15):  # noqa: A002 - PyTorch's argument name
    """The pseudo-inverse A⁺ of each (..., m, n) matrix: ``linalg.pinv(input, rtol=rcond)``."""
    return pinv(input, rtol=rcond)


def cholesky_inverse(L, upper=False):  # noqa: N803 - PyTorch's name
    """A⁻¹ of each symmetric positive-definite A = L Lᵀ (Uᵀ U when ``upper``) given its
    Cholesky factor: ``cholesky_solve(I, L, upper)``."""
    check_matrices(L, "cholesky_inverse")
    eye = constant(L.xp.broadcast_to(L.xp.eye(L.shape[-1], dtype=L._data.dtype), L.shape).copy(), L)
    return cholesky_solve(eye, L, upper=upper)


def vander(x, N=None, increasing=False):  # noqa: N803 - PyTorch's argument name
    """The Vandermonde matrix (n, N) of a 1-d x, columns x^(N−1), …, x¹, x⁰ (N = n by
    default), or x⁰ … x^(N−1) when ``increasing``: ``linalg.vander`` (which takes batches
    and increases) of a vector, flipped unless ``increasing``."""
    if x.ndim != 1:
        raise ShapeError(f"x must be a one-dimensional tensor, got shape {x.shape}")
    columns = _vander(x, N=N)
    return columns if increasing else columns.flip(-1)


class TriangularSolveResult(NamedTuple):
    """``torch.return_types.triangular_solve``: the ``solution`` and a copy of A."""

    solution: Tensor
    cloned_coefficient: Tensor


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False) -> TriangularSolveResult:  # noqa: N803
    """X with A X = b (Aᵀ X = b when ``transpose``) for triangular A:
    ``linalg.solve_triangular`` with the arguments the other way round."""
    warnings.warn("torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangular: "
                  "torch.triangular_solve(B, A).solution is torch.linalg.solve_triangular(A, B, upper=True)",
                  UserWarning, stacklevel=2)
    check_matrices(A, "triangular_solve")
    coefficients = transposed(A) if transpose else A
    solution = solve_triangular(coefficients, b, upper=upper != transpose, unitriangular=unitriangular)
    return TriangularSolveResult(solution, A.clone())
