"""PyTorch's ``torch.linalg``: norms, the inverse, the determinant and solving a
linear system, over the last two axes of (..., n, n) matrices (leading axes are a
batch).

The three matrix functions are ops whose backwards are written with Tensor ops, so
they differentiate again:

    X = A⁻¹:       dA = −Xᵀ G Xᵀ
    d = det A:     dA = g · d · A⁻ᵀ
    X = A⁻¹ B:     dB = A⁻ᵀ G,   dA = −dB Xᵀ

The determinant's gradient needs A⁻¹, so at a singular matrix it is not finite
here (PyTorch's goes through an SVD there).

>>> import tinygrad_bn as torch
>>> A = torch.tensor([[4.0, 0.0], [2.0, 2.0]])
>>> torch.linalg.det(A).item(), torch.linalg.inv(A).tolist()  # 4·2 − 0·2; [[2, 0], [−2, 4]] / 8
(8.0, [[0.25, 0.0], [-0.25, 0.5]])
>>> torch.linalg.vector_norm(torch.tensor([3.0, -4.0])).item(), torch.linalg.matrix_norm(A, ord=1).item()  # |col| 6, 2
(5.0, 6.0)
"""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Function
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.ops import norm as _norm
from tinygrad_bn.ops.axes import normalize_axes, normalize_axis

__all__ = ["det", "inv", "matrix_norm", "norm", "solve", "vector_norm"]


def vector_norm(x, ord=2, dim=None, keepdim=False):  # noqa: A002 - PyTorch's argument name
    """(Σ|x|^ord)^(1/ord) over ``dim`` (every axis by default); ord inf and −inf are
    max and min |x|, ord 0 counts the non-zero elements (a count, with no gradient)."""
    if ord in (2, 1, math.inf):
        return _norm(x, ord, dim, keepdim)
    axes = normalize_axes(dim, x.ndim)
    if ord == -math.inf:
        return x.abs().amin(axes, keepdim=keepdim)
    if ord == 0:
        return (x != 0).astype(x.dtype).sum(axes, keepdim=keepdim)
    if isinstance(ord, (int, float)) and not isinstance(ord, bool):
        return (x.abs() ** ord).sum(axes, keepdim=keepdim) ** (1.0 / ord)
    raise ArgumentError(f"vector_norm expects a number for ord, got {ord!r}")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False):  # noqa: A002 - PyTorch's argument name
    """The Frobenius norm (``"fro"``), the largest (ord 1, inf) or smallest (−1, −inf)
    column or row sum of |A| over the two axes ``dim``."""
    rows, columns = _matrix_axes(A, dim, "matrix_norm")
    if ord == "fro":
        return _norm(A, 2, (rows, columns), keepdim)
    sums = {1: rows, -1: rows, math.inf: columns, -math.inf: columns}  # ord 1: down each column
    if ord not in sums:
        raise ArgumentError(f"matrix_norm supports ord 'fro', 1, -1, inf and -inf, got {ord!r} "
                            "('nuc' and 2 need singular values, which are not here)")
    other = columns if sums[ord] == rows else rows
    totals = A.abs().sum(sums[ord], keepdim=True)
    extreme = totals.amax(other, keepdim=True) if ord > 0 else totals.amin(other, keepdim=True)
    return extreme if keepdim else extreme.squeeze(max(rows, columns)).squeeze(min(rows, columns))


def norm(A, ord=None, dim=None, keepdim=False):  # noqa: A002 - PyTorch's argument name
    """``vector_norm`` or ``matrix_norm`` as PyTorch's ``linalg.norm`` chooses: without
    ``ord``, the 2-norm of the flattened tensor (or over ``dim``); with it, a vector
    norm of a 1-d tensor or over one dim, a matrix norm of a 2-d one or over two dims."""
    axes = None if dim is None else (dim if isinstance(dim, (tuple, list)) else (dim,))
    if ord is None:
        return vector_norm(A, 2, dim, keepdim)
    if (axes is None and A.ndim == 2) or (axes is not None and len(axes) == 2):
        return matrix_norm(A, ord, (-2, -1) if axes is None else tuple(axes), keepdim)
    if (axes is None and A.ndim == 1) or (axes is not None and len(axes) == 1):
        return vector_norm(A, ord, dim, keepdim)
    raise ArgumentError(f"linalg.norm with ord={ord!r} needs a 1-d or 2-d tensor or a dim of one or two axes, "
                        f"got shape {A.shape} and dim={dim!r}")


class Inverse(Function):
    def forward(self, A):
        X = A.xp.linalg.inv(A._data)
        self.save_output(X)
        return X

    def backward(self, grad):
        X = _transposed(self.saved_output())
        return -(X @ grad @ X)  # dA = −Xᵀ G Xᵀ


class Determinant(Function):
    def forward(self, A):
        self.save_for_backward(A)
        d = A.xp.asarray(A.xp.linalg.det(A._data))  # an array also for one matrix
        self.save_output(d)
        return d

    def backward(self, grad):
        (A,) = self.saved_tensors
        scale = (grad * self.saved_output()).reshape(*grad.shape, 1, 1)
        return scale * _transposed(inv(A))  # dA = g · det A · A⁻ᵀ


class Solve(Function):
    def forward(self, A, B):
        self.save_for_backward(A)
        X = A.xp.linalg.solve(A._data, B._data)
        self.save_output(X)
        return X

    def backward(self, grad):
        (A,) = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        dB = solve(_transposed(A), grad)  # A⁻ᵀ G
        dA = -(dB @ _transposed(self.saved_output())) if need_a else None
        return dA, dB if need_b else None


def inv(A):
    """A⁻¹ of each (..., n, n) matrix."""
    _square(A, "inv")
    return Inverse.apply(A)


def det(A):
    """The determinant of each (..., n, n) matrix."""
    _square(A, "det")
    return Determinant.apply(A)


def solve(A, B):
    """X with A X = B, for (..., n, n) A and B of (..., n, k), or of (..., n) (a vector
    per matrix: B.ndim = A.ndim − 1), as PyTorch's ``linalg.solve``."""
    _square(A, "solve")
    if B.ndim == A.ndim - 1:
        return solve(A, B.unsqueeze(-1)).squeeze(-1)
    if B.ndim < 2 or B.shape[-2] != A.shape[-1]:
        raise ShapeError(f"solve expects B of shape (..., {A.shape[-1]}, k) or (..., {A.shape[-1]}) for A of shape "
                         f"{A.shape}, got {B.shape}")
    if A.dtype != B.dtype:
        raise ArgumentError(f"solve expects A and B of one dtype, got {A.dtype} and {B.dtype}")
    return Solve.apply(A, B)


def _transposed(matrices):
    return matrices.swapaxes(-1, -2)


def _square(A, name: str):
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ShapeError(f"linalg.{name} expects square matrices (..., n, n), got shape {A.shape}")
    if A.dtype not in ("float32", "float64"):  # nor does PyTorch's CPU take float16 here
        raise DtypeError(f"linalg.{name} expects float32 or float64 matrices, got dtype {A.dtype}")


def _matrix_axes(A, dim, name: str) -> tuple:
    """The (rows, columns) axes ``dim`` names, in its order."""
    if A.ndim < 2 or len(dim) != 2:
        raise ShapeError(f"{name} expects two axes of a tensor of at least 2 dimensions, got dim={dim!r} "
                         f"for shape {A.shape}")
    rows, columns = (normalize_axis(d, A.ndim, "dim") for d in dim)
    if rows == columns:
        raise ShapeError(f"{name} expects two different axes, got dim={dim!r}")
    return rows, columns
