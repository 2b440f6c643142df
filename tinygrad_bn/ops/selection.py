"""Elements picked by index or mask, and a slice or masked places written, with
PyTorch's names: ``take`` (of the flattened tensor), ``take_along_dim``,
``masked_select``, ``masked_scatter`` (and ``masked_scatter_``) and ``slice_scatter``.

Picking is indexing, whose gradient goes back to the picked places; writing a slice
is :class:`~tinygrad_bn.ops.inplace.SetItem`, whose gradient goes to the slice from
its source and to the tensor elsewhere.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.ops.axes import normalize_axis
from tinygrad_bn.ops.indexing import _checked_index, gather
from tinygrad_bn.ops.inplace import SetItem, _change
from tinygrad_bn.ops.joins import broadcast_tensors
from tinygrad_bn.ops.promotion import broadcast_shapes, constant


def take(x, index):
    """PyTorch's ``take``: the elements of the flattened ``x`` at ``index`` (an int64
    tensor of any shape, negative counting from the end), in the index's shape.

    >>> from tinygrad_bn import arange, tensor
    >>> arange(6).reshape(2, 3).take(tensor([[0, -1], [4, 4]])).tolist()
    [[0, 5], [4, 4]]
    """
    flat = x.reshape(-1)
    return flat[_int64_index("take", index, flat)]


def as_strided(input, size, stride, storage_offset=0):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``as_strided``: the elements at ``storage_offset + Σ iₖ·strideₖ`` of the
    tensor's elements laid out in C order, for every index (i₀, i₁, ...) of ``size``;
    differentiable, an element read twice getting both gradients. Unlike PyTorch's it is a
    copy, not a view, and it reads the tensor's own elements: the same as PyTorch for a
    contiguous tensor that is not a slice of a larger one (PyTorch reads the underlying
    storage, so a transposed or sliced tensor gives other numbers there).

    >>> from tinygrad_bn import arange
    >>> arange(9).as_strided((3, 3), (1, 3)).tolist()
    [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    """
    size, stride = tuple(int(n) for n in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"as_strided: mismatch in length of strides and shape, got size {size} and stride {stride}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    xp = input.xp
    positions = xp.full(size, int(storage_offset), dtype=xp.int64)
    for axis, (length, step) in enumerate(zip(size, stride, strict=True)):
        positions = positions + xp.arange(length, dtype=xp.int64).reshape((-1,) + (1,) * (len(size) - axis - 1)) * step
    needed = int(positions.max()) + 1 if positions.size else 0
    if needed > input.numel():
        raise RuntimeError(f"as_strided: sizes {list(size)}, strides {list(stride)} and storage offset "
                           f"{storage_offset} reach element {needed - 1}, out of bounds for a tensor of "
                           f"{input.numel()} elements")
    return take(input, Tensor._wrap(positions, input._backend, None))


def take_along_dim(x, indices, dim=None):
    """PyTorch's ``take_along_dim``: the elements at ``indices`` along ``dim``, the other
    axes of ``x`` and ``indices`` broadcast together (:func:`~tinygrad_bn.ops.indexing.gather`
    with broadcasting); with ``dim`` None, of the flattened ``x`` at the flattened indices.

    >>> from tinygrad_bn import tensor
    >>> x = tensor([[10, 30, 20], [60, 40, 50]])
    >>> x.take_along_dim(x.argsort(dim=1), dim=1).tolist(), x.take_along_dim(tensor([5, 0])).tolist()
    ([[10, 20, 30], [40, 50, 60]], [50, 10])
    """
    if dim is None:
        return take(x, indices.reshape(-1))
    if indices.ndim != x.ndim:
        raise ShapeError(f"take_along_dim expects indices of the input's {x.ndim} dimensions, got shape "
                         f"{indices.shape}")
    dim = normalize_axis(dim, x.ndim, "dim")
    index = _checked_index("take_along_dim", indices, x, dim)
    others = broadcast_shapes(_without(x.shape, dim), _without(index.shape, dim))
    if others is None:
        raise ShapeError(f"take_along_dim along dim {dim}: shapes {x.shape} and {indices.shape} do not broadcast "
                         f"off dim {dim}")
    x = x.broadcast_to(_with(others, dim, x.shape[dim]))
    return gather(x, dim, constant(x.xp.broadcast_to(index, _with(others, dim, index.shape[dim])), x))


def _without(shape: tuple, dim: int) -> tuple:
    return shape[:dim] + (1,) + shape[dim + 1:]


def _with(shape: tuple, dim: int, length: int) -> tuple:
    return shape[:dim] + (length,) + shape[dim + 1:]


def masked_select(x, mask):
    """PyTorch's ``masked_select``: the elements of ``x`` where the boolean ``mask`` is
    true (the two broadcast together), as a 1-d tensor in row-major order.

    >>> from tinygrad_bn import tensor
    >>> x = tensor([[1.0, -2.0], [-3.0, 4.0]])
    >>> x.masked_select(x > 0).tolist(), x.masked_select(tensor([True, False])).tolist()
    ([1.0, 4.0], [1.0, -3.0])
    """
    if not isinstance(mask, Tensor):
        mask = Tensor(mask, device=x.device)
    if mask.dtype != bool:
        raise DtypeError(f"masked_select expects a boolean mask, got dtype {mask.dtype}")
    x, mask = broadcast_tensors(x, mask)
    return x[mask]


def masked_scatter(x, mask, source):
    """PyTorch's ``masked_scatter``: ``x`` with the places where the boolean ``mask`` is
    true (the two broadcast together) filled, in row-major order, by the first elements
    of ``source`` (read flattened, of x's dtype, with at least as many elements as the
    mask has trues). The gradient reaches ``x`` elsewhere and those first elements.

    >>> from tinygrad_bn import arange, tensor, zeros
    >>> zeros(2, 3).masked_scatter(tensor([True, False, True]), arange(10.0)).tolist()
    [[0.0, 0.0, 1.0], [2.0, 0.0, 3.0]]
    """
    if not isinstance(mask, Tensor) or mask.dtype != bool:
        given = f"dtype {mask.dtype}" if isinstance(mask, Tensor) else type(mask).__name__
        raise DtypeError(f"masked_scatter expects a boolean mask Tensor, got {given}")
    if not isinstance(source, Tensor) or source.dtype != x.dtype:
        given = f"dtype {source.dtype}" if isinstance(source, Tensor) else type(source).__name__
        raise DtypeError(f"masked_scatter expects a source Tensor of the input's dtype {x.dtype}, got {given}")
    x, mask = broadcast_tensors(x, mask)
    count = int(mask.sum().item())
    if source.numel() < count:
        raise ShapeError(f"masked_scatter: source has {source.numel()} elements, fewer than the {count} trues of "
                         "the mask")
    return SetItem.apply(x, source.reshape(-1)[:count], index=mask._data)


def masked_scatter_(self, mask, source):
    """self ← :func:`masked_scatter` of it (``mask`` broadcast to self's shape)."""
    return _change(self, source, "masked_scatter_", lambda x: masked_scatter(x, mask, source))


def slice_scatter(x, src, dim: int = 0, start=None, end=None, step: int = 1):
    """PyTorch's ``slice_scatter``: ``x`` with the slice start:end:step along ``dim``
    replaced by ``src`` (of that slice's shape, cast to x's dtype).

    >>> from tinygrad_bn import ones, zeros
    >>> zeros(2, 4).slice_scatter(ones(2, 2), dim=1, start=1, end=3).tolist()
    [[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]
    """
    if step <= 0:
        raise ArgumentError(f"slice_scatter expects a positive step, got {step}")
    dim = normalize_axis(dim, x.ndim, "dim")
    return written("slice_scatter", x, src, (slice(None),) * dim + (slice(start, end, step),))


def select_scatter(x, src, dim: int, index: int):
    """PyTorch's ``select_scatter``: ``x`` with ``x.select(dim, index)`` replaced by
    ``src`` (of that slice's shape, cast to x's dtype).

    >>> from tinygrad_bn import ones, zeros
    >>> zeros(2, 3).select_scatter(ones(3), 0, -1).tolist()
    [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
    """
    dim = normalize_axis(dim, x.ndim, "dim")
    length = x.shape[dim]
    if not -length <= index < length:
        raise IndexError(f"select_scatter expects an index in [{-length}, {length}) for dim {dim} of size {length}, "
                         f"got {index}")
    return written("select_scatter", x, src, (slice(None),) * dim + (index,))


def written(name: str, x, src, place: tuple, part: str = "slice"):
    """``x`` with ``src`` written at ``place`` (an index of x), which must have src's shape."""
    target = x._data[place].shape
    if src.shape != target:
        raise ShapeError(f"{name} expects src of the {part}'s shape {target}, got {src.shape}")
    return SetItem.apply(x, src.astype(x.dtype), index=place)


def _int64_index(name: str, index, x):
    """``index`` as an int64 array within the length of the 1-d ``x``."""
    if isinstance(index, Tensor) and index.dtype != "int64":
        raise DtypeError(f"{name} expects an int64 index, got dtype {index.dtype}")
    return _checked_index(name, index, x, 0)
