"""Diagonals, with PyTorch's names: read (``diagonal``, ``diag`` of a matrix,
``trace``) and written into zeros (``diag`` of a vector, ``diagflat``, ``diag_embed``).

Reading is indexing and writing is its adjoint (:class:`~tinygrad_bn.ops.shape.ScatterAdd`),
so each is the other's gradient and the engine derives gradients of any order.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.ops.axes import normalize_axis
from tinygrad_bn.ops.layout import movedim
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.selection import written
from tinygrad_bn.ops.shape import ScatterAdd


def _places(xp, rows: int, columns: int, offset: int) -> tuple:
    """The (row, column) index arrays of diagonal ``offset`` of a rows × columns matrix
    (above the main diagonal for offset > 0, below it for offset < 0)."""
    top, left = max(-offset, 0), max(offset, 0)
    length = max(0, min(rows - top, columns - left))
    steps = xp.arange(length)
    return steps + top, steps + left


def diagonal(x, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """PyTorch's ``diagonal``: the elements x[..., i, i + offset, ...] of the matrices
    over axes ``dim1`` and ``dim2``, those axes removed and the diagonal appended last.

    >>> from tinygrad_bn import arange
    >>> arange(9).reshape(3, 3).diagonal().tolist(), arange(9).reshape(3, 3).diagonal(1).tolist()
    ([0, 4, 8], [1, 5])
    """
    first, second = _two_dims("diagonal", x.ndim, dim1, dim2)
    return Diagonal.apply(x, offset=offset, dim1=first, dim2=second)


class Diagonal(Function):
    """The diagonal as a view of x's memory, as PyTorch's: a change of it through an
    in-place op (``K.diagonal().add_(eps)``) is a change of x. Its gradient is the
    upstream gradient written into a zero matrix's diagonal."""

    def forward(self, x, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2, self.input_shape = offset, dim1, dim2, x.shape
        view = x.xp.diagonal(x._data, offset, dim1, dim2)
        if not _writeable(view) and _writeable(x._data):
            view.flags.writeable = True  # NumPy hands diagonals out read-only; CuPy's are writeable
        self.output_views(x)
        return view

    def backward(self, grad):
        zeros = constant(grad.xp.zeros(self.input_shape, dtype=grad.dtype), grad)
        return diagonal_scatter(zeros, grad, self.offset, self.dim1, self.dim2)


def _writeable(array) -> bool:
    """Whether an array may be written (NumPy's flag; arrays without it may)."""
    return getattr(getattr(array, "flags", None), "writeable", True)


def diag(x, diagonal: int = 0):
    """PyTorch's ``diag``: of a vector, the square matrix with it on diagonal
    ``diagonal`` (zeros elsewhere); of a matrix, that diagonal as a vector.

    >>> from tinygrad_bn import tensor
    >>> tensor([1, 2]).diag(1).tolist(), tensor([[1, 2], [3, 4]]).diag().tolist()
    ([[0, 1, 0], [0, 0, 2], [0, 0, 0]], [1, 4])
    """
    if x.ndim == 2:
        return _diagonal(x, diagonal, 0, 1)
    if x.ndim != 1:
        raise ShapeError(f"diag expects a 1-d or 2-d tensor, got shape {x.shape}")
    return diag_embed(x, diagonal)


_diagonal = diagonal  # diag's argument hides the function


def diagflat(x, offset: int = 0):
    """PyTorch's ``diagflat``: the flattened ``x`` on diagonal ``offset`` of a square matrix.

    >>> from tinygrad_bn import tensor
    >>> tensor([[1, 2]]).diagflat(-1).tolist()
    [[0, 0, 0], [1, 0, 0], [0, 2, 0]]
    """
    return diag_embed(x.flatten(), offset)


def diag_embed(x, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """PyTorch's ``diag_embed``: each vector along the last axis of ``x`` on diagonal
    ``offset`` of a square matrix over the new axes ``dim1`` and ``dim2`` (of the result).

    >>> from tinygrad_bn import tensor
    >>> tensor([[1, 2], [3, 4]]).diag_embed().tolist()
    [[[1, 0], [0, 2]], [[3, 0], [0, 4]]]
    """
    if x.ndim == 0:
        raise ShapeError("diag_embed expects a tensor of at least 1 dimension, got shape ()")
    first, second = _two_dims("diag_embed", x.ndim + 1, dim1, dim2)
    size = x.shape[-1] + abs(offset)
    rows, columns = _places(x.xp, size, size, offset)
    matrices = ScatterAdd.apply(x, index=(Ellipsis, rows, columns), shape=x.shape[:-1] + (size, size))
    return movedim(matrices, (-2, -1), (first, second))


def trace(x):
    """PyTorch's ``trace``: the sum of the main diagonal of a matrix (integers sum in int64).

    >>> from tinygrad_bn import arange
    >>> arange(9).reshape(3, 3).trace().item()
    12
    """
    if x.ndim != 2:
        raise ShapeError(f"trace expects a matrix, got shape {x.shape}")
    return diagonal(x).sum()


def diagonal_scatter(x, src, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """PyTorch's ``diagonal_scatter``: ``x`` with ``x.diagonal(offset, dim1, dim2)``
    replaced by ``src`` (of that diagonal's shape, cast to x's dtype).

    >>> from tinygrad_bn import ones, zeros
    >>> zeros(2, 3).diagonal_scatter(ones(2), 1).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    first, second = _two_dims("diagonal_scatter", x.ndim, dim1, dim2)
    matrices = movedim(x, (first, second), (-2, -1))
    place = (Ellipsis, *_places(x.xp, *matrices.shape[-2:], offset))
    changed = written("diagonal_scatter", matrices, src, place, "diagonal")
    return movedim(changed, (-2, -1), (first, second)).contiguous()


def _two_dims(name: str, ndim: int, dim1: int, dim2: int) -> tuple:
    """``dim1`` and ``dim2`` as two different non-negative axes of a tensor of ``ndim`` axes."""
    if ndim < 2:
        raise ShapeError(f"{name} needs two dims, got a tensor of {ndim} dimension{'s' * (ndim != 1)}")
    first, second = normalize_axis(dim1, ndim, "dim"), normalize_axis(dim2, ndim, "dim")
    if first == second:
        raise ArgumentError(f"{name} expects two different dims, got dim1={dim1} and dim2={dim2}")
    return first, second
