"""Fractional max pooling (Graham, 2014): the maximum over k-wide windows whose starts
step by a non-integer amount on average, so an axis of n entries shrinks to any m of
them (n/m between 1 and 2 being the point), for 2-D images and 3-D volumes.

Each (sample, channel) plane draws one u ∈ [0, 1) per axis and, with
α = (n − k)/(m − 1), its windows start at

    start_i = ⌊(i + u)·α⌋ − ⌊u·α⌋   (i < m − 1),    start_{m−1} = n − k,

computed in the input's dtype, as PyTorch's CPU kernel does. The u are drawn as
``rand(N, C, axes)`` in the input's dtype from the seeded default generator, the draw
PyTorch makes, so after the same seed the windows (and so the outputs) are PyTorch's.
u[..., 0] goes with the width and u[..., 1] with the height of images, u[..., 0 : 3]
with depth, height and width of volumes (PyTorch's pairing). The first maximum of a
window wins a tie (in row-major window order), and its gradient goes there.

>>> from tinygrad_bn import arange, tensor
>>> x = arange(25.0).reshape(1, 1, 5, 5)
>>> fractional_max_pool2d(x, 2, output_size=3, _random_samples=tensor([[[0.0, 0.0]]])).tolist()
[[[[6.0, 7.0, 9.0], [11.0, 12.0, 14.0], [21.0, 22.0, 24.0]]]]
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn import generator as generators
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.unbatched import also_unbatched
from tinygrad_bn.ops.indexing import gather
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.reduce import Max
from tinygrad_bn.ops.windows import ints

IMAGE_AXES, VOLUME_AXES = ("height", "width"), ("time", "height", "width")  # PyTorch's names, in its errors
LAYOUT = {2: "H, W", 3: "D, H, W"}
# which u of a plane's draw goes with each axis, in axis order: (H, W) ← (u1, u0) and (D, H, W) ← (u0, u1, u2)
SAMPLE_OF_AXIS = {2: (1, 0), 3: (0, 1, 2)}


@also_unbatched(4)
def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,  # noqa: A002 - PyTorch's name
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) images to ``output_size`` (an
    int or (OH, OW)), or to ⌊ratio·size⌋ for ``output_ratio`` (a float in (0, 1) or a
    pair); ``_random_samples`` (N, C, 2) fixes the draw. With ``return_indices``, also
    where each maximum is, as h·W + w (int64, what ``max_unpool2d`` takes).

    >>> from tinygrad_bn import ones
    >>> fractional_max_pool2d(ones(2, 3, 10, 9), 3, output_ratio=0.5).shape
    (2, 3, 5, 4)
    """
    return _fractional_max_pool("fractional_max_pool2d", IMAGE_AXES, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,  # noqa: A002
                                       return_indices=False, _random_samples=None):
    """:func:`fractional_max_pool2d` returning (values, indices) whatever ``return_indices`` says.

    >>> from tinygrad_bn import ones
    >>> [t.dtype.name for t in fractional_max_pool2d_with_indices(ones(1, 1, 4, 4), 2, 2)]
    ['float32', 'int64']
    """
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True, _random_samples)


@also_unbatched(5)
def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,  # noqa: A002 - PyTorch's name
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of (N, C, D, H, W) or (C, D, H, W) volumes, as
    :func:`fractional_max_pool2d` with three axes: ``_random_samples`` is (N, C, 3) and
    the indices are d·H·W + h·W + w (what ``max_unpool3d`` takes).

    >>> from tinygrad_bn import ones
    >>> fractional_max_pool3d(ones(1, 2, 6, 7, 8), 2, output_size=(3, 4, 5)).shape
    (1, 2, 3, 4, 5)
    """
    return _fractional_max_pool("fractional_max_pool3d", VOLUME_AXES, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,  # noqa: A002
                                       return_indices=False, _random_samples=None):
    """:func:`fractional_max_pool3d` returning (values, indices) whatever ``return_indices`` says.

    >>> from tinygrad_bn import ones
    >>> fractional_max_pool3d_with_indices(ones(1, 1, 4, 4, 4), 2, 2)[1].shape
    (1, 1, 2, 2, 2)
    """
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True, _random_samples)


def _fractional_max_pool(name, axes, x, kernel_size, output_size, output_ratio, return_indices, samples):
    """The pool of (N, C, *size) ``x`` over len(``axes``) axes, as described in the module."""
    count = len(axes)
    if x.ndim != count + 2:
        layout = LAYOUT[count]
        raise ShapeError(f"{name} expects input of shape (N, C, {layout}) or (C, {layout}), got {x.shape}")
    kernel = ints(kernel_size, count, "kernel_size")
    size = x.shape[2:]
    output_size = _output_size(name, size, output_size, output_ratio)
    _check_windows_fit(name, axes, size, kernel, output_size)
    u = _samples(name, x, samples, count)
    starts = [_window_starts(u[..., k], n, m, kernel_axis, x.dtype)
              for k, n, m, kernel_axis in zip(SAMPLE_OF_AXIS[count], size, output_size, kernel, strict=True)]
    places = _window_places(starts, size, kernel)  # (N, C, OH·OW, kh·kw) flat indices into each plane
    n, c = x.shape[:2]
    where = Tensor(places.reshape(n, c, -1), device=x.device)
    windows = gather(x.reshape(n, c, -1), 2, where).reshape(places.shape)
    pooled = Max.apply(windows, axes=(3,), keepdims=False, ties="first").reshape(n, c, *output_size)
    if not return_indices:
        return pooled
    first = windows.xp.argmax(windows._data, axis=3)[..., None]  # the first maximum of each window
    indices = windows.xp.take_along_axis(where._data.reshape(places.shape), first, axis=3)
    return pooled, constant(indices.reshape(n, c, *output_size), windows)


def _output_size(name, size, output_size, output_ratio) -> tuple:
    """(OH, OW) or (OD, OH, OW): ``output_size`` as given, else ⌊ratio·n⌋ on each axis."""
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is not None:
        return ints(output_size, len(size), "output_size", minimum=0)
    ratios = (output_ratio,) * len(size) if isinstance(output_ratio, (int, float)) else tuple(output_ratio)
    if len(ratios) != len(size):
        raise ArgumentError(f"{name}: output_ratio must be a float or {len(size)} floats, got {output_ratio!r}")
    return tuple(int(n * ratio) for n, ratio in zip(size, ratios, strict=True))


def _check_windows_fit(name, axes, size, kernel, output_size):
    """Refuse an output that needs more windows than the axis holds: m + k − 1 ≤ n for
    images, m + k − 1 < n for volumes, as PyTorch checks (volumes in the order D, W, H)."""
    order = (0, 1) if len(axes) == 2 else (0, 2, 1)
    for axis in order:
        n, k, m = size[axis], kernel[axis], output_size[axis]
        if m + k - 1 > n or (len(axes) == 3 and m + k - 1 == n):
            raise ShapeError(f"{name}: pool {axes[axis]} {k} too large relative to input {axes[axis]} {n} "
                             f"for an output {axes[axis]} of {m}")


def _samples(name, x, samples, count) -> numpy.ndarray:
    """The planes' u as a host array (N, C, count): ``samples`` checked, or drawn."""
    n, c = x.shape[:2]
    if samples is None:
        return generators.uniform((n, c, count), x.dtype)
    if samples.dtype != x.dtype:
        raise DtypeError(f"{name}: _random_samples must have the input's dtype {x.dtype}, got {samples.dtype}")
    if samples.ndim != 3 or samples.shape[0] < n or samples.shape[1:] != (c, count):
        raise ShapeError(f"{name} expects _random_samples of shape (at least {n}, {c}, {count}), got {samples.shape}")
    return samples._backend.to_host(samples.detach()._data)[:n]


def _window_starts(u, n: int, m: int, k: int, dtype) -> numpy.ndarray:
    """The m window starts along an axis of n entries for each plane's ``u`` (N, C), as
    int64 (N, C, m): start_i = ⌊(i + u)·α⌋ − ⌊u·α⌋, α = (n − k)/(m − 1), in ``dtype``;
    the last window ends at the axis' end."""
    last = numpy.full((*u.shape, min(m, 1)), n - k, dtype=numpy.int64)
    if m <= 1:
        return last
    real = numpy.dtype(dtype).type
    alpha = real(n - k) / real(m - 1)
    steps = (numpy.arange(m - 1, dtype=dtype) + u[..., None]) * alpha
    starts = steps.astype(numpy.int64) - (u * alpha).astype(numpy.int64)[..., None]
    return numpy.concatenate([starts, last], axis=-1)


def _window_places(starts, size, kernel) -> numpy.ndarray:
    """Flat indices (N, C, ∏m, ∏k) into each plane of every window's entries, the windows
    in row-major output order and each window's entries in row-major order; ``starts``
    holds the (N, C, m) starts of each axis."""
    count = len(starts)
    flat = 0
    for axis, (first, k) in enumerate(zip(starts, kernel, strict=True)):
        stride = math.prod(size[axis + 1:])
        # axes: N, C, the count output axes, the count kernel axes
        shape = [*first.shape[:2], *(1,) * (2 * count)]
        shape[2 + axis] = first.shape[2]
        offset = [1] * (2 + 2 * count)
        offset[2 + count + axis] = k
        flat = flat + (first.reshape(shape) + numpy.arange(k).reshape(offset)) * stride
    n, c = starts[0].shape[:2]
    return numpy.broadcast_to(flat, (n, c, *(s.shape[2] for s in starts), *kernel)).reshape(
        n, c, math.prod(s.shape[2] for s in starts), math.prod(kernel))


class _FractionalMaxPoolNd(Module):
    """What the fractional max pools share: their arguments, checked as PyTorch checks them."""

    pool = None
    axes = 0

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _repeated(kernel_size, self.axes)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = None if output_size is None else _repeated(output_size, self.axes)
        self.output_ratio = None if output_ratio is None else _repeated(output_ratio, self.axes)
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < ratio < 1 for ratio in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return type(self).pool(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                               self._random_samples)


def _repeated(value, count: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * count


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """:func:`fractional_max_pool2d` as a layer; its sizes and ratios are kept as pairs.

    >>> from tinygrad_bn import ones
    >>> pool = FractionalMaxPool2d(3, output_ratio=0.5)
    >>> pool, pool.kernel_size, pool(ones(2, 4, 9, 8)).shape
    (FractionalMaxPool2d(), (3, 3), (2, 4, 4, 4))
    """

    pool = staticmethod(fractional_max_pool2d)
    axes = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """:func:`fractional_max_pool3d` as a layer; its sizes and ratios are kept as triples.

    >>> from tinygrad_bn import ones
    >>> FractionalMaxPool3d(2, output_size=(3, 4, 5))(ones(2, 6, 7, 8)).shape
    (2, 3, 4, 5)
    """

    pool = staticmethod(fractional_max_pool3d)
    axes = 3
