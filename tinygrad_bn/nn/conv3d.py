"""``nn.Conv3d``: 3-D convolution of (N, C, D, H, W) volumes, the shared convolution
layer of :mod:`tinygrad_bn.nn.layers` over three axes (``F.conv3d`` does the work)."""

from __future__ import annotations

from tinygrad_bn.nn import functional as F
from tinygrad_bn.nn.layers import _ConvNd


class Conv3d(_ConvNd):
    """3-D convolution (cross-correlation) of (N, C_in, D, H, W) volumes, with ``weight``
    of shape (C_out, C_in/groups, kd, kh, kw) and PyTorch's default initialisation.

    >>> from tinygrad_bn import ones
    >>> conv = Conv3d(3, 8, kernel_size=3, padding=1)
    >>> conv
    Conv3d(3, 8, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))
    >>> conv(ones(2, 3, 4, 5, 5)).shape
    (2, 8, 4, 5, 5)
    """

    axes, input_axes = 3, "D, H, W"
    convolve = staticmethod(F.conv3d)
