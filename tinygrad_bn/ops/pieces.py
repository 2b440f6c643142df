"""A tensor cut into pieces along one axis (``split``, ``chunk``), tiled
(``repeat``), and summed cumulatively (``cumsum``). Each is written with slicing,
reshapes and sums, so the engine derives its gradient.
"""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Function
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.ops.axes import normalize_axis
from tinygrad_bn.ops.shape import cat as ops_cat


def split(x, split_size_or_sections, dim: int = 0) -> tuple:
    """PyTorch's ``split``: pieces of ``split_size`` along ``dim`` (the last one
    shorter), or of the given list of sizes.

    >>> from tinygrad_bn import arange
    >>> [t.tolist() for t in arange(5).split(2)], [t.tolist() for t in arange(5).split([1, 4])]
    ([[0, 1], [2, 3], [4]], [[0], [1, 2, 3, 4]])
    """
    dim = normalize_axis(dim, x.ndim, "dim")
    length = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split expects a positive split_size, got {size}")
        sizes = [min(size, length - start) for start in range(0, length, size)] or [0]
    else:
        sizes = [int(n) for n in split_size_or_sections]
        if sum(sizes) != length:
            raise ShapeError(f"split: sizes {sizes} sum to {sum(sizes)}, but dim {dim} has length {length}")
    lead = (slice(None),) * dim
    ends = [sum(sizes[: i + 1]) for i in range(len(sizes))]
    return tuple(x[lead + (slice(end - size, end),)] for size, end in zip(sizes, ends))


def chunk(x, chunks: int, dim: int = 0) -> tuple:
    """PyTorch's ``chunk``: at most ``chunks`` pieces of ⌈length / chunks⌉ along ``dim``.

    >>> from tinygrad_bn import arange
    >>> [t.tolist() for t in arange(5).chunk(2)]
    [[0, 1, 2], [3, 4]]
    """
    if chunks <= 0:
        raise ValueError(f"chunk expects a positive number of chunks, got {chunks}")
    length = x.shape[normalize_axis(dim, x.ndim, "dim")]
    return split(x, max(math.ceil(length / chunks), 1), dim)


def repeat(x, *repeats):
    """PyTorch's ``repeat``: the tensor tiled ``repeats[k]`` times along axis k (more
    repeats than axes add leading axes), in memory of its own. Written as a broadcast,
    so the gradient sums over the copies.

    >>> from tinygrad_bn import tensor
    >>> tensor([1, 2]).repeat(2, 2).tolist()
    [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    if len(repeats) == 1 and isinstance(repeats[0], (tuple, list)):
        repeats = tuple(repeats[0])
    if len(repeats) < x.ndim:
        raise ShapeError(f"repeat needs at least {x.ndim} repeats for a tensor of shape {x.shape}, got {repeats}")
    shape = (1,) * (len(repeats) - x.ndim) + x.shape
    # (s₀, s₁, …) → (1, s₀, 1, s₁, …) → (r₀, s₀, r₁, s₁, …) → (r₀·s₀, r₁·s₁, …)
    spread = tuple(n for size in shape for n in (1, size))
    tiled = tuple(n for r, size in zip(repeats, shape) for n in (r, size))
    tiles = x.reshape(spread).expand(*tiled).reshape(tuple(r * size for r, size in zip(repeats, shape)))
    return tiles.contiguous()  # memory of its own, as PyTorch's: an expanded view cannot be written


class CumSum(Function):
    def forward(self, x, axis):
        self.axis = axis
        return x.xp.cumsum(x._data, axis=axis)

    def backward(self, grad):
        # d/dx_j Σ_i g_i·(x_0 + … + x_i) = Σ_{i ≥ j} g_i: the cumulative sum from the end
        axis = self.axis
        return grad.flip(axis).cumsum(axis).flip(axis)


def cumsum(x, dim: int, *, dtype=None):
    """PyTorch's ``cumsum``: running sums along ``dim``.

    >>> from tinygrad_bn import tensor
    >>> tensor([[1.0, 2.0, 3.0]]).cumsum(dim=1).tolist()
    [[1.0, 3.0, 6.0]]
    """
    if dtype is not None:
        x = x.astype(dtype)
    elif x.dtype.kind in "bi":
        x = x.astype("int64")
    return CumSum.apply(x, axis=normalize_axis(dim, x.ndim or 1, "dim"))


def unbind(x, dim: int = 0) -> tuple:
    """PyTorch's ``unbind``: the slices along ``dim``, that axis removed.

    >>> from tinygrad_bn import arange
    >>> [t.tolist() for t in arange(4).reshape(2, 2).unbind(1)]
    [[0, 2], [1, 3]]
    """
    dim = normalize_axis(dim, x.ndim, "dim")
    return tuple(x[(slice(None),) * dim + (i,)] for i in range(x.shape[dim]))


def roll(x, shifts, dims=None):
    """PyTorch's ``roll``: the elements moved ``shifts`` places along ``dims``, those
    pushed off one end coming back at the other (flattened first when ``dims`` is None).

    >>> from tinygrad_bn import arange
    >>> arange(5).roll(2).tolist(), arange(4).reshape(2, 2).roll(1, 1).tolist()
    ([3, 4, 0, 1, 2], [[1, 0], [3, 2]])
    """
    if dims is None:
        return roll(x.flatten(), shifts, 0).reshape(x.shape)
    shifts, dims = (shifts, dims) if isinstance(shifts, (tuple, list)) else ((shifts,), (dims,))
    if len(shifts) != len(dims):
        raise ShapeError(f"roll: {len(shifts)} shifts for {len(dims)} dims; give one shift per dim")
    for shift, dim in zip(shifts, dims, strict=True):
        dim = normalize_axis(dim, x.ndim, "dim")
        size = x.shape[dim]
        if size == 0:
            continue
        cut = (size - shift % size) % size  # the first element of the result
        if cut:
            head, tail = x.split([cut, size - cut], dim)
            x = ops_cat([tail, head], dim)
    return x


def flip(x, *dims, **dims_by_name):
    """PyTorch's ``flip``: the elements in reverse order along each of ``dims`` (ints,
    one tuple or list of them, or ``dims=`` by name).

    >>> from tinygrad_bn import arange, flip
    >>> arange(3).flip(0).tolist(), flip(arange(4).reshape(2, 2), dims=[0, 1]).tolist()
    ([2, 1, 0], [[3, 2], [1, 0]])
    """
    if dims_by_name:
        if dims or set(dims_by_name) != {"dims"}:
            raise TypeError(f"flip expects dims, once, by position or by name, got {dims} and {dims_by_name}")
        dims = (dims_by_name["dims"],)
    if not dims:
        raise TypeError("flip expects the dims to reverse, got none")
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    reverse = [slice(None)] * x.ndim
    for dim in dims:
        reverse[normalize_axis(dim, x.ndim, "dim")] = slice(None, None, -1)
    return x[tuple(reverse)]
