"""Shape primitives: reshape, permute (transpose), broadcast, indexing,
concatenation, padding and copies. Their gradients only
move numbers around. PyTorch's names for reshapes (``flatten``, ``unsqueeze``,
``squeeze``, ``expand``, ``view``, ``t``) and for concatenation (``cat``) are
spelled with these."""

from __future__ import annotations

import functools
import math

import numpy

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.dtypes import promote_types
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.ops.axes import NOT_GIVEN, dim_words, normalize_axes, normalize_axis
from tinygrad_bn.ops.layouts import laid_out, lies_in, memory_order, preserve_format
from tinygrad_bn.ops.promotion import broadcast_shapes


class Reshape(Function):
    def forward(self, x, shape):
        self.input_shape = x.shape
        self.output_views(x)
        return x._data.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.input_shape)


class Transpose(Function):
    def forward(self, x, axes):
        self.axes = axes
        self.output_views(x)
        return x._data.transpose(axes)

    def backward(self, grad):
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return grad.permute(inverse)


class BroadcastTo(Function):
    def forward(self, x, shape):
        self.input_shape = x.shape
        self.output_views(x)
        return x.xp.broadcast_to(x._data, shape)

    def backward(self, grad):
        return grad.sum_to(self.input_shape)


class SumTo(Function):
    """Sum a broadcast array back down to ``shape`` (the adjoint of BroadcastTo)."""

    def forward(self, x, shape):
        self.input_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
        )
        return x._data.sum(axis=axes, keepdims=True).reshape(shape)

    def backward(self, grad):
        return grad.broadcast_to(self.input_shape)


class GetItem(Function):
    def forward(self, x, index):
        self.input_shape = x.shape
        self.index = index
        if not _is_advanced(index):  # basic indexing gives a view
            self.output_views(x)
        return x._data[index]

    def backward(self, grad):
        return ScatterAdd.apply(grad, index=self.index, shape=self.input_shape)


class ScatterAdd(Function):
    """Zeros of ``shape`` with ``values`` added at ``index`` (the adjoint of indexing):
    an element picked twice gets both gradients."""

    def forward(self, values, index, shape):
        self.index = index
        out = values.xp.zeros(shape, dtype=values.dtype)
        if _is_advanced(index):
            self.backend.scatter_add(out, index, values._data)
        else:
            out[index] = values._data
        return out

    def backward(self, grad):
        return grad[self.index]


class Concatenate(Function):
    def forward(self, *tensors, axis):
        self.sizes = [t.shape[axis] for t in tensors]
        self.axis = axis
        return tensors[0].xp.concatenate([t._data for t in tensors], axis=axis)

    def backward(self, grad):
        lead = (slice(None),) * (self.axis % grad.ndim)
        pieces, start = [], 0
        for size in self.sizes:
            pieces.append(grad[lead + (slice(start, start + size),)])
            start += size
        return tuple(pieces)


class Pad(Function):
    def forward(self, x, pad_width, value):
        self.middle = tuple(slice(before, before + n) for n, (before, _) in zip(x.shape, pad_width))  # x's place
        # filled, then the input written into its middle: 1.5-6x faster than numpy.pad on (64, C, H, W) images
        padded = x.xp.full(tuple(before + n + after for n, (before, after) in zip(x.shape, pad_width)), value,
                           dtype=x.dtype)
        padded[self.middle] = x._data
        return padded

    def backward(self, grad):
        return grad[self.middle]


class Clone(Function):
    """A copy; with ``order`` (see :mod:`~tinygrad_bn.ops.layouts`) one whose memory runs
    through the axes in that order."""

    def forward(self, x, order=None):
        if order is None:
            return x._data.copy()
        if lies_in(x._data, order):
            return x._data.copy(order="K")
        return laid_out(x._data, order, x._backend.contiguous)

    def backward(self, grad):
        return grad


# Functions --------------------------------------------------------------------------


def reshape(x, *shape):
    """The same elements in a new shape; one dimension may be -1."""
    shape = _shape_argument(shape)
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1:
        raise ShapeError(f"cannot reshape tensor of shape {x.shape} into shape {shape}: more than one -1")
    if -1 in shape:
        if known == 0 or x.size % known:
            raise ShapeError(
                f"cannot reshape tensor of shape {x.shape} ({x.size} elements) into shape {shape}"
            )
        shape = tuple(x.size // known if n == -1 else n for n in shape)
    elif known != x.size:
        raise ShapeError(f"cannot reshape tensor of shape {x.shape} ({x.size} elements) into shape {shape}")
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=shape)


def permute(x, *dims):
    """Reorder the axes: axis i of the result is axis ``dims[i]`` of ``x``.

    >>> from tinygrad_bn import zeros
    >>> zeros(2, 3, 4).permute(2, 0, 1).shape
    (4, 2, 3)
    """
    dims = _shape_argument(dims)
    if len(dims) != x.ndim or sorted(d % x.ndim if -x.ndim <= d < x.ndim else -1 for d in dims) != list(range(x.ndim)):
        raise ShapeError(f"permute: {dims} is not a permutation of the {x.ndim} dims of a tensor of shape {x.shape}")
    return Transpose.apply(x, axes=tuple(d % x.ndim for d in dims))


def transpose(x, dim0: int, dim1: int):
    """PyTorch's ``transpose``: exchange the two axes ``dim0`` and ``dim1``.

    >>> from tinygrad_bn import zeros
    >>> zeros(2, 3, 4).transpose(0, 2).shape
    (4, 3, 2)
    """
    a, b = normalize_axis(dim0, x.ndim, "dim"), normalize_axis(dim1, x.ndim, "dim")
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return Transpose.apply(x, axes=tuple(axes))


swapaxes = transpose


def t(x):
    """PyTorch's ``t()``: a matrix with its two axes exchanged; a 0-d or 1-d tensor as it is.

    >>> from tinygrad_bn import Tensor
    >>> Tensor([[1.0, 2.0, 3.0]]).t().shape, Tensor([1.0, 2.0]).t().shape
    ((3, 1), (2,))
    """
    if x.ndim > 2:
        raise ShapeError(
            f"t() expects a tensor of at most 2 dimensions, got shape {x.shape}; "
            "use permute(*dims) to reorder its axes or transpose(a, b) to exchange two"
        )
    return transpose(x, 0, 1) if x.ndim == 2 else x


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim`` .. ``end_dim`` into one (PyTorch's ``flatten``)."""
    ndim = x.ndim or 1
    start, end = normalize_axis(start_dim, ndim), normalize_axis(end_dim, ndim)
    if start > end:
        raise ShapeError(
            f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a tensor of shape {x.shape}"
        )
    return reshape(x, *x.shape[:start], -1, *x.shape[end + 1:])


def unsqueeze(x, dim: int):
    """A new axis of length 1 at position ``dim`` (of the result)."""
    dim = normalize_axis(dim, x.ndim + 1)
    return reshape(x, *x.shape[:dim], 1, *x.shape[dim:])


def squeeze(x, dim=None):
    """Drop the axes of length 1 (only ``dim``, an int or a tuple, when given;
    axes named there that are not of length 1 stay, as in PyTorch)."""
    axes = range(x.ndim) if dim is None else normalize_axes(dim, x.ndim)
    dropped = {a for a in axes if x.shape[a] == 1}
    return reshape(x, *(n for a, n in enumerate(x.shape) if a not in dropped))


def expand(x, *sizes):
    """PyTorch's ``expand``: broadcast to ``sizes``, where -1 keeps an axis's length."""
    sizes = _shape_argument(sizes)
    if len(sizes) < x.ndim:
        raise ShapeError(f"expand: {sizes} has fewer axes than a tensor of shape {x.shape}")
    own = (None,) * (len(sizes) - x.ndim) + x.shape
    if any(n == -1 and length is None for n, length in zip(sizes, own)):
        raise ValueError(f"expand: -1 in {sizes} names a new leading axis; give its length")
    return broadcast_to(x, tuple(length if n == -1 else n for n, length in zip(sizes, own)))


def broadcast_to(x, shape):
    shape = tuple(shape)
    if broadcast_shapes(x.shape, shape) != shape:
        raise ShapeError(f"cannot broadcast a tensor of shape {x.shape} to shape {shape}")
    if shape == x.shape:
        return x
    return BroadcastTo.apply(x, shape=shape)


def sum_to(x, shape):
    """Sum ``x`` down to ``shape``, the shape it was broadcast from."""
    shape = tuple(shape)
    if broadcast_shapes(shape, x.shape) != x.shape:
        raise ShapeError(f"cannot sum a tensor of shape {x.shape} down to shape {shape}")
    if shape == x.shape:
        return x
    return SumTo.apply(x, shape=shape)


def getitem(x, index):
    """``x[index]``: slices, integers, None, Ellipsis, boolean masks and integer arrays.
    Integers beside index arrays are taken first, as PyTorch takes them (see
    :func:`integers_first`)."""
    index = _index_argument(index)
    steps = integers_first(index)
    if steps is None:
        return GetItem.apply(x, index=index)
    selected, rest = steps
    return GetItem.apply(GetItem.apply(x, index=selected), index=rest)


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis (NumPy's name; PyTorch's is :func:`cat`)."""
    return _join("concatenate", "axis", tensors, axis)


def cat(tensors, dim=0):
    """PyTorch's ``cat``: join tensors along the existing axis ``dim`` (negative
    counts from the end); their shapes may differ only along ``dim``.

    >>> from tinygrad_bn import Tensor, cat
    >>> a, b = Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]).T
    >>> cat([a, b]).tolist(), cat([a, b], dim=-1).tolist()
    ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0, 3.0, 4.0]])
    """
    return _join("cat", "dim", tensors, dim)


def _join(name: str, word: str, tensors, axis):
    """:func:`concatenate` and :func:`cat`, whose errors speak of ``axis`` or ``dim``."""
    tensors = _tensor_list(name, tensors)
    first = tensors[0]
    if first.ndim == 0:
        raise ShapeError(f"{name} needs tensors of at least one dimension, got shape (); use stack")
    axis = normalize_axis(axis, first.ndim, word)
    for position, t in enumerate(tensors[1:], 1):
        if t.ndim != first.ndim or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis
        ):
            raise ShapeError(
                f"{name} along {word} {axis}: tensor 0 has shape {first.shape} but tensor {position} has "
                f"shape {t.shape}; shapes may differ only along {word} {axis}"
            )
    dtype = functools.reduce(promote_types, (t.dtype for t in tensors))  # PyTorch's: int64 with float32 is float32
    return Concatenate.apply(*(t if t.dtype == dtype else t.astype(dtype) for t in tensors), axis=axis)


def stack(tensors, dim=NOT_GIVEN, *, axis=NOT_GIVEN):
    """Join tensors of one shape along a new axis ``dim`` (0 by default; negative
    counts from the end of the result; ``axis`` is PyTorch's alias).

    >>> from tinygrad_bn import Tensor, stack
    >>> a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    >>> stack([a, b]).tolist(), stack([a, b], dim=-1).tolist()
    ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 3.0], [2.0, 4.0]])
    """
    dim, _ = dim_words("stack", dim, NOT_GIVEN, axis, default=0)
    tensors = _tensor_list("stack", tensors)
    shape = tensors[0].shape
    for t in tensors[1:]:
        if t.shape != shape:
            raise ShapeError(f"stack needs tensors of one shape, got {shape} and {t.shape}")
    dim = normalize_axis(dim, len(shape) + 1, "dim")
    expanded = shape[:dim] + (1,) + shape[dim:]
    return cat([t.reshape(expanded) for t in tensors], dim=dim)


def _tensor_list(name: str, tensors) -> list:
    tensors = list(tensors)
    if not tensors:
        raise ArgumentError(f"{name} needs at least one tensor")  # PyTorch's RuntimeError
    for position, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} expects Tensors, got {type(t).__name__} at position {position}")
    return tensors


def pad(x, pad_width, value=0.0):
    """Pad with a constant; ``pad_width`` is NumPy's ((before, after), ...) per axis."""
    pad_width = tuple((int(b), int(a)) for b, a in pad_width)
    if len(pad_width) != x.ndim:
        raise ShapeError(f"pad: {len(pad_width)} (before, after) pairs for a tensor of shape {x.shape}")
    if any(b < 0 or a < 0 for b, a in pad_width):
        raise ValueError(f"pad: widths must be >= 0, got {pad_width} (F.pad crops with negative ones)")
    return Pad.apply(x, pad_width=pad_width, value=value)


def clone(x, *, memory_format=preserve_format):
    """A copy of the data that stays in the graph, as PyTorch's ``clone``: gradients
    flow back to ``x`` (``detach()`` shares the data and leaves the graph). With a
    ``memory_format`` other than ``preserve_format`` the copy lies in memory that way
    (``preserve_format`` copies in C order here).

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> y = x.clone()
    >>> (y * y).sum().backward()
    >>> y._data is x._data, x.grad.tolist()
    (False, [2.0, 4.0])
    """
    return Clone.apply(x, order=memory_order(memory_format, x.ndim))


def _shape_argument(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def _is_integer(part) -> bool:
    return isinstance(part, (int, numpy.integer)) and not isinstance(part, (bool, numpy.bool_))


def integers_first(index):
    """PyTorch's reading of an index that has both integers and index arrays, as two
    steps: the integers first, a view that drops their axes, then the rest. NumPy reads
    the integers as index arrays of their own, which moves the arrays' axes to the front
    when a slice separates them (``x[0, :, [1, 2]]`` of a (2, 3, 4, 5) tensor is
    (3, 2, 5) in PyTorch, (2, 3, 5) in NumPy). Returns (integers, rest), or None when
    the index has no such mix."""
    parts = index if isinstance(index, tuple) else (index,)
    if not any(_is_integer(p) for p in parts) or not _is_advanced(parts):
        return None
    selected = []
    for part in parts:
        if _is_integer(part) or part is Ellipsis:
            selected.append(part)
        elif part is not None:  # a slice or an index array takes one axis, a boolean mask as many as it has
            mask = getattr(part, "dtype", None) is not None and part.dtype == bool
            selected += [slice(None)] * (part.ndim if mask else 1)
    return tuple(selected), tuple(p for p in parts if not _is_integer(p))


def _index_argument(index):
    if isinstance(index, tuple):
        return tuple(t._data if isinstance(t, Tensor) else t for t in index)
    return index._data if isinstance(index, Tensor) else index


def _is_advanced(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(not isinstance(p, (int, slice, type(None), type(Ellipsis))) for p in parts)
