"""The numerical rank of a matrix: how many of its singular values exceed a tolerance
τ = max(atol, rtol · σ₁), σ₁ the largest.

Unless given, atol is 0 and rtol is ε · max(m, n) (ε the dtype's machine epsilon); a
positive atol alone sets rtol to 0. With ``hermitian=True`` the singular values are the
|eigenvalues| of the (assumed symmetric) matrix.

>>> import tinygrad_bn as torch
>>> torch.linalg.matrix_rank(torch.tensor([[1.0, 2.0], [2.0, 4.0]])).item()
1
>>> torch.linalg.matrix_rank(torch.tensor([[1.0, 0.0], [0.0, 1e-3]]), atol=0.01).item()
1
"""

from __future__ import annotations

import numpy

from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.linalg.decompositions import eigvalsh, svdvals
from tinygrad_bn.linalg.matrices import check_matrices
from tinygrad_bn.ops import maximum, where


def _as_tensor(value, like: Tensor) -> Tensor:
    """A tolerance (a number or a tensor) as a tensor in ``like``'s dtype, on its device."""
    if isinstance(value, Tensor):
        return value.astype(like.dtype)
    return Tensor(like.xp.asarray(value, dtype=like.dtype), device=like.device)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    """The rank of each (..., m, n) matrix, an int64 tensor of the batch's shape. ``atol``
    and ``rtol`` may be tensors that broadcast against the batch; ``tol`` is PyTorch's
    older name for atol (with rtol 0)."""
    check_matrices(A, "matrix_rank", square=hermitian)
    if tol is not None:
        if atol is not None or rtol is not None:
            raise TypeError("linalg.matrix_rank takes tol or atol/rtol, not both")
        atol, rtol = tol, 0.0
    m, n = A.shape[-2], A.shape[-1]
    with no_grad():
        atol = _as_tensor(0.0 if atol is None else atol, A)
        # rtol defaults to ε·max(m, n), and to 0 wherever a positive atol is given
        default_rtol = float(numpy.finfo(A.dtype).eps) * max(m, n)
        rtol = where(atol > 0, 0.0, default_rtol) if rtol is None else _as_tensor(rtol, A)
        S = eigvalsh(A).abs() if hermitian else svdvals(A.detach())
        if S.shape[-1] == 0:
            return Tensor(A.xp.zeros(A.shape[:-2], dtype="int64"), device=A.device)
        tolerance = maximum(atol, rtol * S.amax(-1))  # τ = max(atol, rtol·σ₁)
        return (S > tolerance.unsqueeze(-1)).sum(-1).astype("int64")
