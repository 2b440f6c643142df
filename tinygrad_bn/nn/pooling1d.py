"""Pooling of (N, C, L) or (C, L) signals, and power-average pooling of signals, images
and volumes, as PyTorch's ``avg_pool1d``, ``max_pool1d``, ``adaptive_avg_pool1d``,
``lp_pool1d``, ``lp_pool2d`` and ``lp_pool3d`` and their layers.

A signal of length L is pooled as an image of one row: (N, C, L) is viewed as
(N, C, 1, L) and handed to the 2-D pool with kernel (1, k), stride (1, s),
padding (0, p) and dilation (1, d); the row axis is then dropped again. An index
0·L + l into such an image is the position l along L, so ``max_pool1d``'s indices
are the 2-D pool's.

Power-average pooling of order p is (Σ xᵖ)^(1/p) over each window, computed as
the window's mean of xᵖ times its kernel size (a negative sum, possible for odd p,
gives NaN). As in PyTorch, a window whose sum is 0 passes no gradient back (the
slope of the root there is infinite). p = ±∞ is the maximum (minimum) of |x|.

>>> from tinygrad_bn import tensor
>>> lp_pool1d(tensor([[[3.0, 4.0, 1.0, 0.0]]]), 2, 2).tolist()
[[[5.0, 1.0]]]
"""

from __future__ import annotations

import math

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.pooling import _MaxUnpoolNd, adaptive_avg_pool2d, avg_pool2d, max_pool2d, max_unpool1d
from tinygrad_bn.nn.pooling3d import avg_pool3d, max_pool3d
from tinygrad_bn.ops.windows import ints, pair


def _single(value, function: str, name: str):
    """An int, or a tuple or list of one int, as that int."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ArgumentError(f"{function}() {name} must be an int, list of ints or tuple of ints of size 1 "
                                f"but got size {len(value)}")
        (value,) = value
    return value


def _signals(function: str, input):  # noqa: A002 - PyTorch's argument name
    """(N, C, L) or (C, L) input as (N, C, 1, L) or (C, 1, L) images."""
    if input.ndim not in (2, 3) or input.shape[-1] == 0:
        raise ShapeError(f"{function} expects input of shape (N, C, L) or (C, L) with non-empty L, "
                         f"got shape {input.shape}")
    return input.unsqueeze(-2)


def _stride(stride, function: str):
    """``stride`` as an int, or None (the kernel size) for None or an empty list."""
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        return None
    return _single(stride, function, "stride")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002 - PyTorch's name
               count_include_pad=True):
    """The mean of each ``kernel_size`` window of (N, C, L) or (C, L) signals, zero-padded
    by ``padding`` at both ends; ``stride`` defaults to ``kernel_size``. A window divides
    by its size within the padded signal, or within the signal alone
    (``count_include_pad=False``); ``ceil_mode`` keeps a last, partial window.

    >>> from tinygrad_bn import arange
    >>> avg_pool1d(arange(6, dtype="float32").reshape(1, 6), 3, padding=1, count_include_pad=False).tolist()
    [[0.5, 3.0]]
    """
    name = "avg_pool1d"
    kernel, stride = _single(kernel_size, name, "kernel_size"), _stride(stride, name)
    padding = _single(padding, name, "padding")
    images = _signals(name, input)
    pooled = avg_pool2d(images, (1, kernel), None if stride is None else (1, stride), (0, padding), ceil_mode,
                        count_include_pad)
    return pooled.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """The maximum of each ``kernel_size`` window of (N, C, L) or (C, L) signals, padded
    by −∞; ``stride`` defaults to ``kernel_size``. The gradient of a window goes to its
    first maximum when several tie; with ``return_indices``, also each maximum's
    position along L (int64, what ``max_unpool1d`` would take).

    >>> from tinygrad_bn import tensor
    >>> pooled, where = max_pool1d(tensor([[1.0, 5.0, 2.0, 2.0, 0.0]]), 2, return_indices=True)
    >>> pooled.tolist(), where.tolist()
    ([[5.0, 2.0]], [[1, 2]])
    """
    name = "max_pool1d"
    kernel, stride = _single(kernel_size, name, "kernel_size"), _stride(stride, name)
    padding, dilation = _single(padding, name, "padding"), _single(dilation, name, "dilation")
    images = _signals(name, input)
    result = max_pool2d(images, (1, kernel), None if stride is None else (1, stride), (0, padding), (1, dilation),
                        ceil_mode, return_indices)
    if not return_indices:
        return result.squeeze(-2)
    pooled, where = result
    return pooled.squeeze(-2), where.squeeze(-2)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
                            return_indices=True):
    """:func:`max_pool1d` returning (values, indices), as PyTorch's function of that name."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
                            return_indices=False):
    """:func:`~tinygrad_bn.nn.pooling.max_pool2d` returning (values, indices) whatever
    ``return_indices`` says, as PyTorch's function of that name.

    >>> from tinygrad_bn import arange
    >>> pooled, where = max_pool2d_with_indices(arange(4.0).reshape(1, 1, 2, 2), 2)
    >>> pooled.tolist(), where.tolist()
    ([[[[3.0]]]], [[[[3]]]])
    """
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def adaptive_avg_pool1d(input, output_size):  # noqa: A002 - PyTorch's argument name
    """Average (N, C, L) or (C, L) signals down to ``output_size`` (an int or a tuple of
    one): output i of o averages elements ⌊i·L/o⌋ … ⌈(i + 1)·L/o⌉ − 1.

    >>> from tinygrad_bn import arange
    >>> adaptive_avg_pool1d(arange(5, dtype="float32").reshape(1, 1, 5), 2).tolist()
    [[[1.0, 3.0]]]
    """
    name = "adaptive_avg_pool1d"
    if output_size is None or (isinstance(output_size, (tuple, list)) and None in output_size):
        raise TypeError(f"{name}: output_size must be an int or a tuple of one int, got {output_size!r}")
    if isinstance(output_size, (tuple, list)) and len(output_size) != 1:
        raise ArgumentError(f"{name}() argument 'output_size' should contain one int (got {len(output_size)})")
    size = _single(output_size, name, "output_size")
    return adaptive_avg_pool2d(_signals(name, input), (1, size)).squeeze(-2)


def _power_average(pool, input, norm_type, kernel_size, stride, ceil_mode, elements: int):  # noqa: A002
    """(Σ xᵖ)^(1/p) over each window of ``pool`` (a 1-D, 2-D or 3-D pool), from the windows'
    means of xᵖ; ``elements`` is the kernel's size."""
    if isinstance(norm_type, (int, float)) and math.isinf(norm_type):
        magnitudes = input.abs()
        if norm_type > 0:
            return pool(magnitudes, kernel_size, stride, 0, 1, ceil_mode, "max")
        return -pool(-magnitudes, kernel_size, stride, 0, 1, ceil_mode, "max")
    sums = pool(input.pow(norm_type), kernel_size, stride, 0, 1, ceil_mode, "avg") * elements
    empty = sums == 0  # (Σ xᵖ)^(1/p) has no finite slope at 0: its windows pass no gradient back
    return sums.masked_fill(empty, 1.0).pow(1.0 / norm_type).masked_fill(empty, 0.0)


def _pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, kind):  # noqa: A002
    if kind == "max":
        return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return avg_pool1d(input, kernel_size, stride, padding, ceil_mode)


def _pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, kind):  # noqa: A002
    if kind == "max":
        return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return avg_pool2d(input, kernel_size, stride, padding, ceil_mode)


def _pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, kind):  # noqa: A002
    if kind == "max":
        return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return avg_pool3d(input, kernel_size, stride, padding, ceil_mode)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002 - PyTorch's name
    """Power-average pooling of order ``norm_type`` over each ``kernel_size`` window of
    (N, C, L) or (C, L) signals: (Σ xᵖ)^(1/p), unpadded; ``stride`` defaults to
    ``kernel_size``.

    >>> from tinygrad_bn import tensor
    >>> lp_pool1d(tensor([[1.0, -2.0, 2.0]]), 1, 3).tolist()
    [[1.0]]
    """
    kernel = _single(kernel_size, "lp_pool1d", "kernel_size")
    return _power_average(_pool1d, input, norm_type, kernel, stride, ceil_mode, kernel)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002 - PyTorch's name
    """Power-average pooling of order ``norm_type`` over each ``kernel_size`` window of
    (N, C, H, W) or (C, H, W) images: (Σ xᵖ)^(1/p), unpadded; ``stride`` defaults to
    ``kernel_size``.

    >>> from tinygrad_bn import ones
    >>> lp_pool2d(ones(1, 1, 4, 4), 2, 2).tolist()
    [[[[2.0, 2.0], [2.0, 2.0]]]]
    """
    kh, kw = pair(kernel_size, "kernel_size")
    return _power_average(_pool2d, input, norm_type, kernel_size, stride, ceil_mode, kh * kw)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002 - PyTorch's name
    """Power-average pooling of order ``norm_type`` over each ``kernel_size`` window of
    (N, C, D, H, W) or (C, D, H, W) volumes: (Σ xᵖ)^(1/p), unpadded; ``stride`` defaults
    to ``kernel_size``.

    >>> from tinygrad_bn import ones
    >>> lp_pool3d(ones(1, 1, 2, 2, 2), 1, 2).numpy().ravel().tolist()
    [8.0]
    """
    kd, kh, kw = ints(kernel_size, 3, "kernel_size")
    return _power_average(_pool3d, input, norm_type, kernel_size, stride, ceil_mode, kd * kh * kw)


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class AvgPool1d(Module):
    """:func:`avg_pool1d` as a layer; its sizes are kept as tuples of one, as PyTorch's are.

    >>> from tinygrad_bn import ones
    >>> pool = AvgPool1d(3, 2, 1)
    >>> pool, pool(ones(2, 4, 9)).shape
    (AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,)), (2, 4, 5))
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _as_tuple(kernel_size)
        self.stride = _as_tuple(stride if stride is not None else kernel_size)
        self.padding = _as_tuple(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(Module):
    """:func:`max_pool1d` as a layer.

    >>> from tinygrad_bn import ones
    >>> pool = MaxPool1d(3, 2, ceil_mode=True)
    >>> pool, pool(ones(4, 8)).shape
    (MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=True), (4, 4))
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxUnpool1d(_MaxUnpoolNd):
    """Put the maxima :class:`MaxPool1d` (``return_indices=True``) took back at their
    positions; zeros elsewhere (:func:`~tinygrad_bn.nn.pooling.max_unpool1d`).

    >>> from tinygrad_bn import randn
    >>> pooled, where = MaxPool1d(2, return_indices=True)(randn(3, 2, 8))
    >>> unpool = MaxUnpool1d(2)
    >>> unpool, unpool(pooled, where).shape
    (MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,)), (3, 2, 8))
    """

    dims = 1
    unpool = staticmethod(max_unpool1d)


class AdaptiveAvgPool1d(Module):
    """:func:`adaptive_avg_pool1d` as a layer; ``AdaptiveAvgPool1d(1)`` is global average pooling.

    >>> from tinygrad_bn import ones
    >>> pool = AdaptiveAvgPool1d(4)
    >>> pool, pool(ones(2, 3, 10)).shape
    (AdaptiveAvgPool1d(output_size=4), (2, 3, 4))
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _LPPoolNd(Module):
    """What the power-average pools share: their arguments and the repr."""

    pool = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return type(self).pool(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """:func:`lp_pool1d` as a layer.

    >>> from tinygrad_bn import ones
    >>> pool = LPPool1d(2, 3)
    >>> pool, pool(ones(2, 3, 9)).shape
    (LPPool1d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False), (2, 3, 3))
    """

    pool = staticmethod(lp_pool1d)


class LPPool2d(_LPPoolNd):
    """:func:`lp_pool2d` as a layer.

    >>> from tinygrad_bn import ones
    >>> pool = LPPool2d(1.5, (2, 3), 1)
    >>> pool, pool(ones(2, 3, 5, 5)).shape
    (LPPool2d(norm_type=1.5, kernel_size=(2, 3), stride=1, ceil_mode=False), (2, 3, 4, 3))
    """

    pool = staticmethod(lp_pool2d)


class LPPool3d(_LPPoolNd):
    """:func:`lp_pool3d` as a layer.

    >>> from tinygrad_bn import ones
    >>> pool = LPPool3d(2, (1, 2, 3), 1)
    >>> pool, pool(ones(2, 3, 4, 5, 5)).shape
    (LPPool3d(norm_type=2, kernel_size=(1, 2, 3), stride=1, ceil_mode=False), (2, 3, 4, 4, 3))
    """

    pool = staticmethod(lp_pool3d)
