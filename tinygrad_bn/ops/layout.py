"""The same elements laid out anew, with PyTorch's names: axes moved (``movedim``),
a slice of one axis (``narrow``, ``select``), one axis split in several
(``unflatten``) or cut into pieces (``tensor_split``, ``hsplit``, ``vsplit``,
``dsplit``), the tensor tiled (``tile``) or
its elements repeated in place (``repeat_interleave``), rotated and mirrored
(``rot90``, ``fliplr``, ``flipud``).

Each is written with reshapes, permutations, slicing and indexing, so the engine
derives its gradients of any order.
"""

from __future__ import annotations

import math
import operator

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.ops.axes import normalize_axis
from tinygrad_bn.ops.pieces import flip, repeat
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.shape import flatten, permute, reshape, transpose


def movedim(x, source, destination):
    """PyTorch's ``movedim`` (also ``moveaxis``): the axes ``source`` (an int or a
    sequence) moved to the positions ``destination``, the other axes keeping their order.

    >>> from tinygrad_bn import zeros
    >>> zeros(2, 3, 4).movedim(0, -1).shape, zeros(2, 3, 4).movedim((0, 1), (2, 0)).shape
    ((3, 4, 2), (3, 4, 2))
    """
    sources, destinations = _dims("source", source, x.ndim), _dims("destination", destination, x.ndim)
    if len(sources) != len(destinations):
        raise ArgumentError(f"movedim expects as many destination dims as source dims, got source {source!r} "
                            f"and destination {destination!r}")
    order = [None] * x.ndim
    for s, d in zip(sources, destinations):
        order[d] = s
    rest = iter(d for d in range(x.ndim) if d not in sources)
    return permute(x, *(next(rest) if s is None else s for s in order))


moveaxis = movedim
swapdims = transpose


def _dims(word: str, dims, ndim: int) -> list:
    """``dims`` (an int or a sequence) as non-negative axes of a tensor of ``ndim`` axes, none repeated."""
    dims = [dims] if isinstance(dims, int) else list(dims)
    normalized = [normalize_axis(d, ndim, "dim") for d in dims]
    if len(set(normalized)) != len(normalized):
        raise ArgumentError(f"movedim: {word} {dims} repeats a dim")
    return normalized


def narrow(x, dim: int, start, length: int):
    """PyTorch's ``narrow``: ``length`` elements along ``dim`` from ``start`` (an int or a
    0-d tensor; negative counts from the end).

    >>> from tinygrad_bn import arange
    >>> arange(6).reshape(2, 3).narrow(1, -2, 2).tolist()
    [[1, 2], [4, 5]]
    """
    dim = normalize_axis(dim, x.ndim, "dim")
    size, start = x.shape[dim], operator.index(start)
    if not -size <= start <= size:
        raise IndexError(f"narrow: start {start} is out of range for dim {dim} of size {size}: "
                         f"expected one in [{-size}, {size}]")
    start += size if start < 0 else 0
    if length < 0 or start + length > size:
        raise ShapeError(f"narrow: start {start} + length {length} goes past the end of dim {dim} of size {size}")
    return x[(slice(None),) * dim + (slice(start, start + length),)]


def narrow_copy(x, dim: int, start, length: int):
    """PyTorch's ``narrow_copy``: :func:`narrow`, as a tensor of its own."""
    return narrow(x, dim, start, length).clone()


def select(x, dim: int, index: int):
    """PyTorch's ``select``: the slice at ``index`` along ``dim``, that axis removed
    (``x.select(1, i)`` is ``x[:, i]``).

    >>> from tinygrad_bn import arange
    >>> arange(6).reshape(2, 3).select(1, -1).tolist()
    [2, 5]
    """
    if x.ndim == 0:
        raise IndexError("select needs a tensor of at least one dimension, got shape ()")
    dim = normalize_axis(dim, x.ndim, "dim")
    index, size = operator.index(index), x.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select: index {index} is out of range for dim {dim} of size {size} "
                         f"(a tensor of shape {x.shape}): expected one in [{-size}, {size - 1}]")
    return x[(slice(None),) * dim + (index,)]


def unflatten(x, dim: int, sizes):
    """PyTorch's ``unflatten``: axis ``dim`` split into axes of ``sizes`` (one may be -1),
    the inverse of ``flatten``.

    >>> from tinygrad_bn import zeros
    >>> zeros(2, 12).unflatten(1, (3, -1)).shape
    (2, 3, 4)
    """
    dim = normalize_axis(dim, x.ndim, "dim")
    sizes = tuple(int(n) for n in sizes)
    known = math.prod(n for n in sizes if n != -1)
    fits = sizes and sizes.count(-1) <= 1 and (
        known == x.shape[dim] if -1 not in sizes else known and x.shape[dim] % known == 0)
    if not fits:
        raise ShapeError(f"unflatten: sizes {sizes} do not multiply up to the length {x.shape[dim]} of dim {dim} "
                         f"of a tensor of shape {x.shape} (give at least one size, at most one -1)")
    return reshape(x, *x.shape[:dim], *sizes, *x.shape[dim + 1:])


def ravel(x):
    """PyTorch's ``ravel``: the elements as one axis, in row-major order.

    >>> from tinygrad_bn import arange
    >>> arange(4).reshape(2, 2).t().ravel().tolist()
    [0, 2, 1, 3]
    """
    return flatten(x)


def tensor_split(x, indices_or_sections, dim: int = 0) -> tuple:
    """PyTorch's ``tensor_split``: ``n`` pieces along ``dim`` (the first ``length % n``
    one longer), or the pieces between the given indices (Python's slices, so an
    index past the end or before the previous one gives an empty piece). A tensor
    argument counts as the one or the other when it is 0-d or 1-d.

    >>> from tinygrad_bn import arange
    >>> [t.tolist() for t in arange(7).tensor_split(3)], [t.tolist() for t in arange(7).tensor_split([1, 5])]
    ([[0, 1, 2], [3, 4], [5, 6]], [[0], [1, 2, 3, 4], [5, 6]])
    """
    dim = normalize_axis(dim, x.ndim, "dim")
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = _split_tensor(indices_or_sections)
    if isinstance(indices_or_sections, (tuple, list)):
        bounds = [None, *(operator.index(i) for i in indices_or_sections), None]
    else:
        sections, length = operator.index(indices_or_sections), x.shape[dim]
        if sections <= 0:
            raise ArgumentError(f"tensor_split expects a positive number of sections, got {sections}")
        size, longer = divmod(length, sections)
        bounds = [i * size + min(i, longer) for i in range(sections + 1)]
    lead = (slice(None),) * dim
    return tuple(x[lead + (slice(start, end),)] for start, end in zip(bounds, bounds[1:]))


def _directional_split(name: str, dim: int, least: int):
    """PyTorch's ``hsplit``/``vsplit``/``dsplit``: :func:`tensor_split` along ``dim``
    of a tensor of at least ``least`` axes, a number of sections dividing it evenly."""

    def function(input, indices_or_sections):  # noqa: A002 - PyTorch's argument name
        if input.ndim < least:
            raise ShapeError(f"torch.{name} requires a tensor with at least {least} dimension, but got a tensor "
                             f"with {input.ndim} dimensions!")
        axis = 0 if name == "hsplit" and input.ndim == 1 else dim
        if not isinstance(indices_or_sections, (tuple, list, Tensor)):
            sections, length = operator.index(indices_or_sections), input.shape[axis]
            if sections <= 0 or length % sections:
                raise ArgumentError(f"torch.{name} attempted to split along dimension {axis}, but the size of the "
                                    f"dimension {length} is not divisible by the split_size {sections}!")
        return tensor_split(input, indices_or_sections, axis)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"PyTorch's ``{name}``: :func:`tensor_split` along dim {dim}"
                        f"{' (dim 0 of a 1-d tensor)' if name == 'hsplit' else ''}; a number of sections "
                        "must divide that dimension.")
    return function


hsplit = _directional_split("hsplit", 1, 1)
vsplit = _directional_split("vsplit", 0, 2)
dsplit = _directional_split("dsplit", 2, 3)


def _split_tensor(t):
    """A tensor of split points (1-d) or a number of sections (0-d), as ``tensor_split`` reads it."""
    if t.dtype != "int64" or t.ndim > 1:
        raise DtypeError(f"tensor_split expects an int64 tensor of 0 or 1 dimensions, got dtype {t.dtype} "
                         f"and shape {t.shape}")
    return t.tolist()


def tile(x, *dims):
    """PyTorch's ``tile``: as :func:`~tinygrad_bn.ops.pieces.repeat`, but fewer ``dims``
    than axes repeat the last axes (the first ones once).

    >>> from tinygrad_bn import tensor
    >>> tensor([[1, 2]]).tile(2).tolist(), tensor([1, 2]).tile((2, 1)).tolist()
    ([[1, 2, 1, 2]], [[1, 2], [1, 2]])
    """
    dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    return repeat(x, (1,) * (x.ndim - len(dims)) + tuple(dims))


def repeat_interleave(x, repeats=None, dim=None, *, output_size=None):
    """PyTorch's ``repeat_interleave``: each slice along ``dim`` repeated in place
    ``repeats`` times (an int, or a tensor of one count per slice), of the flattened
    tensor when ``dim`` is None; ``repeat_interleave(counts)`` alone repeats 0, 1, 2, ...

    >>> from tinygrad_bn import tensor
    >>> tensor([1, 2]).repeat_interleave(2).tolist(), tensor([[1, 2]]).repeat_interleave(tensor([1, 2]), dim=1).tolist()
    ([1, 1, 2, 2], [[1, 2, 2]])
    """
    if repeats is None:  # the counts alone: 0, 1, 2, ... each repeated its count
        x, repeats = constant(x.xp.arange(len(x)), x), x
    if dim is None:
        x, dim = flatten(x), 0
    dim = normalize_axis(dim, x.ndim, "dim")
    counts = _counts(repeats, x.shape[dim], dim)
    if output_size is not None and output_size != sum(counts):
        raise ArgumentError(f"repeat_interleave: output_size={output_size} but the repeats add up to {sum(counts)}")
    places = x.xp.repeat(x.xp.arange(x.shape[dim]), counts)
    return x[(slice(None),) * dim + (places,)]


def _counts(repeats, length: int, dim: int) -> list:
    """How often each of the ``length`` slices along ``dim`` is repeated, as a list of ints."""
    if isinstance(repeats, Tensor):
        if repeats.dtype.kind not in "iu" or repeats.ndim > 1:
            raise DtypeError(f"repeat_interleave expects an int or an integer tensor of 0 or 1 dimensions as "
                             f"repeats, got dtype {repeats.dtype} and shape {repeats.shape}")
        repeats = repeats.tolist()
    counts = [operator.index(repeats)] * length if not isinstance(repeats, list) else repeats
    if len(counts) == 1:
        counts = counts * length
    if len(counts) != length:
        raise ShapeError(f"repeat_interleave expects one repeat per slice along dim {dim} ({length}), "
                         f"got {len(counts)}")
    if any(n < 0 for n in counts):
        raise ArgumentError(f"repeat_interleave expects repeats >= 0, got {repeats}")
    return counts


def rot90(x, k: int = 1, dims=(0, 1)):
    """PyTorch's ``rot90``: the plane of axes ``dims`` turned ``k`` quarter turns, from
    the first axis towards the second (as ``numpy.rot90``).

    >>> from tinygrad_bn import tensor
    >>> tensor([[1, 2], [3, 4]]).rot90().tolist()
    [[2, 4], [1, 3]]
    """
    if len(dims) != 2 or x.ndim < 2:
        raise ArgumentError(f"rot90 expects two dims of a tensor of at least 2 dimensions, got dims {dims} "
                            f"and shape {x.shape}")
    first, second = (normalize_axis(d, x.ndim, "dim") for d in dims)
    if first == second:
        raise ArgumentError(f"rot90 expects two different dims, got {dims}")
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return flip(x, first, second)
    # a quarter turn: out[i, j] = x[j, n − 1 − i], columns reversed then transposed (three: rows reversed)
    return transpose(flip(x, second if k == 1 else first), first, second)


def fliplr(x):
    """PyTorch's ``fliplr``: the columns (axis 1) in reverse order; at least 2-d (see :func:`flipud`)."""
    if x.ndim < 2:
        raise ShapeError(f"fliplr expects a tensor of at least 2 dimensions, got shape {x.shape}")
    return flip(x, 1)


def flipud(x):
    """PyTorch's ``flipud``: the rows (axis 0) in reverse order; at least 1-d.

    >>> from tinygrad_bn import tensor
    >>> tensor([[1, 2], [3, 4]]).flipud().tolist(), tensor([[1, 2], [3, 4]]).fliplr().tolist()
    ([[3, 4], [1, 2]], [[2, 1], [4, 3]])
    """
    if x.ndim < 1:
        raise ShapeError(f"flipud expects a tensor of at least 1 dimension, got shape {x.shape}")
    return flip(x, 0)


def sliding_windows(x, dimension: int, size: int, step: int):
    """PyTorch's ``Tensor.unfold``: the windows of ``size`` elements, ``step`` apart,
    along ``dimension``, which then counts the windows; the window's elements are a new
    last axis. (Here a copy, whose gradient adds back into x; PyTorch's is a view.)

    >>> from tinygrad_bn import arange
    >>> arange(7).unfold(0, 3, 2).tolist()
    [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    """
    dim = normalize_axis(dimension, max(x.ndim, 1), "dimension")
    length = x.shape[dim] if x.ndim else 1
    if step <= 0 or size < 0 or size > length:
        raise RuntimeError(f"unfold expects 0 <= size <= {length} (the length of dimension {dim}) and step > 0, "
                           f"got size={size} and step={step}")
    starts = x.xp.arange((length - size) // step + 1) * step
    places = starts.reshape(-1, 1) + x.xp.arange(size).reshape(1, -1)  # (windows, size)
    windows = movedim(x.reshape(1) if not x.ndim else x, dim, -1)[..., places]
    return movedim(windows, -2, dim)
