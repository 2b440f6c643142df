"""Sub-pixel rearrangement, as PyTorch's ``pixel_shuffle`` and ``pixel_unshuffle``.

With factor r, ``pixel_shuffle`` moves channels into space,
(*, C·r², H, W) → (*, C, H·r, W·r):

  out[..., c, h·r + i, w·r + j] = in[..., c·r² + i·r + j, h, w],

and ``pixel_unshuffle`` is its inverse. Both are a reshape, a permutation of axes
and a reshape, so the gradient is the same rearrangement backwards.

>>> from tinygrad_bn import arange
>>> pixel_shuffle(arange(4.0).reshape(1, 4, 1, 1), 2).tolist()
[[[[0.0, 1.0], [2.0, 3.0]]]]
>>> pixel_unshuffle(pixel_shuffle(arange(8.0).reshape(2, 4, 1, 1), 2), 2).flatten().tolist()
[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
"""

from __future__ import annotations

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.module import Module


def _factor(function: str, value, name: str) -> int:
    """A shuffle's factor: a positive int (a float is a TypeError, as in PyTorch)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{function}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ArgumentError(f"{function} expects a positive {name}, got {value}")
    return value


def _images(function: str, x):
    if x.ndim < 3:
        raise ShapeError(f"{function} expects input of shape (*, C, H, W), at least 3-D, got shape {x.shape}")
    return x.shape[:-3], x.shape[-3:]


def pixel_shuffle(input, upscale_factor):  # noqa: A002 - PyTorch's argument name
    """(*, C·r², H, W) → (*, C, H·r, W·r) with r = ``upscale_factor``: each group of r²
    channels becomes an r × r block of pixels, channel c·r² + i·r + j at offset (i, j).

    >>> from tinygrad_bn import zeros
    >>> pixel_shuffle(zeros(2, 18, 4, 5), 3).shape
    (2, 2, 12, 15)
    """
    r = _factor("pixel_shuffle", upscale_factor, "upscale_factor")
    batch, (c, h, w) = _images("pixel_shuffle", input)
    if c % (r * r):
        raise ShapeError(f"pixel_shuffle with upscale_factor={r} expects a channel count divisible by "
                         f"{r * r}, got {c} channels in input of shape {input.shape}")
    lead = len(batch)
    blocks = input.reshape(*batch, c // (r * r), r, r, h, w)  # (*, C, i, j, H, W)
    blocks = blocks.permute(*range(lead), lead, lead + 3, lead + 1, lead + 4, lead + 2)  # (*, C, H, i, W, j)
    return blocks.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):  # noqa: A002 - PyTorch's argument name
    """(*, C, H·r, W·r) → (*, C·r², H, W) with r = ``downscale_factor``, the inverse of
    :func:`pixel_shuffle`: the pixel at offset (i, j) of each r × r block goes to
    channel c·r² + i·r + j.

    >>> from tinygrad_bn import zeros
    >>> pixel_unshuffle(zeros(3, 8, 6), 2).shape
    (12, 4, 3)
    """
    r = _factor("pixel_unshuffle", downscale_factor, "downscale_factor")
    batch, (c, h, w) = _images("pixel_unshuffle", input)
    for axis, size in (("height", h), ("width", w)):
        if size % r:
            raise ShapeError(f"pixel_unshuffle with downscale_factor={r} expects a {axis} divisible by {r}, "
                             f"got {size} in input of shape {input.shape}")
    lead = len(batch)
    blocks = input.reshape(*batch, c, h // r, r, w // r, r)  # (*, C, H, i, W, j)
    blocks = blocks.permute(*range(lead), lead, lead + 2, lead + 4, lead + 1, lead + 3)  # (*, C, i, j, H, W)
    return blocks.reshape(*batch, c * r * r, h // r, w // r)


class PixelShuffle(Module):
    """:func:`pixel_shuffle` by ``upscale_factor`` as a layer.

    >>> from tinygrad_bn import zeros
    >>> layer = PixelShuffle(2)
    >>> layer, layer(zeros(1, 8, 3, 3)).shape
    (PixelShuffle(upscale_factor=2), (1, 2, 6, 6))
    """

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """:func:`pixel_unshuffle` by ``downscale_factor`` as a layer.

    >>> from tinygrad_bn import zeros
    >>> layer = PixelUnshuffle(2)
    >>> layer, layer(zeros(1, 2, 6, 6)).shape
    (PixelUnshuffle(downscale_factor=2), (1, 8, 3, 3))
    """

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
