"""Pooling of (N, C, D, H, W) volumes: max and average over sliding windows, max
unpooling, and adaptive average pooling to a given output size, as in ``torch.nn.functional``.

Each window offset (a, b, c) of a kd × kh × kw window reads one strided slice of the
padded volumes, the (a, b, c) element of every window at once:

    xp[:, :, a·dd : … : sd, b·dh : … : sh, c·dw : … : sw]  (OD × OH × OW entries).

Max pooling stacks the kd·kh·kw slices and takes the maximum across them (the first
one in row-major window order wins a tie, as in PyTorch); average pooling adds
them up and divides. Adaptive average pooling is linear and separable: the
averaging matrix of each axis (as in 2-D) applied along D, H and W in turn.
"""

from __future__ import annotations

import numpy

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.padding import pad
from tinygrad_bn.nn.pooling import _averaging_matrix, _max_unpool, _MaxUnpoolNd, _window_geometry, _window_sizes
from tinygrad_bn.nn.unbatched import also_unbatched
from tinygrad_bn.ops.elementwise import constant
from tinygrad_bn.ops.reduce import Max

AXES = "D, H, W"


def _window_slices(volumes, kernel_size, stride, padding, dilation, extra):
    """The padded ``volumes`` sliced once per window offset, in row-major window order,
    and the windows' count along each axis (OD, OH, OW)."""
    sides = [side for p, more in zip(reversed(padding), reversed(extra)) for side in (p, p + more)]
    padded_size = [n + 2 * p + more for n, p, more in zip(volumes.shape[2:], padding, extra)]
    counts = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(padded_size, kernel_size, stride, dilation)]
    return sides, counts, [
        tuple(slice(i * d, i * d + s * (count - 1) + 1, s) for i, d, s, count in zip(offset, dilation, stride, counts))
        for offset in numpy.ndindex(*kernel_size)
    ]


@also_unbatched(5)
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """The maximum of each ``kernel_size`` window of (N, C, D, H, W) volumes; ``stride``
    defaults to ``kernel_size``. Padding is −∞; ``ceil_mode`` keeps a last, partial
    window as :func:`~tinygrad_bn.nn.pooling.max_pool2d` does. With ``return_indices``
    it also returns where each maximum is, as an index into its channel's D·H·W
    entries (int64).

    >>> from tinygrad_bn import arange
    >>> pooled, where = max_pool3d(arange(8, dtype="float32").reshape(1, 1, 2, 2, 2), 2, return_indices=True)
    >>> pooled.numpy().ravel().tolist(), where.numpy().ravel().tolist()
    ([7.0], [7])
    """
    kernel_size, stride, padding, dilation, extra = _window_geometry("max_pool3d", input, kernel_size, stride,
                                                                      padding, dilation, ceil_mode, axes=AXES)
    sides, counts, slices = _window_slices(input, kernel_size, stride, padding, dilation, extra)
    volumes = pad(input, sides, value=-numpy.inf)
    windows = ops.stack([volumes[(..., *where)] for where in slices], dim=2)  # (N, C, kd·kh·kw, OD, OH, OW)
    pooled = Max.apply(windows, axes=(2,), keepdims=False, ties="first")
    if not return_indices:
        return pooled
    return pooled, _volume_indices(windows, input.shape[2:], kernel_size, stride, padding, dilation, counts)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
                            return_indices=False):
    """:func:`max_pool3d` returning (values, indices) whatever ``return_indices`` says, as
    PyTorch's function of that name.

    >>> from tinygrad_bn import arange
    >>> max_pool3d_with_indices(arange(8.0).reshape(1, 1, 2, 2, 2), 2)[1].numpy().ravel().tolist()
    [7]
    """
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def _volume_indices(windows, size, kernel_size, stride, padding, dilation, counts):
    """Where each window's first maximum sits, as an index d·H·W + h·W + w into the
    unpadded volume: along each axis, window o's offset i is at o·s − p + i·d."""
    xp, (_, kh, kw) = windows.xp, kernel_size
    first = xp.argmax(windows._data, axis=2)  # the offset a·kh·kw + b·kw + c in row-major window order
    offsets = (first // (kh * kw), (first // kw) % kh, first % kw)
    places = [xp.arange(count).reshape([-1 if axis == k else 1 for axis in range(3)]) * s - p + offset * d
              for k, (count, s, p, d, offset) in enumerate(zip(counts, stride, padding, dilation, offsets))]
    index = (places[0] * size[1] + places[1]) * size[2] + places[2]
    return constant(index.astype("int64"), windows)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """The inverse of :func:`max_pool3d` with ``return_indices``: each value of (N, C, OD,
    OH, OW) or (C, OD, OH, OW) ``input`` goes to its entry d·H·W + h·W + w, every other
    entry is 0. The output is (D, H, W) = ``output_size`` (three entries, or five with
    (N, C) in front), by default (OD − 1)·s − 2·p + k along each axis; as in PyTorch,
    a given size must lie strictly within a stride of that default. Where windows
    overlap, an entry that is the maximum of several is written once and its
    gradient goes back to each of them, as in
    :func:`~tinygrad_bn.nn.pooling.max_unpool2d`.

    >>> from tinygrad_bn import arange
    >>> pooled, where = max_pool3d(arange(8, dtype="float32").reshape(1, 1, 2, 2, 2), 2, return_indices=True)
    >>> max_unpool3d(pooled, where, 2).numpy().ravel().tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.0]
    """
    return _max_unpool("max_unpool3d", AXES, input, indices, kernel_size, stride, padding, output_size)


@also_unbatched(5)
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002 - PyTorch's name
               count_include_pad=True, divisor_override=None):
    """The mean of each ``kernel_size`` window of (N, C, D, H, W) volumes, zero-padded by
    ``padding``; ``stride`` defaults to ``kernel_size``. The divisor is counted as in
    :func:`~tinygrad_bn.nn.pooling.avg_pool2d`: within the padded volume
    (``count_include_pad``), within the volume alone, or ``divisor_override``.

    >>> from tinygrad_bn import arange
    >>> avg_pool3d(arange(8, dtype="float32").reshape(1, 1, 2, 2, 2), 2).numpy().ravel().tolist()
    [3.5]
    """
    kernel_size, stride, padding, _, extra = _window_geometry("avg_pool3d", input, kernel_size, stride, padding,
                                                               ceil_mode=ceil_mode, axes=AXES)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override < 1):
        raise ArgumentError(f"avg_pool3d: divisor_override must be a positive int or None, got {divisor_override!r}")
    sides, counts, slices = _window_slices(input, kernel_size, stride, padding, (1, 1, 1), extra)
    volumes = pad(input, sides)
    sums = volumes[(..., *slices[0])]
    for where in slices[1:]:
        sums = sums + volumes[(..., *where)]
    if divisor_override is not None:
        divisor = numpy.full(counts, float(divisor_override))
    else:
        along = [_window_sizes(n, k, s, p, count, count_include_pad)
                 for n, k, s, p, count in zip(input.shape[2:], kernel_size, stride, padding, counts)]
        divisor = along[0][:, None, None] * along[1][:, None] * along[2]
    return sums / Tensor(divisor, dtype=input.dtype, device=input.device)


@also_unbatched(5)
def adaptive_avg_pool3d(input, output_size):  # noqa: A002 - PyTorch's argument name
    """Average (N, C, D, H, W) volumes down to ``output_size`` (an int, or three ints
    or None to keep that size). Output i along an axis of n averages entries
    ⌊i·n/o⌋ to ⌈(i + 1)·n/o⌉ − 1, as in PyTorch.

    >>> from tinygrad_bn import arange
    >>> adaptive_avg_pool3d(arange(8, dtype="float32").reshape(1, 1, 2, 2, 2), (1, 1, 2)).numpy().ravel().tolist()
    [3.0, 4.0]
    """
    if input.ndim != 5:
        raise ShapeError(f"adaptive_avg_pool3d expects input of shape (N, C, {AXES}), got {input.shape}")
    sizes = (output_size,) * 3 if not isinstance(output_size, (tuple, list)) else tuple(output_size)
    if len(sizes) != 3 or not all(o is None or (isinstance(o, int) and o >= 1) for o in sizes):
        raise ArgumentError(f"adaptive_avg_pool3d: output_size must be a positive int or three of them (or None), "
                            f"got {output_size!r}")
    depth, height, width = (Tensor(_averaging_matrix(n, n if o is None else o), dtype=input.dtype, device=input.device)
                            for n, o in zip(input.shape[2:], sizes))
    n, c, d = input.shape[:3]
    planes = height @ input @ width.T  # (N, C, D, oh, ow)
    pooled = depth @ planes.reshape(n, c, d, -1)  # (od, D) · (N, C, D, oh·ow)
    return pooled.reshape(n, c, depth.shape[0], *planes.shape[3:])


class MaxPool3d(Module):
    """:func:`max_pool3d` as a layer; ``stride`` defaults to ``kernel_size``.

    >>> from tinygrad_bn import ones
    >>> pool = MaxPool3d(2)
    >>> pool, pool(ones(1, 3, 4, 8, 8)).shape
    (MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False), (1, 3, 2, 4, 4))
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = bool(return_indices), bool(ceil_mode)

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxUnpool3d(_MaxUnpoolNd):
    """:func:`max_unpool3d` as a layer: put the maxima :class:`MaxPool3d` (with
    ``return_indices=True``) took back at their entries; ``stride`` defaults to
    ``kernel_size``.

    >>> from tinygrad_bn import randn
    >>> pooled, where = MaxPool3d(2, return_indices=True)(randn(1, 2, 4, 4, 6))
    >>> unpool = MaxUnpool3d(2)
    >>> unpool, unpool(pooled, where).shape
    (MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0)), (1, 2, 4, 4, 6))
    """

    dims = 3
    unpool = staticmethod(max_unpool3d)


class AvgPool3d(Module):
    """:func:`avg_pool3d` as a layer; ``stride`` defaults to ``kernel_size``.

    >>> from tinygrad_bn import ones
    >>> pool = AvgPool3d(2)
    >>> pool, pool(ones(1, 3, 4, 8, 6)).shape
    (AvgPool3d(kernel_size=2, stride=2, padding=0), (1, 3, 2, 4, 3))
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, bool(ceil_mode)
        self.count_include_pad, self.divisor_override = bool(count_include_pad), divisor_override

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool3d(Module):
    """:func:`adaptive_avg_pool3d` as a layer; ``AdaptiveAvgPool3d(1)`` is global average pooling.

    >>> from tinygrad_bn import ones
    >>> pool = AdaptiveAvgPool3d((1, 2, 2))
    >>> pool, pool(ones(2, 8, 3, 5, 5)).shape
    (AdaptiveAvgPool3d(output_size=(1, 2, 2)), (2, 8, 1, 2, 2))
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return adaptive_avg_pool3d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
