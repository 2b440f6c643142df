"""Spatial transformers: ``affine_grid`` and ``grid_sample`` for 4-D (N, C, H, W) and
5-D (N, C, D, H, W) input, as PyTorch's.

``affine_grid`` maps the normalized coordinates of every output pixel, (x, y, 1), or
voxel, (x, y, z, 1), with each coordinate in [−1, 1], through a batch of 2 × 3 or 3 × 4
matrices θ: grid = base · θᵀ, (N, H, W, 2) or (N, D, H, W, 3). With
``align_corners=True`` −1 and 1 are the centres of the corner pixels
(x_j = −1 + 2j/(W − 1)); with False they are the outer edges of the corner pixels
(x_j = (−1 + 2j/(W − 1))·(W − 1)/W), a size of 1 giving 0.

``grid_sample`` reads the input at those coordinates, a grid (N, H_out, W_out, 2) of
(x, y) or (N, D_out, H_out, W_out, 3) of (x, y, z), x along W, y along H and z along D,
turned into pixel positions by

  align_corners=True:   p = (g + 1)/2 · (size − 1)
  align_corners=False:  p = ((g + 1)·size − 1)/2,

where ``padding_mode`` decides what lies outside the image: ``"zeros"`` (0),
``"border"`` (p clipped to [0, size − 1]) or ``"reflection"`` (p mirrored at the
image's edges, the pixels' centres with align_corners=True or their outer edges
without, then clipped). ``"bilinear"`` (trilinear for 5-D input) mixes the 2ᵈ pixels
q around p, weighted by Π (1 − |p − q|) over the axes; ``"nearest"`` takes the pixel at
p rounded half to even. ``"bicubic"`` (4-D input only) mixes the 4 × 4 pixels
q = ⌊p⌋ − 1 … ⌊p⌋ + 2 of each axis, weighted by Π W(p − q) with interpolate's cubic
convolution kernel W (a = −0.75); as in PyTorch its p is not padded, its taps q are:
outside the image they read 0 (``"zeros"``), the clipped tap (``"border"``) or the
mirrored and clipped tap (``"reflection"``). All are gathers and arithmetic on Tensors,
so the engine derives the gradients for the input and (bilinear, bicubic) for the grid,
and the second derivatives too; as in PyTorch, a clipped coordinate's gradient is 0 on
and past the border.

>>> from tinygrad_bn import arange, tensor
>>> image = arange(4.0).reshape(1, 1, 2, 2)
>>> identity = affine_grid(tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]), (1, 1, 2, 2), align_corners=False)
>>> grid_sample(image, identity, align_corners=False).tolist()
[[[[0.0, 1.0], [2.0, 3.0]]]]
>>> grid_sample(image, tensor([[[[0.0, 0.0]]]]), align_corners=True).item()  # the centre: the mean
1.5
"""

from __future__ import annotations

import functools
import itertools
import operator
import warnings

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.nn.interpolate import cubic_weights
from tinygrad_bn.ops import where
from tinygrad_bn.ops.promotion import constant

MODES = ("bilinear", "nearest", "bicubic")
PADDING_MODES = ("zeros", "border", "reflection")


def _align_corners(align_corners, function: str) -> bool:
    """``align_corners``, warning as PyTorch does when it was left out (it is then False)."""
    if align_corners is None:
        warnings.warn(
            f"{function}: align_corners was not given, so it is False: the grid's −1 and 1 are the outer edges "
            "of the corner pixels (before PyTorch 1.3.0 they were the corner pixels' centres, align_corners=True); "
            "pass align_corners explicitly to silence this warning",
            UserWarning,
            stacklevel=3,
        )
        return False
    return bool(align_corners)


def _normalized_steps(count: int, align_corners: bool):
    """The normalized coordinates of ``count`` pixels along an axis (host, float64)."""
    if count <= 1:
        return numpy.zeros(count)
    steps = numpy.linspace(-1.0, 1.0, count)
    return steps if align_corners else steps * ((count - 1) / count)


def _check_theta(theta, size: tuple):
    if theta.dtype.kind != "f":
        raise ArgumentError(f"affine_grid expects a floating-point theta, got dtype {theta.dtype}")
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid expects a 4-D size (N, C, H, W) or a 5-D size (N, C, D, H, W), "
                                  f"got size {size}")
    d = len(size) - 2
    if theta.shape != (size[0], d, d + 1):
        raise ShapeError(f"affine_grid for size {size} expects a batch of {d} × {d + 1} affine matrices, theta of "
                         f"shape ({size[0]}, {d}, {d + 1}), got {theta.shape}")


def affine_grid(theta, size, align_corners=None):
    """The sampling grid (N, H, W, 2) of the affine maps ``theta`` (N, 2, 3) for an output
    of ``size`` (N, C, H, W), or (N, D, H, W, 3) of ``theta`` (N, 3, 4) for (N, C, D, H, W):
    each output pixel's normalized (x, y[, z]) mapped by θ.

    >>> from tinygrad_bn import tensor
    >>> flip = tensor([[[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])  # x ↦ −x
    >>> affine_grid(flip, (1, 1, 2, 3), align_corners=True)[0, 0].tolist()  # the top row
    [[1.0, -1.0], [0.0, -1.0], [-1.0, -1.0]]
    >>> swap = tensor([[[0.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]])  # x ↔ z
    >>> affine_grid(swap, (1, 1, 2, 2, 2), align_corners=True)[0, :, 0, 0].tolist()  # down D at the first h, w
    [[-1.0, -1.0, -1.0], [1.0, -1.0, -1.0]]
    """
    align_corners = _align_corners(align_corners, "affine_grid")
    size = tuple(int(n) for n in size)
    _check_theta(theta, size)
    n, spatial = size[0], size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn(f"affine_grid: with align_corners=True a grid of size {spatial} has an axis of one pixel, "
                      "whose coordinate is 0 whatever the map (an unusual use of affine_grid)",
                      UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise ArgumentError(f"affine_grid expects a positive size, got {size}")
    along_axes = numpy.meshgrid(*(_normalized_steps(s, align_corners) for s in spatial), indexing="ij")
    # (x, y[, z], 1) per pixel: x runs along the last axis (W), y along H, z along D
    base = numpy.stack([*reversed(along_axes), numpy.ones(spatial)], axis=-1).reshape(1, -1, len(spatial) + 1)
    grid = Tensor(base, dtype=theta.dtype, device=theta.device) @ theta.transpose(1, 2)  # (N, pixels, d)
    return grid.reshape(n, *spatial, len(spatial))


def _check_sampling(input, grid, mode, padding_mode):  # noqa: A002 - PyTorch's argument name
    if mode not in MODES:
        raise ArgumentError(f"grid_sample expects mode 'bilinear', 'nearest' or 'bicubic', got {mode!r}")
    if padding_mode not in PADDING_MODES:
        raise ArgumentError(f"grid_sample expects padding_mode 'zeros', 'border' or 'reflection', got {padding_mode!r}")
    if input.ndim not in (4, 5) or 0 in input.shape[2:]:
        raise ShapeError(f"grid_sample expects input of shape (N, C, H, W) or (N, C, D, H, W) with non-empty "
                         f"spatial axes, got {input.shape}")
    d = input.ndim - 2
    if mode == "bicubic" and d == 3:
        raise ArgumentError(f"grid_sample: mode='bicubic' takes 4-D input (N, C, H, W), as in PyTorch, got input "
                            f"of shape {input.shape}; use 'bilinear' or 'nearest' for 5-D input")
    if grid.ndim != input.ndim or grid.shape[0] != input.shape[0] or grid.shape[-1] != d:
        axes = "D_out, H_out, W_out" if d == 3 else "H_out, W_out"
        raise ShapeError(f"grid_sample of input {input.shape} expects a grid of shape ({input.shape[0]}, {axes}, "
                         f"{d}), got {grid.shape}")
    if grid.dtype != input.dtype:
        raise DtypeError(f"grid_sample expects a grid of the input's dtype {input.dtype}, got {grid.dtype}")


def _clip(p, size: int):
    """p held in [0, size − 1], its gradient 0 on and past the border (as PyTorch's)."""
    inside = (p > 0) & (p < size - 1)
    return where(inside, p, p.detach().clamp(0, size - 1))


def _reflect(p, size: int, align_corners: bool):
    """p mirrored into [low, low + span]: the pixels' centres [0, size − 1] with
    ``align_corners``, their outer edges [−½, size − ½] without."""
    low, span = (0.0, size - 1.0) if align_corners else (-0.5, float(size))
    if span == 0:
        return p * 0.0
    distance = (p - low).abs()
    extra, flips = distance.fmod(span), (distance / span).floor()
    return where(flips % 2 == 0, extra + low, span - extra + low)


def _unnormalize(g, size: int, align_corners: bool):
    """Normalized coordinates ``g`` as positions along an axis of ``size`` pixels."""
    return (g + 1) / 2 * (size - 1) if align_corners else ((g + 1) * size - 1) / 2


def _pad(p, size: int, padding_mode: str, align_corners: bool):
    """Positions ``p`` along an axis of ``size`` pixels brought inside it by ``padding_mode``
    (``"zeros"`` leaves them where they are)."""
    if padding_mode == "border":
        return _clip(p, size)
    if padding_mode == "reflection":
        return _clip(_reflect(p, size, align_corners), size)
    return p


def _pick(pixels, indices, size: tuple):
    """The values (N, C, P) of ``pixels`` (N, C, Π size) at the integer ``indices`` (one
    device array of N × P per axis), 0 where they fall outside the image."""
    xp = pixels.xp
    n, c, _ = pixels.shape
    inside = xp.stack([(i >= 0) & (i < s) for i, s in zip(indices, size)]).all(axis=0)
    index = xp.ravel_multi_index(tuple(indices), size, mode="clip")
    index = xp.broadcast_to(index.reshape(n, 1, -1), (n, c, index.shape[-1]))
    values = pixels.gather(2, constant(index, pixels))
    return where(constant(inside.reshape(n, 1, -1), pixels), values, 0.0)


def _mix(pixels, taps, weights, size: tuple):
    """Σ over the taps q (one of each axis's) of Π w(q)·x[q]: ``taps`` and ``weights`` hold
    per axis the integer positions (device arrays of N × P) and their weights (Tensors)."""
    terms = []
    for choice in itertools.product(*(range(len(axis_taps)) for axis_taps in taps)):
        weight = functools.reduce(operator.mul, (w[k] for w, k in zip(weights, choice)))
        at = [axis_taps[k] for axis_taps, k in zip(taps, choice)]
        terms.append(weight.unsqueeze(1) * _pick(pixels, at, size))
    return functools.reduce(operator.add, terms)


def _nearest(pixels, coordinates, size: tuple, padding_mode: str, align_corners: bool):
    """x at p rounded half to even along each axis."""
    positions = (_pad(_unnormalize(g, s, align_corners), s, padding_mode, align_corners)
                 for g, s in zip(coordinates, size))
    return _pick(pixels, [p.xp.rint(p._data).astype("int64") for p in positions], size)


def _bilinear(pixels, coordinates, size: tuple, padding_mode: str, align_corners: bool):
    """Σ over the 2ᵈ pixels q around p of Π (1 − |p − q|)·x[q]."""
    positions = [_pad(_unnormalize(g, s, align_corners), s, padding_mode, align_corners)
                 for g, s in zip(coordinates, size)]
    lows = [constant(p.xp.floor(p._data), p) for p in positions]
    taps = [(q, q + 1) for q in (low._data.astype("int64") for low in lows)]
    weights = [(1 - (p - low), p - low) for p, low in zip(positions, lows)]
    return _mix(pixels, taps, weights, size)


def _bicubic(pixels, coordinates, size: tuple, padding_mode: str, align_corners: bool):
    """Σ over the 4 × 4 taps q = ⌊p⌋ − 1 … ⌊p⌋ + 2 of Π W(p − q)·x[pad(q)]: p itself is
    not padded, each tap is."""
    positions = [_unnormalize(g, s, align_corners) for g, s in zip(coordinates, size)]
    lows = [constant(p.xp.floor(p._data), p) for p in positions]
    taps = [[_pad(low + k, s, padding_mode, align_corners)._data.astype("int64") for k in range(-1, 3)]
            for low, s in zip(lows, size)]
    weights = [cubic_weights(p - low) for p, low in zip(positions, lows)]
    return _mix(pixels, taps, weights, size)


SAMPLERS = {"bilinear": _bilinear, "nearest": _nearest, "bicubic": _bicubic}


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):  # noqa: A002
    """``input`` (N, C, H, W) read at the normalized (x, y) of ``grid`` (N, H_out, W_out, 2):
    (N, C, H_out, W_out), or (N, C, D, H, W) at the (x, y, z) of (N, D_out, H_out, W_out, 3):
    (N, C, D_out, H_out, W_out); ``mode`` ``"bilinear"``, ``"nearest"`` or ``"bicubic"``
    (4-D), ``padding_mode`` ``"zeros"``, ``"border"`` or ``"reflection"`` (see the
    module's docstring).

    >>> from tinygrad_bn import arange, tensor
    >>> row = arange(3.0).reshape(1, 1, 1, 3)
    >>> grid = tensor([[[[-2.0, 0.0], [0.25, 0.0], [2.0, 0.0]]]])  # left of, inside and right of the image
    >>> grid_sample(row, grid, padding_mode="border", align_corners=True).tolist()
    [[[[0.0, 1.25, 2.0]]]]
    >>> grid_sample(row, grid, mode="bicubic", padding_mode="border", align_corners=True).tolist()  # taps 0, 1, 2, 2
    [[[[0.0, 1.33203125, 2.0]]]]
    >>> volume = arange(8.0).reshape(1, 1, 2, 2, 2)
    >>> grid_sample(volume, tensor([[[[[0.0, 0.0, 0.0]]]]]), align_corners=True).item()  # the mean
    3.5
    """
    _check_sampling(input, grid, mode, padding_mode)
    align_corners = _align_corners(align_corners, "grid_sample")
    n, c, *size = input.shape
    points = grid.reshape(n, -1, len(size))  # (N, P, d)
    # the grid's (x, y[, z]) run along the input's axes (W, H[, D]), last to first
    coordinates = [points[..., k] for k in reversed(range(len(size)))]
    output = SAMPLERS[mode](input.reshape(n, c, -1), coordinates, tuple(size), padding_mode, align_corners)
    return output.reshape(n, c, *grid.shape[1:-1])
