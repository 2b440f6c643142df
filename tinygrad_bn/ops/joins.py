"""Tensors brought to one shape and joined, with PyTorch's names: ``broadcast_tensors``
(and ``broadcast_shapes``, the shape alone),
``atleast_1d/2d/3d``, the stacks (``hstack``, ``vstack``, ``column_stack``,
``dstack``), coordinate grids (``meshgrid``, ``cartesian_prod``) and ``block_diag``.

Each is written with reshapes, broadcasts, padding and :func:`~tinygrad_bn.ops.shape.cat`,
so the engine derives its gradients of any order.
"""

from __future__ import annotations

import warnings

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.autograd.tensor import Shape
from tinygrad_bn.dtypes import get_default_dtype
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.ops.creation import zeros
from tinygrad_bn.ops.promotion import broadcast_shapes as _common_shape
from tinygrad_bn.ops.promotion import promote
from tinygrad_bn.ops.shape import _tensor_list, broadcast_to, cat, reshape, stack


def _tensors(name: str, tensors) -> list:
    """The tensors of ``f(a, b, ...)`` or of ``f([a, b, ...])``."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tensors[0]
    return _tensor_list(name, tensors)


def broadcast_tensors(*tensors) -> tuple:
    """PyTorch's ``broadcast_tensors``: the tensors broadcast to their common shape.

    >>> from tinygrad_bn import zeros
    >>> [t.shape for t in broadcast_tensors(zeros(3, 1), zeros(4))]
    [(3, 4), (3, 4)]
    """
    tensors = _tensors("broadcast_tensors", tensors)
    shape = _broadcast("broadcast_tensors", [t.shape for t in tensors])
    return tuple(broadcast_to(t, shape) for t in tensors)


def broadcast_shapes(*shapes) -> Shape:
    """PyTorch's ``broadcast_shapes``: the shape that tensors of the given ``shapes``
    (each a tuple of ints, or one int for a 1-d shape) broadcast to, without making them.

    >>> broadcast_shapes((3, 1), (1, 4), (2, 1, 1)), broadcast_shapes(5, (3, 1)), broadcast_shapes()
    ((2, 3, 4), (3, 5), ())
    """
    given = [(shape,) if isinstance(shape, int) else shape for shape in shapes]
    for shape, each in zip(shapes, given, strict=True):
        if not isinstance(each, (tuple, list)) or not all(isinstance(n, int) and n >= 0 for n in each):
            raise TypeError(f"broadcast_shapes expects shapes as tuples of non-negative ints, got {shape!r}")
    return Shape(_broadcast("broadcast_shapes", [tuple(each) for each in given], shown=list(shapes)))


def _broadcast(name: str, shapes: list, shown=None) -> tuple:
    """The shape all of ``shapes`` broadcast to, or a ShapeError naming ``name`` and the
    shapes (``shown``, the shapes as given, if not ``shapes``) and the first pair that fails."""
    common = ()
    for shape in shapes:
        result = _common_shape(common, shape)
        if result is None:
            raise ShapeError(f"{name}: shapes {shapes if shown is None else shown} do not broadcast together "
                             f"({shape} against {common})")
        common = result
    return common


def _at_least(name: str, ndim: int, place):
    """PyTorch's ``atleast_<ndim>d``: tensors of fewer axes reshaped by ``place(shape)``."""

    def function(*tensors):
        single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
        grown = tuple(t if t.ndim >= ndim else reshape(t, *place(t.shape)) for t in _tensors(name, tensors))
        return grown[0] if single else grown

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"PyTorch's ``{name}``: each tensor with at least {ndim} dimensions (one tensor given, "
                        f"one returned; several or a list, a tuple).")
    return function


# () becomes (1,); (), (n,) become (1, 1), (1, n); (), (n,), (m, n) become (1, 1, 1), (1, n, 1), (m, n, 1)
atleast_1d = _at_least("atleast_1d", 1, lambda shape: (1,))
atleast_2d = _at_least("atleast_2d", 2, lambda shape: (1, *shape, 1)[:2])
atleast_3d = _at_least("atleast_3d", 3, lambda shape: (*shape, 1) if len(shape) == 2 else (1, *shape, 1, 1)[:3])


def hstack(tensors):
    """PyTorch's ``hstack``: join along the columns (axis 1), or along axis 0 when all
    are at most 1-d.

    >>> from tinygrad_bn import tensor
    >>> hstack([tensor([1, 2]), tensor([3])]).tolist(), hstack([tensor([[1], [2]]), tensor([[3], [4]])]).tolist()
    ([1, 2, 3], [[1, 3], [2, 4]])
    """
    tensors = atleast_1d(_tensors("hstack", [tensors]))
    return cat(tensors, dim=0 if all(t.ndim == 1 for t in tensors) else 1)


def vstack(tensors):
    """PyTorch's ``vstack`` (also ``row_stack``): join along the rows (axis 0), 1-d
    tensors as rows.

    >>> from tinygrad_bn import tensor
    >>> vstack([tensor([1, 2]), tensor([3, 4])]).tolist()
    [[1, 2], [3, 4]]
    """
    return cat(atleast_2d(_tensors("vstack", [tensors])), dim=0)


row_stack = vstack


def column_stack(tensors):
    """PyTorch's ``column_stack``: join along axis 1, 0-d and 1-d tensors as columns.

    >>> from tinygrad_bn import tensor
    >>> column_stack([tensor([1, 2]), tensor([[3, 4], [5, 6]])]).tolist()
    [[1, 3, 4], [2, 5, 6]]
    """
    tensors = _tensors("column_stack", [tensors])
    return cat([reshape(t, -1, 1) if t.ndim <= 1 else t for t in tensors], dim=1)


def dstack(tensors):
    """PyTorch's ``dstack``: join along the depth (axis 2), as :func:`atleast_3d` shapes them.

    >>> from tinygrad_bn import tensor
    >>> dstack([tensor([1, 2]), tensor([3, 4])]).tolist()
    [[[1, 3], [2, 4]]]
    """
    return cat(atleast_3d(_tensors("dstack", [tensors])), dim=2)


def meshgrid(*tensors, indexing=None) -> tuple:
    """PyTorch's ``meshgrid``: for 0-d or 1-d tensors of lengths n₁, n₂, ..., one tensor
    each of shape (n₁, n₂, ...) holding its values along its own axis ("ij", matrix
    indexing); with ``indexing="xy"`` the first two axes are exchanged (Cartesian
    indexing). Without ``indexing`` it is "ij" with a warning, as PyTorch's.

    >>> from tinygrad_bn import tensor
    >>> rows, columns = meshgrid(tensor([1, 2]), tensor([3, 4, 5]), indexing="ij")
    >>> rows.tolist(), columns.tolist()
    ([[1, 1, 1], [2, 2, 2]], [[3, 4, 5], [3, 4, 5]])
    """
    tensors = _tensors("meshgrid", tensors)
    if indexing is None:
        warnings.warn("meshgrid without indexing= uses matrix indexing ('ij'), as PyTorch does today; PyTorch "
                      "means to require the argument, so pass indexing='ij' (or 'xy')", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ArgumentError(f"meshgrid expects indexing 'ij' or 'xy', got {indexing!r}")
    _check_one_dtype("meshgrid", tensors)
    for position, t in enumerate(tensors):
        if t.ndim > 1:
            raise ShapeError(f"meshgrid expects 0-d or 1-d tensors, got shape {t.shape} at position {position}")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for axis, t in zip(axes, tensors):
        shape[axis] = t.size
    return tuple(broadcast_to(reshape(t, *(-1 if a == axis else 1 for a in range(len(shape)))), tuple(shape))
                 for axis, t in zip(axes, tensors))


def cartesian_prod(*tensors):
    """PyTorch's ``cartesian_prod``: every combination of one element of each 1-d
    tensor, one row each, in row-major order (one tensor is returned as it is).

    >>> from tinygrad_bn import tensor
    >>> cartesian_prod(tensor([1, 2]), tensor([3, 4])).tolist()
    [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    tensors = _tensors("cartesian_prod", tensors)
    _check_one_dtype("cartesian_prod", tensors)
    for position, t in enumerate(tensors):
        if t.ndim != 1:
            raise ShapeError(f"cartesian_prod expects 1-d tensors, got shape {t.shape} at position {position}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([grid.flatten() for grid in meshgrid(*tensors, indexing="ij")], dim=1)


def block_diag(*tensors):
    """PyTorch's ``block_diag``: the tensors (0-d, 1-d as a row, or 2-d) as blocks along
    the diagonal of one matrix, zeros elsewhere, in their promoted dtype.

    >>> from tinygrad_bn import tensor
    >>> block_diag(tensor([[1, 2]]), tensor(3)).tolist()
    [[1, 2, 0], [0, 0, 3]]
    """
    if not tensors:  # PyTorch's empty (1, 0) matrix
        return zeros(1, 0, dtype=get_default_dtype())
    tensors = _tensor_list("block_diag", tensors)
    for position, t in enumerate(tensors):
        if t.ndim > 2:
            raise ShapeError(f"block_diag expects tensors of at most 2 dimensions, got shape {t.shape} "
                             f"at position {position}")
    blocks = [reshape(t, 1, -1) if t.ndim < 2 else t for t in promote(*tensors)]  # a 0-d tensor's dtype counts less
    width, left = sum(b.shape[1] for b in blocks), 0
    rows = []
    for b in blocks:
        rows.append(b.pad(((0, 0), (left, width - left - b.shape[1]))))
        left += b.shape[1]
    return cat(rows, dim=0)


def _check_one_dtype(name: str, tensors):
    first = tensors[0].dtype
    for position, t in enumerate(tensors):
        if t.dtype != first:
            raise DtypeError(f"{name} expects tensors of one dtype, got {first} at position 0 and {t.dtype} at "
                             f"position {position}")
