"""Products of matrices and of vectors: integer powers of a matrix, the cross product,
the dot product of vectors along an axis (``vecdot``), and ``linalg``'s names for
``matmul`` and ``diagonal``."""

from __future__ import annotations

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.linalg.inverse import inv
from tinygrad_bn.linalg.matrices import check_matrices
from tinygrad_bn.ops import cross as _cross
from tinygrad_bn.ops import diagonal as _diagonal
from tinygrad_bn.ops import matmul as _matmul
from tinygrad_bn.ops.promotion import constant


def matrix_power(A, n: int):
    """Aⁿ of each (..., k, k) matrix for an integer n, by repeated squaring: the identity
    for n = 0, (A⁻¹)⁻ⁿ for n < 0 (integer matrices take n ≥ 0 only, as in PyTorch).

    >>> import tinygrad_bn as torch
    >>> torch.linalg.matrix_power(torch.tensor([[1, 1], [0, 1]]), 3).tolist()
    [[1, 3], [0, 1]]
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise ArgumentError(f"linalg.matrix_power expects an integer power n, got {n!r}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ShapeError(f"linalg.matrix_power expects square matrices (..., k, k), got shape {A.shape}")
    if n < 0:
        check_matrices(A, "matrix_power with n < 0")
        return matrix_power(inv(A), -n)
    if n == 0:
        return constant(A.xp.broadcast_to(A.xp.eye(A.shape[-1], dtype=A._data.dtype), A.shape).copy(), A)
    result, square = None, A
    while n:  # Aⁿ = Π A^(2^i) over the bits i of n
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        square = square @ square if n else square
    return result


def cross(input, other, *, dim=-1):  # noqa: A002 - PyTorch's argument name
    """The cross product of the 3-vectors along ``dim`` (the last by default), of two
    tensors of as many dimensions, broadcast together.

    >>> import tinygrad_bn as torch
    >>> torch.linalg.cross(torch.tensor([[0.0, 1.0, 0.0]]), torch.tensor([[0.0, 0.0, 1.0]])).tolist()
    [[1.0, 0.0, 0.0]]
    """
    return _cross(input, other, dim=dim)


def vecdot(x, y, *, dim=-1):
    """Σ xᵢ yᵢ along ``dim`` (the last by default), of two tensors broadcast together.

    >>> import tinygrad_bn as torch
    >>> torch.linalg.vecdot(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([1.0, -1.0])).tolist()
    [-1.0, -1.0]
    """
    return (x * y).sum(dim)


def matmul(input, other):  # noqa: A002 - PyTorch's argument name
    """``torch.matmul``, under ``linalg``'s name."""
    return _matmul(input, other)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``torch.diagonal`` with ``linalg``'s defaults: the diagonals of the last two axes."""
    return _diagonal(A, offset=offset, dim1=dim1, dim2=dim2)
