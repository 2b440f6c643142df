"""Adaptive max pooling to a given output size, as PyTorch's ``adaptive_max_pool1d/2d/3d``
and ``nn.AdaptiveMaxPool1d/2d/3d``.

Along an axis of n elements pooled to o, output i looks at the window

  ⌊i·n/o⌋, …, ⌈(i + 1)·n/o⌉ − 1,

(the windows of :func:`~tinygrad_bn.nn.pooling.adaptive_avg_pool2d`; they may
overlap, and o may exceed n). The windows differ in length by at most one, so
each is gathered as a row of k = the longest length, a shorter one padded by
repeating its last element: the padding is never the first maximum, and the
maximum of a 2-D (3-D) window is the maximum of its gathered rows and columns
(and planes). The gradient of each window goes to its first maximum in row-major
order, as in PyTorch, through ``max(dim)`` and the gathers.

>>> from tinygrad_bn import arange
>>> pooled, where = adaptive_max_pool1d(arange(5.0).reshape(1, 1, 5), 3, return_indices=True)
>>> pooled.tolist(), where.tolist()
([[[1.0, 3.0, 4.0]]], [[[1, 3, 4]]])
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.pooling import adaptive_windows
from tinygrad_bn.nn.unbatched import also_unbatched
from tinygrad_bn.ops.promotion import constant


def window_indices(size: int, count: int):
    """(count, k) host indices: row i holds window i, ⌊i·size/count⌋ … ⌈(i + 1)·size/count⌉ − 1,
    padded to the longest window's length k by repeating its last index.

    >>> window_indices(5, 3).tolist()
    [[0, 1, 1], [1, 2, 3], [3, 4, 4]]
    """
    starts, ends = adaptive_windows(size, count)
    longest = int((ends - starts).max()) if count else 1
    return numpy.minimum(starts[:, None] + numpy.arange(longest), ends[:, None] - 1)


def _output_sizes(function: str, output_size, spatial: tuple) -> tuple:
    """One output size per spatial axis: an int ≥ 0 or a tuple of them (None keeps that axis's size)."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * len(spatial)
    if len(sizes) != len(spatial) or not all(o is None or (isinstance(o, int) and not isinstance(o, bool)
                                                          and o >= 0) for o in sizes):
        what = {1: "an int", 2: "an int or a pair of ints (None keeps a size)"}.get(
            len(spatial), f"an int or a tuple of {len(spatial)} ints (None keeps a size)")
        raise ArgumentError(f"{function}: output_size must be {what}, each >= 0, got {output_size!r}")
    return tuple(n if o is None else o for n, o in zip(spatial, sizes))


@also_unbatched(4)
def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002 - PyTorch's argument name
    """The maximum of each adaptive window of (N, C, H, W) or (C, H, W) images, pooled to
    ``output_size`` (an int, or a pair in which None keeps that size). With
    ``return_indices``, also where each maximum is, as an index h·W + w into its
    channel's pixels (an int64 tensor).

    >>> from tinygrad_bn import arange
    >>> pooled, where = adaptive_max_pool2d(arange(16.0).reshape(1, 1, 4, 4), (1, 3), return_indices=True)
    >>> pooled.tolist(), where.tolist()
    ([[[[13.0, 14.0, 15.0]]]], [[[[13, 14, 15]]]])
    """
    return _adaptive_max_pool("adaptive_max_pool2d", "H, W", input, output_size, return_indices)


@also_unbatched(5)
def adaptive_max_pool3d(input, output_size, return_indices=False):  # noqa: A002 - PyTorch's argument name
    """The maximum of each adaptive window of (N, C, D, H, W) or (C, D, H, W) volumes,
    pooled to ``output_size`` (an int, or three in which None keeps that size). With
    ``return_indices``, also where each maximum is, as an index d·H·W + h·W + w into
    its channel's entries (an int64 tensor).

    >>> from tinygrad_bn import arange
    >>> pooled, where = adaptive_max_pool3d(arange(24.0).reshape(1, 1, 2, 3, 4), (1, 2, 1), return_indices=True)
    >>> pooled.tolist(), where.tolist()
    ([[[[[19.0], [23.0]]]]], [[[[[19], [23]]]]])
    """
    return _adaptive_max_pool("adaptive_max_pool3d", "D, H, W", input, output_size, return_indices)


def _adaptive_max_pool(function: str, axes: str, input, output_size, return_indices):  # noqa: A002
    """Adaptive max pooling of (N, C, *spatial) input over the spatial ``axes`` ("H, W"
    or "D, H, W"): every axis gathered into windows (:func:`window_indices`), the
    windows' entries brought to the last axis, and its maximum taken."""
    count = len(axes.split(", "))
    if input.ndim != 2 + count or 0 in input.shape[1:]:
        named = axes.rsplit(", ", 1)
        raise ShapeError(f"{function} expects input of shape (N, C, {axes}) or (C, {axes}) with non-empty "
                         f"C, {named[0]} and {named[1]}, got shape {input.shape}")
    n, c, *spatial = input.shape
    sizes = _output_sizes(function, output_size, tuple(spatial))
    windows_along = [window_indices(size, o) for size, o in zip(spatial, sizes)]
    gathered = input
    for axis, windows in enumerate(windows_along):
        gathered = gathered.index_select(2 + axis, windows.reshape(-1))
    lengths = [windows.shape[1] for windows in windows_along]
    # (N, C, o₁·k₁, o₂·k₂, …) → (N, C, o₁, o₂, …, k₁·k₂·…): each window's entries along the last axis
    split = gathered.reshape(n, c, *(d for o, k in zip(sizes, lengths) for d in (o, k)))
    outputs_first = (0, 1, *range(2, 2 + 2 * count, 2), *range(3, 3 + 2 * count, 2))
    pooled, offsets = split.permute(*outputs_first).reshape(n, c, *sizes, math.prod(lengths)).max(dim=-1)
    if not return_indices:
        return pooled  # the gradient went to the first maximum of each window
    return pooled, _flat_indices(offsets, windows_along, spatial)


def _flat_indices(offsets, windows_along, spatial):
    """Window offsets (row-major over the k₁ × k₂ × … window, shape (N, C, o₁, o₂, …)) as
    flat indices into each channel's entries: along axis a the entry is
    windows_along[a][o_a, k_a], and the index is (i₁·n₂ + i₂)·n₃ + i₃ …"""
    xp, count = offsets.xp, len(spatial)
    lengths = [windows.shape[1] for windows in windows_along]
    index = 0
    for axis, (windows, size) in enumerate(zip(windows_along, spatial)):
        k = (offsets._data // math.prod(lengths[axis + 1:])) % lengths[axis]
        o = xp.arange(windows.shape[0]).reshape([-1 if a == axis else 1 for a in range(count)])
        index = index * size + xp.asarray(windows)[o, k]
    return constant(index.astype("int64"), offsets)


def adaptive_max_pool1d(input, output_size, return_indices=False):  # noqa: A002 - PyTorch's argument name
    """The maximum of each adaptive window of (N, C, L) or (C, L) signals, pooled to
    ``output_size`` (an int or a tuple of one); with ``return_indices``, also each
    maximum's position along L (int64).

    >>> from tinygrad_bn import tensor
    >>> adaptive_max_pool1d(tensor([[3.0, 1.0, 4.0, 1.0, 5.0, 9.0]]), 2).tolist()
    [[4.0, 9.0]]
    """
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise ShapeError(f"adaptive_max_pool1d expects input of shape (N, C, L) or (C, L) with non-empty C and "
                         f"L, got shape {input.shape}")
    if output_size is None or None in (output_size if isinstance(output_size, (tuple, list)) else ()):
        raise TypeError(f"adaptive_max_pool1d: output_size must be an int or a tuple of one, got {output_size!r}")
    (size,) = _output_sizes("adaptive_max_pool1d", output_size, input.shape[-1:])
    result = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices)  # as 1 × L images
    if not return_indices:
        return result.squeeze(-2)
    pooled, where = result
    return pooled.squeeze(-2), where.squeeze(-2)  # an index 0·L + l into a 1 × L image is l


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):  # noqa: A002 - PyTorch's name
    """:func:`adaptive_max_pool2d` returning (values, indices), as PyTorch's function of that name."""
    return adaptive_max_pool2d(input, output_size, return_indices=True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):  # noqa: A002 - PyTorch's name
    """:func:`adaptive_max_pool3d` returning (values, indices), as PyTorch's function of that name."""
    return adaptive_max_pool3d(input, output_size, return_indices=True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):  # noqa: A002 - PyTorch's name
    """:func:`adaptive_max_pool1d` returning (values, indices), as PyTorch's function of that name."""
    return adaptive_max_pool1d(input, output_size, return_indices=True)


class _AdaptiveMaxPoolNd(Module):
    """What the adaptive max pools share: ``output_size``, ``return_indices`` and the repr."""

    pool = None

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return type(self).pool(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """:func:`adaptive_max_pool1d` as a layer.

    >>> from tinygrad_bn import ones
    >>> pool = AdaptiveMaxPool1d(4)
    >>> pool, pool(ones(2, 3, 10)).shape
    (AdaptiveMaxPool1d(output_size=4), (2, 3, 4))
    """

    pool = staticmethod(adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """:func:`adaptive_max_pool2d` as a layer; ``AdaptiveMaxPool2d(1)`` is global max pooling.

    >>> from tinygrad_bn import ones
    >>> pool = AdaptiveMaxPool2d((2, None), return_indices=True)
    >>> pool, [t.shape for t in pool(ones(2, 3, 5, 7))]
    (AdaptiveMaxPool2d(output_size=(2, None)), [(2, 3, 2, 7), (2, 3, 2, 7)])
    """

    pool = staticmethod(adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """:func:`adaptive_max_pool3d` as a layer; ``AdaptiveMaxPool3d(1)`` is global max pooling.

    >>> from tinygrad_bn import ones
    >>> pool = AdaptiveMaxPool3d((1, None, 2))
    >>> pool, pool(ones(2, 3, 4, 5, 6)).shape
    (AdaptiveMaxPool3d(output_size=(1, None, 2)), (2, 3, 1, 5, 2))
    """

    pool = staticmethod(adaptive_max_pool3d)
