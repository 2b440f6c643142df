"""Spatial transformers: ``affine_grid`` and ``grid_sample`` for 4-D (N, C, H, W) input,
as PyTorch's.

``affine_grid`` maps the normalized coordinates of every output pixel, (x, y, 1) with
x, y in [−1, 1], through a batch of 2 × 3 matrices θ: grid = base · θᵀ, (N, H, W, 2).
With ``align_corners=True`` −1 and 1 are the centres of the corner pixels
(x_j = −1 + 2j/(W − 1)); with False they are the outer edges of the corner pixels
(x_j = (−1 + 2j/(W − 1))·(W − 1)/W), a size of 1 giving 0.

``grid_sample`` reads the input at those coordinates, (N, H_out, W_out, 2) of
(x, y) pairs, turned into pixel positions by

  align_corners=True:   p = (g + 1)/2 · (size − 1)
  align_corners=False:  p = ((g + 1)·size − 1)/2,

where ``padding_mode`` decides what lies outside the image: ``"zeros"`` (0),
``"border"`` (p clipped to [0, size − 1]) or ``"reflection"`` (p mirrored at the
image's edges, the pixels' centres with align_corners=True or their outer edges
without, then clipped). ``"bilinear"`` mixes the four pixels around p, weighted by
(1 − |p − q|) along each axis; ``"nearest"`` takes the pixel at p rounded half to
even. Both are gathers and arithmetic on Tensors, so the engine derives the
gradients for the input and (bilinear) for the grid; as in PyTorch, a clipped
coordinate's gradient is 0 on and past the border.

>>> from tinygrad_bn import arange, tensor
>>> image = arange(4.0).reshape(1, 1, 2, 2)
>>> identity = affine_grid(tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]), (1, 1, 2, 2), align_corners=False)
>>> grid_sample(image, identity, align_corners=False).tolist()
[[[[0.0, 1.0], [2.0, 3.0]]]]
>>> grid_sample(image, tensor([[[[0.0, 0.0]]]]), align_corners=True).item()  # the centre: the mean
1.5
"""

from __future__ import annotations

import warnings

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.ops import where
from tinygrad_bn.ops.promotion import constant

MODES = ("bilinear", "nearest")
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
    if len(size) == 5:
        raise NotImplementedError(f"affine_grid: 3-D affine grids (a 5-D size) are not supported, got size {size}; "
                                  "give a 4-D size (N, C, H, W) and thetas of shape (N, 2, 3)")
    if len(size) != 4:
        raise NotImplementedError(f"affine_grid expects a 4-D size (N, C, H, W), got size {size}")
    if theta.shape != (size[0], 2, 3):
        raise ShapeError(f"affine_grid for size {size} expects a batch of 2 × 3 affine matrices, theta of shape "
                         f"({size[0]}, 2, 3), got {theta.shape}")


def affine_grid(theta, size, align_corners=None):
    """The sampling grid (N, H, W, 2) of the affine maps ``theta`` (N, 2, 3) for an output
    of ``size`` (N, C, H, W): each output pixel's normalized (x, y) mapped by θ.

    >>> from tinygrad_bn import tensor
    >>> flip = tensor([[[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])  # x ↦ −x
    >>> affine_grid(flip, (1, 1, 2, 3), align_corners=True)[0, 0].tolist()  # the top row
    [[1.0, -1.0], [0.0, -1.0], [-1.0, -1.0]]
    """
    align_corners = _align_corners(align_corners, "affine_grid")
    size = tuple(int(n) for n in size)
    _check_theta(theta, size)
    n, _, h, w = size
    if align_corners and min(h, w) == 1:
        warnings.warn(f"affine_grid: with align_corners=True a grid of size {(h, w)} has an axis of one pixel, "
                      "whose coordinate is 0 whatever the map (an unusual use of affine_grid)",
                      UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise ArgumentError(f"affine_grid expects a positive size, got {size}")
    xs, ys = numpy.meshgrid(_normalized_steps(w, align_corners), _normalized_steps(h, align_corners))
    base = numpy.stack([xs, ys, numpy.ones_like(xs)], axis=-1).reshape(1, h * w, 3)  # (x, y, 1) per pixel
    grid = Tensor(base, dtype=theta.dtype, device=theta.device) @ theta.transpose(1, 2)  # (N, H·W, 2)
    return grid.reshape(n, h, w, 2)


def _check_sampling(input, grid, mode, padding_mode):  # noqa: A002 - PyTorch's argument name
    if mode not in MODES:
        if mode == "bicubic":
            raise NotImplementedError("grid_sample: mode='bicubic' is not supported; use 'bilinear' or 'nearest'")
        raise ArgumentError(f"grid_sample expects mode 'bilinear' or 'nearest', got {mode!r}")
    if padding_mode not in PADDING_MODES:
        raise ArgumentError(f"grid_sample expects padding_mode 'zeros', 'border' or 'reflection', got {padding_mode!r}")
    if input.ndim == 5:
        raise NotImplementedError(f"grid_sample: 5-D (volumetric) input is not supported, got shape {input.shape}")
    if input.ndim != 4 or 0 in input.shape[2:]:
        raise ShapeError(f"grid_sample expects input of shape (N, C, H, W) with non-empty H and W, "
                         f"got {input.shape}")
    if grid.ndim != 4 or grid.shape[0] != input.shape[0] or grid.shape[3] != 2:
        raise ShapeError(f"grid_sample of input {input.shape} expects a grid of shape ({input.shape[0]}, H_out, "
                         f"W_out, 2), got {grid.shape}")
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


def _pixel_positions(g, size: int, padding_mode: str, align_corners: bool):
    """Normalized coordinates ``g`` as positions along an axis of ``size`` pixels."""
    p = (g + 1) / 2 * (size - 1) if align_corners else ((g + 1) * size - 1) / 2
    if padding_mode == "border":
        return _clip(p, size)
    if padding_mode == "reflection":
        return _clip(_reflect(p, size, align_corners), size)
    return p


def _pick(pixels, rows, cols, size: tuple):
    """The values (N, C, P) of ``pixels`` (N, C, H·W) at integer ``rows`` and ``cols``
    (device arrays of N × P), 0 where they fall outside the image."""
    (h, w), xp = size, pixels.xp
    n, c, _ = pixels.shape
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    index = xp.clip(rows, 0, h - 1) * w + xp.clip(cols, 0, w - 1)
    index = xp.broadcast_to(index.reshape(n, 1, -1), (n, c, index.shape[-1]))
    values = pixels.gather(2, constant(index, pixels))
    return where(constant(inside.reshape(n, 1, -1), pixels), values, 0.0)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):  # noqa: A002
    """``input`` (N, C, H, W) read at the normalized (x, y) of ``grid`` (N, H_out, W_out, 2):
    (N, C, H_out, W_out); ``mode`` ``"bilinear"`` or ``"nearest"``, ``padding_mode``
    ``"zeros"``, ``"border"`` or ``"reflection"`` (see the module's docstring).

    >>> from tinygrad_bn import arange, tensor
    >>> row = arange(3.0).reshape(1, 1, 1, 3)
    >>> grid = tensor([[[[-2.0, 0.0], [0.25, 0.0], [2.0, 0.0]]]])  # left of, inside and right of the image
    >>> grid_sample(row, grid, padding_mode="border", align_corners=True).tolist()
    [[[[0.0, 1.25, 2.0]]]]
    """
    _check_sampling(input, grid, mode, padding_mode)
    align_corners = _align_corners(align_corners, "grid_sample")
    n, c, h, w = input.shape
    out_size = grid.shape[1:3]
    points = grid.reshape(n, out_size[0] * out_size[1], 2)  # (N, P, 2)
    x = _pixel_positions(points[..., 0], w, padding_mode, align_corners)
    y = _pixel_positions(points[..., 1], h, padding_mode, align_corners)
    pixels = input.reshape(n, c, h * w)
    if mode == "nearest":
        rows, cols = (p.xp.rint(p._data).astype("int64") for p in (y, x))
        return _pick(pixels, rows, cols, (h, w)).reshape(n, c, *out_size)
    top, left = (constant(p.xp.floor(p._data), p) for p in (y, x))
    below, right = y - top, x - left  # the weights of the far rows and columns
    rows, cols = top._data.astype("int64"), left._data.astype("int64")
    output = None
    for dy, row_weight in ((0, 1 - below), (1, below)):
        for dx, col_weight in ((0, 1 - right), (1, right)):
            term = (row_weight * col_weight).unsqueeze(1) * _pick(pixels, rows + dy, cols + dx, (h, w))
            output = term if output is None else output + term
    return output.reshape(n, c, *out_size)
