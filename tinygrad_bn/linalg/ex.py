"""The ``_ex`` forms, PyTorch's ``cholesky_ex``, ``inv_ex`` and ``solve_ex``: the
result and, per matrix, an int32 ``info`` in place of an error. ``info`` is 0 for a
matrix that could be factored; for Cholesky, the order of the first leading minor
that is not positive-definite; for the inverse and the solve, the (1-based) index of
the first zero on the diagonal of U in A = P L U (:mod:`tinygrad_bn.linalg.pivoted_lu`).
``check_errors=True`` raises PyTorch's error for the first such matrix instead.

The result of a matrix whose info is not 0 is NaN here (PyTorch leaves whatever
LAPACK stopped at), and gets no gradient; the others are those of ``cholesky``,
``inv`` and ``solve``, gradients included.
"""

from __future__ import annotations

from typing import NamedTuple

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.linalg.decompositions import cholesky
from tinygrad_bn.linalg.inverse import inv, solve
from tinygrad_bn.linalg.matrices import check_matrices, raise_for
from tinygrad_bn.linalg.pivoted_lu import eliminate
from tinygrad_bn.ops import where
from tinygrad_bn.ops.promotion import constant


class CholeskyExResult(NamedTuple):
    """``torch.return_types.linalg_cholesky_ex``: the factor ``L`` and ``info``."""

    L: Tensor
    info: Tensor


class InvExResult(NamedTuple):
    """``torch.return_types.linalg_inv_ex``: the ``inverse`` and ``info``."""

    inverse: Tensor
    info: Tensor


class SolveExResult(NamedTuple):
    """``torch.return_types.linalg_solve_ex``: the solution ``result`` and ``info``."""

    result: Tensor
    info: Tensor


def cholesky_ex(A, *, upper=False, check_errors=False) -> CholeskyExResult:
    """:func:`~tinygrad_bn.linalg.cholesky` with ``info``: for each (..., n, n) matrix the
    order of its first leading minor that is not positive-definite, 0 when it is.

    >>> import tinygrad_bn as torch
    >>> L, info = torch.linalg.cholesky_ex(torch.tensor([[[4.0, 2.0], [2.0, 5.0]], [[1.0, 2.0], [2.0, 1.0]]]))
    >>> L[0].tolist(), info.tolist()  # 1 − 2·2 < 0: the minor of order 2 is not positive-definite
    ([[2.0, 0.0], [1.0, 2.0]], [0, 2])
    """
    check_matrices(A, "cholesky")
    info = constant(_cholesky_info(A._data, A.xp), A)
    if check_errors:
        raise_for(info, "linalg.cholesky_ex", "The factorization could not be completed because the input is not "
                  "positive-definite (the leading minor of order {0} is not positive-definite).")
    return CholeskyExResult(_where_failed(info, lambda M: cholesky(M, upper=upper), A), info)


def inv_ex(A, *, check_errors=False) -> InvExResult:
    """:func:`~tinygrad_bn.linalg.inv` with ``info``: for each (..., n, n) matrix the first
    zero on the diagonal of its U (1-based), 0 when it is invertible.

    >>> import tinygrad_bn as torch
    >>> inverse, info = torch.linalg.inv_ex(torch.tensor([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]]]))
    >>> inverse[0].tolist(), info.tolist()
    ([[0.5, 0.0], [0.0, 0.25]], [0, 2])
    """
    check_matrices(A, "inv")
    info = _lu_info(A)
    if check_errors:
        raise_for(info, "linalg.inv_ex", "The diagonal element {0} is zero, the inversion could not be completed "
                  "because the input matrix is singular.")
    return InvExResult(_where_failed(info, inv, A), info)


def solve_ex(A, B, *, left=True, check_errors=False) -> SolveExResult:
    """:func:`~tinygrad_bn.linalg.solve` with ``info`` (as :func:`inv_ex`'s); with
    ``left=False``, X with X A = B, for B of (..., k, n).

    >>> import tinygrad_bn as torch
    >>> X, info = torch.linalg.solve_ex(torch.tensor([[2.0, 0.0], [0.0, 4.0]]), torch.tensor([1.0, 1.0]))
    >>> X.tolist(), info.item()
    ([0.5, 0.25], 0)
    """
    check_matrices(A, "solve")
    if not left and B.ndim < 2:
        raise ShapeError(f"linalg.solve_ex with left=False expects B of shape (..., k, {A.shape[-1]}), got {B.shape}")
    info = _lu_info(A)
    if check_errors:
        raise_for(info, "torch.linalg.solve_ex", "The solver failed because the input matrix is singular.")

    def solved(M):
        return solve(M, B, left=left)

    vectors = left and (B.ndim == 1 or B.shape == A.shape[:-1])  # as solve tells them apart
    return SolveExResult(_where_failed(info, solved, A, axes=1 if vectors else 2), info)


def _where_failed(info, f, A, axes=2):
    """``f(A)``, a matrix (or, with ``axes=1``, a vector) per matrix of A, with each
    matrix whose info is not 0 replaced by the identity and its result by NaN (so it
    neither raises nor gets a gradient)."""
    failed = info > 0
    identity = constant(A.xp.eye(A.shape[-1], dtype=A._data.dtype), A)
    out = f(where(failed.unsqueeze(-1).unsqueeze(-1), identity, A))
    return where(failed.reshape(*failed.shape, *(1,) * axes), float("nan"), out)


def _lu_info(A):
    return constant(eliminate(A._data, A.xp)[2], A)


def _cholesky_info(A, xp):
    """For each (..., n, n) array, the order of its first leading minor that is not
    positive-definite, 0 for none: where the pivot d_j of Cholesky–Banachiewicz, run
    on the lower triangle, is not positive."""
    *batch, n, _ = A.shape
    a = A.reshape(-1, n, n)
    L = xp.zeros_like(a)
    info = xp.zeros(a.shape[0], dtype="int32")
    for j in range(n):
        # d_j = a_jj − Σ_{k<j} l_jk²
        d = a[:, j, j] - (L[:, j, :j] ** 2).sum(axis=1)
        bad = ~(d > 0)  # NaN too
        info = xp.where((info == 0) & bad, j + 1, info).astype("int32")
        l_jj = xp.sqrt(xp.where(bad, 1, d))
        L[:, j, j] = l_jj
        # l_ij = (a_ij − Σ_{k<j} l_ik l_jk) / l_jj
        L[:, j + 1:, j] = (a[:, j + 1:, j] - (L[:, j + 1:, :j] * L[:, None, j, :j]).sum(axis=2)) / l_jj[:, None]
    return info.reshape(batch)
