"""Questions about values, answered outside the graph (no gradient), with PyTorch's
names: how many are nonzero (``count_nonzero``), how many fall in each bin
(``histc``), whether they are among others (``isin``), and where they would go in
a sorted sequence (``searchsorted``, ``bucketize``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.ops.axes import NOT_GIVEN, dim_words, normalize_axes
from tinygrad_bn.ops.promotion import constant, lift


def count_nonzero(x, dim=None, *, axis=NOT_GIVEN):
    """PyTorch's ``count_nonzero``: how many elements are not zero along ``dim`` (an int or
    a tuple; all by default), int64.

    >>> from tinygrad_bn import tensor
    >>> x = tensor([[0, 1, 2], [3, 0, 0]])
    >>> x.count_nonzero().item(), x.count_nonzero(dim=1).tolist()
    (3, [2, 1])
    """
    dim, _ = dim_words("count_nonzero", NOT_GIVEN if dim is None else dim, NOT_GIVEN, axis)
    axes = normalize_axes(dim, x.ndim)
    return constant((x._data != 0).sum(axis=axes).astype("int64"), x)


def histc(x, bins: int = 100, min=0, max=0):  # noqa: A002 - PyTorch's argument names
    """PyTorch's ``histc``: how many elements fall in each of ``bins`` equal bins between
    ``min`` and ``max`` (the last bin includes ``max``; elements outside are not counted),
    in x's floating dtype. With ``min`` equal to ``max`` the data's own range is used
    (widened by 1 on each side if that is one value).

    >>> from tinygrad_bn import tensor
    >>> tensor([1.0, 2.0, 1.0, 4.0]).histc(bins=4, min=0, max=3).tolist()
    [0.0, 2.0, 1.0, 0.0]
    """
    if x.dtype.kind != "f":
        raise DtypeError(f"histc expects a floating tensor, got dtype {x.dtype}")
    if bins <= 0:
        raise ArgumentError(f"histc expects bins > 0, got {bins}")
    low, high = float(min), float(max)
    if low == high and x.size:
        low, high = float(x._data.min()), float(x._data.max())
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ArgumentError(f"histc needs a finite range, got [{low}, {high}]")
    if low > high:
        raise ArgumentError(f"histc expects max >= min, got min={min} and max={max}")
    counts, _ = x.xp.histogram(x._data, bins=bins, range=(low, high))
    return constant(counts.astype(x.dtype), x)


class Histogram(NamedTuple):
    """``torch.return_types.histogram``: the counts (or weights, or densities) and the
    bins' edges."""

    hist: object
    bin_edges: object


def histogram(x, bins=100, *, range=None, weight=None, density: bool = False):  # noqa: A002 - PyTorch's names
    """PyTorch's ``histogram``: how many elements (or how much ``weight``) fall in each
    bin, and the bins' edges: ``bins`` equal bins over ``range`` (the data's own by
    default, widened by ½ on each side if that is one value), or the edges given as a
    1-d tensor. With ``density`` the counts are divided by their total and the
    bins' widths. The last bin includes its right edge.

    >>> from tinygrad_bn import tensor
    >>> hist, edges = tensor([1.0, 2.0, 1.0, 4.0]).histogram(bins=3, range=(0.0, 6.0))
    >>> hist.tolist(), edges.tolist()  # 1 and 1 in [0, 2), 2 in [2, 4), 4 in [4, 6]
    ([2.0, 1.0, 1.0], [0.0, 2.0, 4.0, 6.0])
    """
    if x.dtype.kind != "f":
        raise DtypeError(f"histogram expects a floating tensor, got dtype {x.dtype}")
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.shape[0] < 2:
            raise ShapeError(f"histogram expects bin edges as a 1-d tensor of 2 or more values, got shape {bins.shape}")
        if bins.dtype != x.dtype:
            raise DtypeError(f"histogram expects bin edges of the input's dtype {x.dtype}, got {bins.dtype}")
        bins = bins._data
    elif bins <= 0:
        raise ArgumentError(f"histogram expects bins > 0, got {bins}")
    if range is not None and not range[0] <= range[1]:
        raise ArgumentError(f"histogram expects range (min, max) with min <= max, got {tuple(range)}")
    if weight is not None and weight.shape != x.shape:
        raise ShapeError(f"histogram expects a weight of the input's shape {x.shape}, got {weight.shape}")
    counts, edges = x.xp.histogram(x._data, bins=bins, range=range, density=density,
                                   weights=None if weight is None else weight._data)
    return Histogram(constant(counts.astype(x.dtype), x), constant(edges.astype(x.dtype), x))


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """PyTorch's ``isin``: whether each element is among ``test_elements`` (either may be
    a number), in the shape of ``elements``; the opposite with ``invert``.

    >>> from tinygrad_bn import tensor
    >>> isin(tensor([1, 2, 3]), tensor([2, 5])).tolist(), isin(tensor([1, 2, 3]), 2, invert=True).tolist()
    ([False, True, False], [True, False, True])
    """
    like = elements if isinstance(elements, Tensor) else test_elements
    elements, test_elements = lift(elements, like), lift(test_elements, like)
    found = like.xp.isin(elements._data, test_elements._data, assume_unique=assume_unique, invert=invert)
    return constant(found, like)


def searchsorted(sorted_sequence, values, *, out_int32: bool = False, right: bool = False, side=None,
                 sorter=None):
    """PyTorch's ``searchsorted``: where each of ``values`` would go in ``sorted_sequence``
    to keep it sorted: the first such place (``right=True`` or ``side="right"``: the
    last). A sequence of several rows is searched row by row, with ``values`` of as many
    rows; ``sorter`` gives the order of an unsorted sequence.

    >>> from tinygrad_bn import tensor
    >>> searchsorted(tensor([1, 3, 5, 7]), tensor([3, 6, 9])).tolist()
    [1, 3, 4]
    >>> searchsorted(tensor([1, 3, 5]), 3).item(), searchsorted(tensor([1, 3, 5]), 3, right=True).item()
    (1, 2)
    """
    side = _side(right, side)
    xp = sorted_sequence.xp
    if sorter is not None:
        sorted_sequence = constant(xp.take_along_axis(sorted_sequence._data, sorter._data, axis=-1), sorted_sequence)
    scalar = not isinstance(values, Tensor)
    values = lift(values, sorted_sequence)
    if sorted_sequence.ndim > 1 and sorted_sequence.shape[:-1] != values.shape[:-1]:
        raise ShapeError(f"searchsorted expects a 1-d sequence, or values whose leading axes match those of the "
                         f"sequence, got sequence {sorted_sequence.shape} and values {values.shape}")
    if sorted_sequence.ndim == 1 or scalar:
        places = xp.searchsorted(sorted_sequence._data, values._data, side=side)
    else:
        rows = sorted_sequence._data.reshape(-1, sorted_sequence.shape[-1])
        found = [xp.searchsorted(row, v, side=side) for row, v in zip(rows, values._data.reshape(len(rows), -1))]
        places = xp.stack(found).reshape(values.shape) if found else xp.zeros(values.shape, dtype="int64")
    return constant(places.astype("int32" if out_int32 else "int64"), sorted_sequence)


def bucketize(x, boundaries, *, out_int32: bool = False, right: bool = False):
    """PyTorch's ``bucketize``: the index of the bucket of each element among the sorted
    1-d ``boundaries``: i with boundaries[i − 1] < x ≤ boundaries[i] (with ``right``,
    boundaries[i − 1] ≤ x < boundaries[i]), as :func:`searchsorted`.

    >>> from tinygrad_bn import tensor
    >>> bucketize(tensor([0, 3, 6, 9]), tensor([1, 3, 5, 7])).tolist()
    [0, 1, 3, 4]
    """
    if boundaries.ndim != 1:
        raise ShapeError(f"bucketize expects 1-d boundaries, got shape {boundaries.shape}")
    return searchsorted(boundaries, x, out_int32=out_int32, right=right)


def _side(right: bool, side) -> str:
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right") or (side == "left" and right):
        raise ArgumentError(f"searchsorted expects side 'left' or 'right', agreeing with right={right}, got {side!r}")
    return side
