"""Resizing images and sequences: ``interpolate`` and the ``Upsample`` module, as PyTorch's.

Each spatial axis is resampled on its own (so bilinear is linear along H, then
along W). For an output index i on an axis of n_in → n_out elements, with
s = n_in / n_out (or 1 / scale_factor when that was given), the source position is

- nearest:        ⌊i·s⌋
- nearest-exact:  ⌊(i + ½)·s⌋
- linear, align_corners=False:  max((i + ½)·s − ½, 0)
- linear, align_corners=True:   i·(n_in − 1)/(n_out − 1)

clamped to the last element; linear modes mix the two neighbours of a source
position p as (1 − λ)·x[⌊p⌋] + λ·x[⌊p⌋ + 1], λ = p − ⌊p⌋. Both are indexing and
arithmetic on Tensors, so the gradient scatters back to the neighbours.

>>> from tinygrad_bn import arange
>>> interpolate(arange(4.0).reshape(1, 1, 4), scale_factor=2, mode="linear").tolist()
[[[0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]]]
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.module import Module

# mode → the number of spatial axes it takes (None: any)
MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2, "trilinear": 3}
LINEAR = ("linear", "bilinear", "trilinear")


def _per_axis(value, count: int, name: str) -> tuple:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * count
    if len(values) != count:
        raise ValueError(f"interpolate: {name} {value} has {len(values)} entries for {count} spatial dimensions")
    return values


def _check(input, size, scale_factor, mode, align_corners):  # noqa: A002 - PyTorch's argument name
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
    if align_corners is not None and mode not in LINEAR:
        raise ValueError(f"interpolate: align_corners can only be set with the linear modes {LINEAR}, not {mode!r}")
    return spatial


def _sources(n_in: int, n_out: int, scale, mode: str, align_corners: bool):
    """The source position of each output index along one axis (see the module's docstring)."""
    i = numpy.arange(n_out, dtype=numpy.float64)
    s = n_in / n_out if scale is None else 1.0 / scale
    if mode == "nearest":
        return numpy.minimum(numpy.floor(i * s), n_in - 1)
    if mode == "nearest-exact":
        return numpy.minimum(numpy.floor((i + 0.5) * s), n_in - 1)
    if align_corners:
        return i * ((n_in - 1) / (n_out - 1)) if n_out > 1 else numpy.zeros(n_out)
    return numpy.minimum(numpy.maximum((i + 0.5) * s - 0.5, 0.0), n_in - 1)


def _resample(x, axis: int, positions, linear: bool):
    """``x`` at the (fractional, for ``linear``) ``positions`` along ``axis``."""
    below = numpy.floor(positions).astype(numpy.int64)
    if not linear:
        return x.index_select(axis, below)
    above = numpy.minimum(below + 1, x.shape[axis] - 1)
    shape = [1] * x.ndim
    shape[axis] = len(positions)
    weight = Tensor((positions - below).reshape(shape), dtype=x.dtype, device=x.device)
    # (1 − λ)·x[⌊p⌋] + λ·x[⌊p⌋ + 1]
    return x.index_select(axis, below) * (1.0 - weight) + x.index_select(axis, above) * weight


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                recompute_scale_factor=None, antialias=False):
    """PyTorch's ``interpolate``: ``input`` of shape (N, C, d₁, ...) resized to ``size``
    (an int or one per spatial axis) or by ``scale_factor`` (output ⌊dₖ·scale⌋), with
    mode ``"nearest"``, ``"nearest-exact"``, ``"linear"`` (3-D input), ``"bilinear"``
    (4-D) or ``"trilinear"`` (5-D); ``align_corners`` as in PyTorch (False by default).

    >>> from tinygrad_bn import tensor
    >>> interpolate(tensor([[[[1.0, 2.0], [3.0, 4.0]]]]), scale_factor=2).tolist()[0][0][1]
    [1.0, 1.0, 2.0, 2.0]
    """
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    spatial = _check(input, size, scale_factor, mode, align_corners)
    scales = (None,) * spatial
    if size is None:
        scales = _per_axis(scale_factor, spatial, "scale_factor")
        size = tuple(math.floor(n * scale) for n, scale in zip(input.shape[2:], scales))
        if recompute_scale_factor:
            scales = (None,) * spatial
    size = tuple(int(n) for n in _per_axis(size, spatial, "size"))
    if any(n <= 0 for n in size):
        raise ShapeError(f"interpolate: the output size {size} of input {input.shape} has an empty axis")
    out = input
    for axis, (n_out, scale) in enumerate(zip(size, scales), start=2):
        positions = _sources(input.shape[axis], n_out, scale, mode, bool(align_corners))
        out = _resample(out, axis, positions, mode in LINEAR)
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
