"""Resizing images and sequences: ``interpolate`` and the ``Upsample`` modules, as PyTorch's.

Each spatial axis is resampled on its own (so bilinear is linear along H, then
along W). For an output index i on an axis of n_in → n_out elements, with
s = n_in / n_out (or 1 / scale_factor when that was given), the source position is

- nearest:        ⌊i·s⌋
- nearest-exact:  ⌊(i + ½)·s⌋
- linear, align_corners=False:  max((i + ½)·s − ½, 0)
- linear, align_corners=True:   i·(n_in − 1)/(n_out − 1)
- bicubic: as linear, but never clamped (its neighbours are, see below)

clamped to the last element; linear modes mix the two neighbours of a source
position p as (1 − λ)·x[⌊p⌋] + λ·x[⌊p⌋ + 1], λ = p − ⌊p⌋. Bicubic mixes four,
Σ_k W(k − λ)·x[⌊p⌋ + k] for k = −1 … 2, with Keys' cubic convolution kernel
(a = −0.75, as PyTorch)

  W(d) = (a + 2)·|d|³ − (a + 3)·|d|² + 1        for |d| ≤ 1,
  W(d) = a·|d|³ − 5a·|d|² + 8a·|d| − 4a          for 1 < |d| < 2,

a neighbour past either end reading the end element. ``area`` is adaptive average
pooling to the output size. All are indexing and arithmetic on Tensors, so the
gradient scatters back to the neighbours.

``antialias=True`` (bilinear and bicubic, 4-D input) filters as it resamples, as
Pillow and PyTorch do: along each axis y = A·x with

  A[i, j] ∝ K((j + ½ − c_i)/σ),   c_i = s·(i + ½),   σ = max(s, 1),

each row normalized to sum 1 over the pixels j of the axis, K the tent max(0, 1 − |d|)
(bilinear) or the cubic kernel above with a = −½ (bicubic, as PyTorch's). Shrinking
(s > 1) widens the kernel to cover s input pixels per output. Enlarging keeps its width,
which for bilinear without ``align_corners`` is plain bilinear, but for bicubic is not
(another a, and weights renormalized at the ends instead of end elements repeated). With
``align_corners`` the step is s = (n_in − 1)/(n_out − 1) while c_i keeps its form, as in
PyTorch.

>>> from tinygrad_bn import arange
>>> interpolate(arange(4.0).reshape(1, 1, 4), scale_factor=2, mode="linear").tolist()
[[[0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]]]
>>> interpolate(arange(4.0).reshape(1, 1, 4), size=2, mode="area").tolist()
[[[0.5, 2.5]]]
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.pooling import adaptive_avg_pool2d

# mode → the number of spatial axes it takes (None: any)
MODES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 1, "bilinear": 2, "bicubic": 2,
         "trilinear": 3}
INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")  # the modes that take align_corners
CUBIC_A = -0.75  # the cubic convolution kernel's a, PyTorch's choice
ANTIALIAS_CUBIC_A = -0.5  # PyTorch's antialiased bicubic takes Keys' (and Pillow's) a instead


def _per_axis(value, count: int, name: str) -> tuple:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * count
    if len(values) != count:
        raise ValueError(f"interpolate: {name} {value} has {len(values)} entries for {count} spatial dimensions")
    return values


def _check(input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias):  # noqa: A002
    if mode not in MODES:
        raise NotImplementedError(f"interpolate: mode must be one of {sorted(MODES)}, got {mode!r}")
    spatial = input.ndim - 2
    if spatial < 1 or MODES[mode] not in (None, spatial):
        raise NotImplementedError(
            f"interpolate: got a {input.ndim}-D input of shape {input.shape}, but mode {mode!r} needs "
            f"{f'{MODES[mode] + 2}-D' if MODES[mode] else '3-D, 4-D or 5-D'} input (N, C, ...)"
        )
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size or scale_factor")
    if recompute_scale_factor and size is not None:
        raise ValueError("interpolate: recompute_scale_factor needs scale_factor; with an explicit size there is "
                         "no scale to recompute")
    if align_corners is not None and mode not in INTERPOLATING:
        raise ValueError(f"interpolate: align_corners can only be set with the interpolating modes {INTERPOLATING},"
                         f" not {mode!r}")
    if antialias and not (mode in ANTIALIAS_KERNELS and input.ndim == 4):
        raise ArgumentError(f"interpolate: antialias=True needs mode 'bilinear' or 'bicubic' and 4-D input "
                            f"(N, C, H, W), got mode {mode!r} and input of shape {input.shape}")
    return spatial


def _output_size(input, size, scale_factor, recompute_scale_factor, spatial: int) -> tuple:  # noqa: A002
    """The output's spatial size, and the scale of each axis (None: from the sizes)."""
    scales = (None,) * spatial
    if size is None:
        scales = _per_axis(scale_factor, spatial, "scale_factor")
        size = tuple(math.floor(n * scale) for n, scale in zip(input.shape[2:], scales))
        if recompute_scale_factor:
            scales = (None,) * spatial
    size = tuple(int(n) for n in _per_axis(size, spatial, "size"))
    if any(n <= 0 for n in size):
        raise ShapeError(f"interpolate: the output size {size} of input {input.shape} has an empty axis")
    return size, scales


def _step(n_in: int, n_out: int, scale, align_corners: bool) -> float:
    """The distance s between the source positions of neighbouring outputs along an axis."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return n_in / n_out if scale is None else 1.0 / scale


def _sources(n_in: int, n_out: int, scale, mode: str, align_corners: bool):
    """The source position of each output index along one axis (see the module's docstring)."""
    i = numpy.arange(n_out, dtype=numpy.float64)
    s = _step(n_in, n_out, scale, align_corners)
    if mode == "nearest":
        return numpy.minimum(numpy.floor(i * s), n_in - 1)
    if mode == "nearest-exact":
        return numpy.minimum(numpy.floor((i + 0.5) * s), n_in - 1)
    if align_corners:
        return i * s
    if mode == "bicubic":
        return (i + 0.5) * s - 0.5
    return numpy.minimum(numpy.maximum((i + 0.5) * s - 0.5, 0.0), n_in - 1)


def _along(values, axis: int, like):
    """Host ``values`` (one per index along ``axis``) as a tensor broadcasting against ``like``."""
    shape = [1] * like.ndim
    shape[axis] = len(values)
    return Tensor(values.reshape(shape), dtype=like.dtype, device=like.device)


def _near(d, a=CUBIC_A):
    """The cubic convolution kernel W(d) for 0 ≤ d ≤ 1."""
    return ((a + 2) * d - (a + 3)) * d * d + 1


def _far(d, a=CUBIC_A):
    """The cubic convolution kernel W(d) for 1 < d < 2."""
    return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a


def cubic_weights(fractions):
    """The weights W(1 + t), W(t), W(1 − t), W(2 − t) of the neighbours ⌊p⌋ − 1, ⌊p⌋,
    ⌊p⌋ + 1, ⌊p⌋ + 2 of each position p = ⌊p⌋ + t; arrays or Tensors, each four summing to 1.

    >>> [float(w) for w in cubic_weights(numpy.array(0.5))]
    [-0.09375, 0.59375, 0.59375, -0.09375]
    """
    t = fractions
    return _far(t + 1), _near(t), _near(1 - t), _far(2 - t)


def _triangle(d):
    """The linear interpolation kernel max(0, 1 − |d|)."""
    return numpy.maximum(1 - numpy.abs(d), 0.0)


def _keys(d):
    """The cubic convolution kernel with a = −½ (Keys'), 0 from |d| = 2 on."""
    d = numpy.abs(d)
    return numpy.where(d <= 1, _near(d, ANTIALIAS_CUBIC_A), numpy.where(d < 2, _far(d, ANTIALIAS_CUBIC_A), 0.0))


ANTIALIAS_KERNELS = {"bilinear": _triangle, "bicubic": _keys}


def antialias_weights(n_in: int, n_out: int, step: float, mode: str):
    """The (n_out, n_in) matrix A of antialiased resampling along an axis, y = A·x (see the
    module's docstring): A[i, j] ∝ K((j + ½ − s·(i + ½))/σ), σ = max(s, 1), each row summing to 1.

    >>> antialias_weights(6, 3, 2.0, "bilinear")[1].tolist()  # halving: a tent over 4 inputs
    [0.0, 0.125, 0.375, 0.375, 0.125, 0.0]
    """
    kernel = ANTIALIAS_KERNELS[mode]
    stretch = max(step, 1.0)
    centres = step * (numpy.arange(n_out) + 0.5)
    weights = kernel((numpy.arange(n_in) + 0.5 - centres[:, None]) / stretch)
    return weights / weights.sum(axis=1, keepdims=True)


def _resample(x, axis: int, positions, mode: str):
    """``x`` at the (fractional, for the interpolating modes) ``positions`` along ``axis``."""
    below = numpy.floor(positions).astype(numpy.int64)
    if mode not in INTERPOLATING:
        return x.index_select(axis, below)
    last = x.shape[axis] - 1
    if mode == "bicubic":  # Σ_k W(k − λ)·x[⌊p⌋ + k], k = −1 … 2, neighbours past the ends held there
        weights = cubic_weights(positions - below)
        terms = (x.index_select(axis, numpy.clip(below + k, 0, last)) * _along(w, axis, x)
                 for k, w in zip(range(-1, 3), weights))
        return _sum(terms)
    above = numpy.minimum(below + 1, last)
    weight = _along(positions - below, axis, x)
    # (1 − λ)·x[⌊p⌋] + λ·x[⌊p⌋ + 1]
    return x.index_select(axis, below) * (1.0 - weight) + x.index_select(axis, above) * weight


def _apply_along(x, axis: int, matrix):
    """y = A·x along ``axis`` of ``x``, for a host (n_out, n_in) matrix A."""
    a = Tensor(matrix, dtype=x.dtype, device=x.device)
    return (x.transpose(axis, -1) @ a.T).transpose(axis, -1)


def _sum(terms):
    """The sum of an iterable of tensors, added left to right."""
    total = next(terms)
    for term in terms:
        total = total + term
    return total


def _area(input, size: tuple):  # noqa: A002 - PyTorch's argument name
    """Adaptive average pooling of (N, C, d₁, …) input to ``size``, as PyTorch's area mode:
    3-D input as 1 × L images, 5-D input over (H, W) first, then over D."""
    if input.ndim == 3:
        return adaptive_avg_pool2d(input.unsqueeze(2), (1, size[0])).squeeze(2)
    if input.ndim == 4:
        return adaptive_avg_pool2d(input, size)
    n, c, depth = input.shape[:3]
    planes = adaptive_avg_pool2d(input.reshape(n, c * depth, *input.shape[3:]), size[1:])  # (N, C·D, oh, ow)
    columns = adaptive_avg_pool2d(planes.reshape(n, c, depth, size[1] * size[2]), (size[0], None))
    return columns.reshape(n, c, *size)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                recompute_scale_factor=None, antialias=False):
    """PyTorch's ``interpolate``: ``input`` of shape (N, C, d₁, ...) resized to ``size``
    (an int or one per spatial axis) or by ``scale_factor`` (output ⌊dₖ·scale⌋), with
    mode ``"nearest"``, ``"nearest-exact"``, ``"area"`` (3-D to 5-D input),
    ``"linear"`` (3-D), ``"bilinear"`` or ``"bicubic"`` (4-D), or ``"trilinear"``
    (5-D); ``align_corners`` as in PyTorch (False by default); ``antialias=True``
    filters while shrinking (bilinear and bicubic, see the module's docstring).

    >>> from tinygrad_bn import arange, tensor
    >>> interpolate(tensor([[[[1.0, 2.0], [3.0, 4.0]]]]), scale_factor=2).tolist()[0][0][1]
    [1.0, 1.0, 2.0, 2.0]
    >>> resized = interpolate(tensor([[[[0.0, 1.0]]]]), size=(1, 4), mode="bicubic", align_corners=True)
    >>> [round(value, 4) for value in resized.flatten().tolist()]
    [0.0, 0.3148, 0.6852, 1.0]
    >>> shrunk = interpolate(arange(6.0).reshape(1, 1, 1, 6), size=(1, 3), mode="bilinear", antialias=True)
    >>> [round(value, 4) for value in shrunk.flatten().tolist()]  # plainly 0.5, 2.5, 4.5
    [0.7143, 2.5, 4.2857]
    """
    spatial = _check(input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
    size, scales = _output_size(input, size, scale_factor, recompute_scale_factor, spatial)
    if mode == "area":
        return _area(input, size)
    out = input
    for axis, (n_out, scale) in enumerate(zip(size, scales), start=2):
        n_in = input.shape[axis]
        if antialias:
            weights = antialias_weights(n_in, n_out, _step(n_in, n_out, scale, bool(align_corners)), mode)
            out = _apply_along(out, axis, weights)
        else:
            out = _resample(out, axis, _sources(n_in, n_out, scale, mode, bool(align_corners)), mode)
    return out


class Upsample(Module):
    """:func:`interpolate` as a layer, as PyTorch's ``nn.Upsample``.

    >>> Upsample(scale_factor=2, mode="bilinear")
    Upsample(scale_factor=2.0, mode='bilinear')
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) else scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x):
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self):
        described = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{described}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """:class:`Upsample` with ``mode="nearest"``, as PyTorch's ``nn.UpsamplingNearest2d``.

    >>> from tinygrad_bn import ones
    >>> layer = UpsamplingNearest2d(scale_factor=2)
    >>> layer, layer(ones(1, 3, 2, 5)).shape
    (UpsamplingNearest2d(scale_factor=2.0, mode='nearest'), (1, 3, 4, 10))
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """:class:`Upsample` with ``mode="bilinear"`` and ``align_corners=True``, as PyTorch's
    ``nn.UpsamplingBilinear2d``.

    >>> from tinygrad_bn import tensor
    >>> layer = UpsamplingBilinear2d(size=(1, 3))
    >>> layer, layer(tensor([[[[0.0, 1.0]]]])).tolist()
    (UpsamplingBilinear2d(size=(1, 3), mode='bilinear'), [[[[0.0, 0.5, 1.0]]]])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
