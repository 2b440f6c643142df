"""The LU factorization with partial pivoting, A = P L U, as PyTorch's ``lu_factor``
and ``lu_factor_ex`` give it: L (unit lower triangular, its diagonal not stored) and
U packed in one matrix ``LU``, and the row swaps as LAPACK's ``pivots`` (row i was
swapped with row pivots[i], counting from 1). ``lu_unpack`` turns them into P, L and
U, ``lu`` gives those three at once, and ``lu_solve`` solves A X = B with them; each
is written with triangles, triangular solves and products, so gradients reach ``LU``
(and through it A) and B.

The factorization is Gaussian elimination, column by column over the whole batch:
the largest entry of the column (the first of equal ones) is swapped onto the
diagonal, the rows below are reduced by it. A zero pivot (a singular matrix) leaves
its column as it is and is reported in ``info``: the (1-based) index of the first
zero on U's diagonal, 0 when there is none.

Its gradient, for square A, with L̄ and Ū the strict lower and the upper triangles
of the gradient of ``LU``:

    Ā = P L⁻ᵀ (tril₋₁(Lᵀ L̄) + triu(Ū Uᵀ)) U⁻ᵀ

A wide A = [A₁ | A₂] (m < n) has U = [U₁ | U₂], A₁ = P L U₁ square and
U₂ = L⁻¹ Pᵀ A₂, so Ā₂ = P L⁻ᵀ Ū₂ and A₁ takes the square gradient with
L̄ − tril₋₁(L⁻ᵀ Ū₂ U₂ᵀ) in place of L̄. A tall Pᵀ A = [A₁'; A₂'] (m > n) has
L = [L₁; L₂], A₁' = L₁ U square and L₂ = A₂' U⁻¹, so Ā₂' = L̄₂ U⁻ᵀ and A₁' takes
the square gradient (with P = I) with Ū − triu(L₂ᵀ L̄₂ U⁻ᵀ) in place of Ū.
"""

from __future__ import annotations

from typing import NamedTuple

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.linalg.matrices import Factorization, check_matrices, raise_for, transposed
from tinygrad_bn.linalg.triangular import solve_triangular
from tinygrad_bn.ops import cat
from tinygrad_bn.ops.promotion import constant


def eliminate(A, xp) -> tuple:
    """(LU, pivots, info) of the (..., m, n) array ``A``: the packed factors, the
    1-based row swaps (int32, (..., min(m, n))) and the index of the first zero pivot
    (int32, (...), 0 for none)."""
    *batch, m, n = A.shape
    k = min(m, n)
    LU = A.reshape(-1, m, n).copy()
    count = LU.shape[0]
    pivots = xp.zeros((count, k), dtype="int32")
    info = xp.zeros(count, dtype="int32")
    every = xp.arange(count)
    for j in range(k):
        p = j + xp.argmax(abs(LU[:, j:, j]), axis=1)  # the largest in the column, the first of ties
        pivots[:, j] = p + 1
        row_j = LU[every, j].copy()
        LU[every, j] = LU[every, p]
        LU[every, p] = row_j
        pivot = LU[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info).astype("int32")
        # multipliers l_ij = a_ij / u_jj (a zero pivot has a zero column below it: left as it is)
        LU[:, j + 1:, j] = LU[:, j + 1:, j] / xp.where(zero, 1, pivot)[:, None]
        # the Schur complement: a_ik ← a_ik − l_ij u_jk
        LU[:, j + 1:, j + 1:] = LU[:, j + 1:, j + 1:] - LU[:, j + 1:, j:j + 1] * LU[:, j:j + 1, j + 1:]
    return LU.reshape(A.shape), pivots.reshape(*batch, k), info.reshape(batch)


class LUFactors(Factorization):
    @staticmethod
    def shapes_for(m, n):
        return (m, n), (min(m, n),), ()

    def factor(self, A):
        LU, pivots, info = eliminate(A._data, A.xp)
        return LU, pivots.astype(LU.dtype), info.astype(LU.dtype)

    def gradient(self, A, factors, grads):
        LU, pivots, _ = factors
        m, n = A.shape[-2:]
        P = _permutation(pivots, m, A)
        if m < n:
            return _wide_gradient(P, LU, grads[0])
        if m > n:
            return _tall_gradient(P, LU, grads[0])
        return _square_gradient(P, LU.tril(-1) + _eye(m, A), LU.triu(), grads[0].tril(-1), grads[0].triu())


def _square_gradient(P, L, U, dL, dU):
    # Ā = P L⁻ᵀ (tril₋₁(Lᵀ L̄) + triu(Ū Uᵀ)) U⁻ᵀ
    M = (transposed(L) @ dL).tril(-1) + (dU @ transposed(U)).triu()
    X = solve_triangular(transposed(L), M, upper=True, unitriangular=True)
    return P @ solve_triangular(transposed(U), X, upper=False, left=False)


def _wide_gradient(P, LU, grad):
    """Ā for A = P L [U₁ | U₂], m < n."""
    m = LU.shape[-2]
    L, U1, U2 = LU[..., :m].tril(-1) + _eye(m, LU), LU[..., :m].triu(), LU[..., m:]
    dL, dU1, dU2 = grad[..., :m].tril(-1), grad[..., :m].triu(), grad[..., m:]
    # U₂ = L⁻¹ Pᵀ A₂: Ā₂ = P L⁻ᵀ Ū₂, and L gets −L⁻ᵀ Ū₂ U₂ᵀ from it
    dA2 = P @ solve_triangular(transposed(L), dU2, upper=True, unitriangular=True)
    dL = dL - (transposed(P) @ dA2 @ transposed(U2)).tril(-1)
    return cat([_square_gradient(P, L, U1, dL, dU1), dA2], dim=-1)


def _tall_gradient(P, LU, grad):
    """Ā for a tall A = P [L₁; L₂] U (m > n)."""
    n = LU.shape[-1]
    L1, L2, U = LU[..., :n, :].tril(-1) + _eye(n, LU), LU[..., n:, :], LU[..., :n, :].triu()
    dL1, dL2, dU = grad[..., :n, :].tril(-1), grad[..., n:, :], grad[..., :n, :].triu()
    # L₂ = A₂' U⁻¹ (A' = Pᵀ A): Ā₂' = L̄₂ U⁻ᵀ, and U gets −L₂ᵀ L̄₂ U⁻ᵀ from it
    dA2 = solve_triangular(transposed(U), dL2, upper=False, left=False)
    dU = dU - (transposed(L2) @ dA2).triu()
    square = _square_gradient(_eye(n, LU), L1, U, dL1, dU)  # of A₁' = L₁ U, the top rows of Pᵀ A
    return P @ cat([square, dA2], dim=-2)


def _permutation(pivots, m, like):
    """P with A = P L U, from LAPACK's row swaps (1-based, as floats)."""
    xp = like.xp
    swaps = pivots._data.astype("int64") - 1
    batch, k = swaps.shape[:-1], swaps.shape[-1]
    order = xp.broadcast_to(xp.arange(m), (*batch, m)).copy().reshape(-1, m)
    flat, every = swaps.reshape(-1, k), xp.arange(order.shape[0])
    for j in range(k):  # row j of Pᵀ A is row order[j] of A
        target = flat[:, j]
        row_j = order[every, j].copy()
        order[every, j] = order[every, target]
        order[every, target] = row_j
    # P[order[i], i] = 1
    P = (xp.arange(m)[:, None] == order[:, None, :]).astype(like._data.dtype).reshape(*batch, m, m)
    return constant(P, like)


def _eye(n, like):
    return constant(like.xp.eye(n, dtype=like._data.dtype), like)


class LUFactorResult(NamedTuple):
    """``torch.return_types.linalg_lu_factor``: the packed factors ``LU`` and the row swaps ``pivots``."""

    LU: Tensor
    pivots: Tensor


class LUFactorExResult(NamedTuple):
    """``torch.return_types.linalg_lu_factor_ex``: ``LU``, ``pivots``, and ``info``, the
    first zero on U's diagonal (1-based) of each matrix, 0 where there is none."""

    LU: Tensor
    pivots: Tensor
    info: Tensor


def lu_factor_ex(A, *, pivot=True, check_errors=False) -> LUFactorExResult:
    """A = P L U for each (..., m, n) matrix, with partial pivoting; a singular matrix
    is no error but has ``info`` > 0, unless ``check_errors``. ``pivot=False`` is
    refused, as by PyTorch on the CPU.

    >>> import tinygrad_bn as torch
    >>> LU, pivots, info = torch.linalg.lu_factor_ex(torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    >>> LU.tolist(), pivots.tolist(), info.item()  # rows swapped; U₂₂ = 0: singular
    ([[2.0, 4.0], [0.5, 0.0]], [2, 2], 2)
    """
    check_matrices(A, "lu_factor", square=False)
    if not pivot:
        raise ArgumentError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, pivots, info = LUFactors.factors(A)
    info = info.detach().astype("int32")
    if check_errors:
        raise_for(info, "torch.linalg.lu_factor_ex", "U[{0},{0}] is zero and using it on lu_solve would result in a "
                  "division by zero. If you still want to perform the factorization, consider calling "
                  "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)", RuntimeError)
    return LUFactorExResult(LU, pivots.detach().astype("int32"), info)


def lu_factor(A, *, pivot=True) -> LUFactorResult:
    """A = P L U for each (..., m, n) matrix, as :func:`lu_factor_ex`; a singular
    matrix raises, as in PyTorch.

    >>> import tinygrad_bn as torch
    >>> LU, pivots = torch.linalg.lu_factor(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> [[round(v, 6) for v in row] for row in LU.tolist()], pivots.tolist()
    ([[3.0, 4.0], [0.333333, 0.666667]], [2, 2])
    """
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)
    raise_for(info, "torch.linalg.lu_factor", "U[{0},{0}] is zero and using it on lu_solve would result in a "
              "division by zero. If you still want to perform the factorization, consider calling "
              "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)", RuntimeError)
    return LUFactorResult(LU, pivots)


class LUResult(NamedTuple):
    """``torch.return_types.linalg_lu`` (and ``lu_unpack``): A = P L U."""

    P: Tensor
    L: Tensor
    U: Tensor


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True) -> LUResult:  # noqa: N803 - PyTorch's names
    """P (m, m), L (m, k) and U (k, n), k = min(m, n), of packed factors (..., m, n) and
    their ``pivots``, as :func:`lu_factor` gives them; what is not unpacked is an empty
    tensor, as in PyTorch.

    >>> import tinygrad_bn as torch
    >>> P, L, U = torch.lu_unpack(*torch.linalg.lu_factor(torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
    >>> P.tolist(), (P @ L @ U).tolist()
    ([[0.0, 1.0], [1.0, 0.0]], [[1.0, 2.0], [3.0, 4.0]])
    """
    check_matrices(LU_data, "lu_unpack", square=False)
    *batch, m, n = LU_data.shape
    k = min(m, n)
    if tuple(LU_pivots.shape) != (*batch, k) or LU_pivots.dtype.kind not in "iu":
        raise ShapeError(f"lu_unpack expects integer pivots of shape {(*batch, k)} for LU_data of shape "
                         f"{LU_data.shape}, got {LU_pivots.dtype} of shape {LU_pivots.shape}")
    empty = constant(LU_data.xp.zeros(0, dtype=LU_data.dtype), LU_data)
    P = _permutation(LU_pivots, m, LU_data) if unpack_pivots else empty
    if not unpack_data:
        return LUResult(P, empty, empty)
    L = LU_data[..., :k].tril(-1) + constant(LU_data.xp.eye(m, k, dtype=LU_data.dtype), LU_data)
    return LUResult(P, L, LU_data[..., :k, :].triu())


def lu(A, *, pivot=True) -> LUResult:
    """A = P L U for each (..., m, n) matrix: P (m, m) a permutation, L (m, k) unit lower
    triangular, U (k, n) upper triangular, k = min(m, n); a singular matrix is no error.
    ``pivot=False`` is refused, as by PyTorch on the CPU."""
    LU, pivots, _ = lu_factor_ex(A, pivot=pivot)
    return lu_unpack(LU, pivots)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):  # noqa: N803 - PyTorch's names
    """X with A X = B (X A = B when not ``left``; Aᵀ in place of A when ``adjoint``)
    for A = P L U given by :func:`lu_factor`, B (..., n, k) (or (..., k, n)), their
    batch axes broadcast together."""
    check_matrices(LU, "torch.linalg.lu_solve")
    if B.ndim < 2:
        raise ShapeError(f"linalg.lu_solve: The input tensor B must have at least 2 dimensions, got shape {B.shape}")
    n = LU.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        equation = "AX = B" if left else "XA = B"
        raise ShapeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation {equation} "
                         f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    P, LUt = _permutation(pivots, n, LU), transposed(LU)
    if left and not adjoint:  # X = U⁻¹ L⁻¹ Pᵀ B
        Y = solve_triangular(LU, transposed(P) @ B, upper=False, unitriangular=True)
        return solve_triangular(LU, Y, upper=True)
    if left:  # Aᵀ X = B: X = P L⁻ᵀ U⁻ᵀ B
        Y = solve_triangular(LUt, B, upper=False)
        return P @ solve_triangular(LUt, Y, upper=True, unitriangular=True)
    if not adjoint:  # X = B U⁻¹ L⁻¹ Pᵀ
        Y = solve_triangular(LU, B, upper=True, left=False)
        return solve_triangular(LU, Y, upper=False, left=False, unitriangular=True) @ transposed(P)
    # X Aᵀ = B: X = B P L⁻ᵀ U⁻ᵀ
    Y = solve_triangular(LUt, B @ P, upper=True, left=False, unitriangular=True)
    return solve_triangular(LUt, Y, upper=False, left=False)
