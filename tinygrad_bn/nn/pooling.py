"""Pooling of (N, C, H, W) images: max and average over sliding windows, and
adaptive average pooling to a given output size, as in ``torch.nn.functional``.

Sliding windows are laid out as columns by :func:`~tinygrad_bn.ops.windows.unfold`
and reduced down each column. Max pooling whose stride is its window (the usual
2 × 2 pool) needs no columns: :class:`~tinygrad_bn.ops.windows.TileMax` compares
the tiles' elements plane by plane (one plane per offset in the tile), several times
faster. Adaptive average pooling is linear and separable:
y = P_h · x · P_wᵀ, with P holding 1/len(window) over each output's window.
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.unbatched import also_unbatched
from tinygrad_bn.ops.elementwise import constant
from tinygrad_bn.ops.reduce import Max
from tinygrad_bn.ops.windows import MaxUnpool, TileMax, ints, pad_images, unfold, windows_per_axis


def _window_geometry(name: str, images, kernel_size, stride, padding, dilation=1, ceil_mode=False,
                     axes: str = "H, W"):
    """Checked (kernel_size, stride, padding, dilation, extra) of a pooling call over the
    spatial ``axes``, where ``extra`` is the entries to pad after the padding on each
    axis so that ceil_mode's last window fits (none in floor mode)."""
    count_axes = len(axes.split(","))
    if images.ndim != 2 + count_axes:
        raise ShapeError(f"{name} expects input of shape (N, C, {axes}), got {images.shape}")
    kernel_size = ints(kernel_size, count_axes, "kernel_size")
    stride = kernel_size if stride is None else ints(stride, count_axes, "stride")
    padding, dilation = ints(padding, count_axes, "padding", minimum=0), ints(dilation, count_axes, "dilation")
    if any(p > k // 2 for p, k in zip(padding, kernel_size, strict=True)):
        raise ShapeError(f"{name}: padding {padding} must be at most half of the kernel size {kernel_size}")
    extra = []
    for size, k, s, p, d in zip(images.shape[2:], kernel_size, stride, padding, dilation, strict=True):
        span, padded = d * (k - 1) + 1, size + 2 * p
        count = (padded - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (count - 1) * s >= size + p:  # a last window starting in the right padding is dropped
            count -= 1
        if count < 1:
            raise ShapeError(f"{name}: a {kernel_size} window with stride {stride}, padding {padding} and dilation "
                             f"{dilation} leaves no output for an image of size {tuple(images.shape[2:])}")
        extra.append(max(0, (count - 1) * s + span - padded))
    return kernel_size, stride, padding, dilation, extra


@also_unbatched(4)
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """The maximum of each ``kernel_size`` window of (N, C, H, W) images; ``stride``
    defaults to ``kernel_size``. Padding is −∞. With ``ceil_mode`` a last, partial
    window is kept on an axis if it starts inside the image or its left padding,
    as in PyTorch. As in PyTorch, the gradient of a window goes to its first
    maximum (in row-major order) when several tie. With ``return_indices`` it
    also returns where each maximum is, as an index into its channel's H·W
    pixels (an int64 tensor, what :func:`max_unpool2d` takes).

    >>> from tinygrad_bn import arange
    >>> pooled, where = max_pool2d(arange(16, dtype="float32").reshape(1, 1, 4, 4), 2, return_indices=True)
    >>> pooled.numpy()[0, 0].tolist(), where.numpy()[0, 0].tolist()
    ([[5.0, 7.0], [13.0, 15.0]], [[5, 7], [13, 15]])
    """
    kernel_size, stride, padding, dilation, extra = _window_geometry("max_pool2d", input, kernel_size, stride,
                                                                      padding, dilation, ceil_mode)
    n, c, h, w = input.shape
    if stride == kernel_size and dilation == (1, 1) and padding == (0, 0) and not any(extra) \
            and not return_indices:
        return _tile_max(input, kernel_size)
    # every channel pooled on its own: (N·C, 1, H, W)
    sides = (padding[0], padding[0] + extra[0], padding[1], padding[1] + extra[1])
    images = pad_images(input.reshape(n * c, 1, h, w), sides, -numpy.inf)
    counts = windows_per_axis(images.shape[2:], kernel_size, stride, dilation)
    windows = unfold(images, kernel_size, dilation=dilation, stride=stride)  # (N·C, kh·kw, windows)
    pooled = Max.apply(windows, axes=(1,), keepdims=False, ties="first").reshape(n, c, *counts)
    if not return_indices:
        return pooled
    offsets = windows.xp.argmax(windows._data, axis=1)  # (N·C, windows): the first maximum's place in its window
    return pooled, _pixel_indices(offsets, input, kernel_size, stride, padding, dilation, counts)


def _tile_max(images, kernel_size):
    """Max pooling over non-overlapping windows; rows and columns past the last
    whole window are left out, as floor mode does."""
    (kh, kw), (h, w) = kernel_size, images.shape[2:]
    if h % kh or w % kw:
        images = images[:, :, :h - h % kh, :w - w % kw]
    return TileMax.apply(images, kernel_size=kernel_size)


def _pixel_indices(offsets, like, kernel_size, stride, padding, dilation, counts):
    """Window offsets k = i·kw + j of windows l = oh·OW + ow as indices row·W + col
    into the unpadded image: row = oh·sh − ph + i·dh, col = ow·sw − pw + j·dw."""
    xp, (n, c, _, w) = like.xp, like.shape
    i, j = offsets // kernel_size[1], offsets % kernel_size[1]
    window = xp.arange(counts[0] * counts[1])
    row = (window // counts[1]) * stride[0] - padding[0] + i * dilation[0]
    col = (window % counts[1]) * stride[1] - padding[1] + j * dilation[1]
    return constant((row * w + col).astype("int64").reshape(n, c, *counts), like)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """The inverse of :func:`max_pool2d` with ``return_indices``: each value of (N, C, OH, OW)
    or (C, OH, OW) ``input`` goes to its pixel, every other pixel is 0. The output is
    (H, W) = ``output_size`` (two entries, or four with (N, C) in front), by default
    ((OH − 1)·sh − 2·ph + kh, (OW − 1)·sw − 2·pw + kw). Unlike PyTorch (and
    :func:`~tinygrad_bn.nn.pooling3d.max_unpool3d`), any size that holds the indices
    is taken, not only one strictly within a stride of the default. Where pooling
    windows overlap, a pixel may be the maximum of several; it is written once
    (those values are equal), and, as in PyTorch, the gradient at that pixel goes
    back to every one of them.

    >>> from tinygrad_bn import arange
    >>> pooled, where = max_pool2d(arange(16, dtype="float32").reshape(1, 1, 4, 4), 2, return_indices=True)
    >>> max_unpool2d(pooled, where, 2).numpy()[0, 0, :2].tolist()
    [[0.0, 0.0, 0.0, 0.0], [0.0, 5.0, 0.0, 7.0]]
    """
    return _max_unpool("max_unpool2d", "H, W", input, indices, kernel_size, stride, padding, output_size,
                       near_default=False)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """The inverse of :func:`~tinygrad_bn.nn.pooling1d.max_pool1d` with
    ``return_indices``: each value of (N, C, OL) or (C, OL) ``input`` goes to its
    position, every other one is 0; the length is (OL − 1)·s − 2·p + k, or
    ``output_size`` (one entry, or three with (N, C) in front) strictly within a stride
    of it, as in PyTorch.

    >>> from tinygrad_bn import tensor
    >>> max_unpool1d(tensor([[[5.0, 7.0]]]), tensor([[[1, 3]]]), 2).tolist()
    [[[0.0, 5.0, 0.0, 7.0]]]
    """
    return _max_unpool("max_unpool1d", "L", input, indices, kernel_size, stride, padding, output_size)


class _MaxUnpoolNd(Module):
    """A max-unpooling layer: ``unpool`` (:func:`max_unpool1d`, ``2d`` or ``3d``) over
    ``dims`` axes, with the window's sizes given once; ``stride`` defaults to ``kernel_size``."""

    dims: int

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = ints(kernel_size, self.dims, "kernel_size")
        self.stride = self.kernel_size if stride is None else ints(stride, self.dims, "stride")
        self.padding = ints(padding, self.dims, "padding", minimum=0)

    def forward(self, input, indices, output_size=None):  # noqa: A002 - PyTorch's argument name
        return self.unpool(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _max_unpool(name: str, axes: str, input, indices, kernel_size, stride, padding, output_size,  # noqa: A002
                near_default: bool = True):
    """Max unpooling over the spatial ``axes`` ("H, W" or "D, H, W"), for ``max_unpool2d``
    and ``max_unpool3d`` (``name``): ``indices`` are flat positions in each (N, C)
    channel's entries, as max pooling returns them. An unbatched ``input`` (no N)
    is taken as a batch of one. With ``near_default``, an ``output_size`` must lie
    strictly within a stride of the default size, as PyTorch requires."""
    count = len(axes.split(", "))
    if input.ndim not in (count + 1, count + 2):
        raise ShapeError(f"{name} expects input of shape (C, {axes}) or (N, C, {axes}), got {input.shape}")
    indices = indices if isinstance(indices, Tensor) else Tensor(indices, device=input.device)
    if indices.shape != input.shape or indices.dtype.kind not in "iu":
        raise ShapeError(f"{name} expects integer indices of the input's shape {input.shape}, "
                         f"got {indices.dtype} indices of shape {indices.shape}")
    if input.ndim == count + 1:
        unpooled = _max_unpool(name, axes, input.unsqueeze(0), indices.unsqueeze(0), kernel_size, stride, padding,
                               output_size, near_default)
        return unpooled.squeeze(0)
    kernel_size = ints(kernel_size, count, "kernel_size")
    stride = kernel_size if stride is None else ints(stride, count, "stride")
    padding = ints(padding, count, "padding", minimum=0)
    size = _unpooled_size(name, input.shape[2:], kernel_size, stride, padding, output_size, near_default)
    entries = math.prod(size)
    if indices.size and not 0 <= int(indices._data.min()) <= int(indices._data.max()) < entries:
        raise ShapeError(f"{name}: indices must lie in [0, {entries}) for an output of size {size}, "
                         f"got values from {int(indices._data.min())} to {int(indices._data.max())}")
    return MaxUnpool.apply(input, indices, size=size)


def _unpooled_size(name: str, pooled: tuple, kernel_size: tuple, stride: tuple, padding: tuple,
                   output_size, near_default: bool) -> tuple:
    """The spatial size max unpooling writes: along each axis (n − 1)·s − 2·p + k by
    default, or ``output_size`` (its spatial entries, (N, C) in front allowed), which
    with ``near_default`` must lie strictly between that default minus and plus the
    stride, as in PyTorch."""
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(pooled, stride, padding, kernel_size, strict=True))
    if output_size is None:
        return default
    count, size = len(default), tuple(int(o) for o in output_size)
    if len(size) == count + 2:
        size = size[2:]
    if len(size) != count:
        raise ArgumentError(f"{name}: output_size must have {count} or {count + 2} entries, "
                            f"got {len(size)}: {tuple(output_size)}")
    for axis, (o, d, s) in enumerate(zip(size, default, stride)):
        if near_default and not d - s < o < d + s:
            raise ArgumentError(f"{name}: output_size {size} is out of range: entry {axis} must lie strictly "
                                f"between {d - s} and {d + s}, got {o}")
    return size


@also_unbatched(4)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002 - PyTorch's name
               count_include_pad=True, divisor_override=None):
    """The mean of each ``kernel_size`` window of (N, C, H, W) images, zero-padded by
    ``padding``; ``stride`` defaults to ``kernel_size``. As in PyTorch, a window is
    divided by its size counted within the padded image (``count_include_pad``), or
    within the image alone (``count_include_pad=False``), or by ``divisor_override``;
    ``ceil_mode`` keeps a last, partial window as :func:`max_pool2d` does.

    >>> from tinygrad_bn import arange
    >>> avg_pool2d(arange(16, dtype="float32").reshape(1, 1, 4, 4), 2).numpy()[0, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    kernel_size, stride, padding, _, extra = _window_geometry("avg_pool2d", input, kernel_size, stride, padding,
                                                               ceil_mode=ceil_mode)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override < 1):
        raise ArgumentError(f"avg_pool2d: divisor_override must be a positive int or None, got {divisor_override!r}")
    n, c, h, w = input.shape
    sides = (padding[0], padding[0] + extra[0], padding[1], padding[1] + extra[1])
    images = pad_images(input, sides)
    counts = windows_per_axis(images.shape[2:], kernel_size, stride)
    windows = unfold(images, kernel_size, stride=stride)  # (N, C·kh·kw, windows)
    sums = windows.reshape(n, c, kernel_size[0] * kernel_size[1], counts[0] * counts[1]).sum(2)
    if divisor_override is not None:
        divisor = numpy.full(counts, float(divisor_override))
    else:
        divisor = numpy.outer(*(_window_sizes(size, k, s, p, o, count_include_pad) for size, k, s, p, o
                                in zip((h, w), kernel_size, stride, padding, counts, strict=True)))
    return sums.reshape(n, c, *counts) / Tensor(divisor, dtype=input.dtype, device=input.device)


def _window_sizes(size: int, kernel: int, stride: int, padding: int, count: int, include_pad: bool):
    """Along one axis, how many elements each window divides by: those inside the
    padded axis, or inside the axis itself (PyTorch's rule, windows clipped at the
    right end of the padding)."""
    starts = numpy.arange(count) * stride - padding
    ends = numpy.minimum(starts + kernel, size + padding)
    if include_pad:
        return (ends - starts).astype(float)
    return (numpy.minimum(ends, size) - numpy.maximum(starts, 0)).astype(float)


@also_unbatched(4)
def adaptive_avg_pool2d(input, output_size):  # noqa: A002 - PyTorch's argument name
    """Average (N, C, H, W) images down to ``output_size`` (an int, a pair, or None in
    a pair to keep that size). Output i along an axis of n averages elements
    ⌊i·n/o⌋ to ⌈(i + 1)·n/o⌉ − 1, as in PyTorch; windows may overlap.

    >>> from tinygrad_bn import arange
    >>> adaptive_avg_pool2d(arange(6, dtype="float32").reshape(1, 1, 2, 3), (1, 2)).numpy()[0, 0].tolist()
    [[2.0, 3.0]]
    """
    if input.ndim != 4:
        raise ShapeError(f"adaptive_avg_pool2d expects input of shape (N, C, H, W), got {input.shape}")
    sizes = (output_size, output_size) if not isinstance(output_size, (tuple, list)) else tuple(output_size)
    if len(sizes) != 2 or not all(o is None or (isinstance(o, int) and o >= 1) for o in sizes):
        raise ArgumentError(f"adaptive_avg_pool2d: output_size must be a positive int or a pair of them (or None), "
                         f"got {output_size!r}")
    rows, cols = (Tensor(_averaging_matrix(n, n if o is None else o), dtype=input.dtype, device=input.device)
                  for n, o in zip(input.shape[2:], sizes))
    return rows @ input @ cols.T  # (oh, H) · (N, C, H, W) · (W, ow)


def adaptive_windows(size: int, count: int) -> tuple:
    """Where each of ``count`` adaptive windows over ``size`` elements starts and ends (host
    arrays): window i holds ⌊i·size/count⌋ .. ⌈(i + 1)·size/count⌉ − 1, as in PyTorch."""
    i = numpy.arange(count)
    return (i * size) // count, -((-(i + 1) * size) // count)


def _averaging_matrix(size: int, count: int):
    """(count, size): row i holds 1/len over window i of :func:`adaptive_windows`."""
    matrix = numpy.zeros((count, size))
    for i, (start, end) in enumerate(zip(*adaptive_windows(size, count))):
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix
