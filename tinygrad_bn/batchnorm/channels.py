"""The per-channel view of a BatchNorm input, and the checks every BN call makes.

An input of shape (N, C, *spatial) has C channels; the statistics of channel c
are taken over the m = N·∏spatial elements of every other axis.
"""

from __future__ import annotations

import math

from tinygrad_bn.errors import ShapeError

LONG_SPATIAL = 128  # elements per (sample, channel) from which a per-channel dot is faster as products of rows


class Channels:
    """Shapes and reductions for an input of shape (N, C, *spatial).

    ``axes`` are the reduced axes, ``count`` is m, ``param_shape`` is (1, C, 1, ...)
    so that per-channel values broadcast against the input.
    """

    def __init__(self, shape: tuple):
        self.batch = shape[0]
        self.channels = shape[1]
        self.spatial = math.prod(shape[2:])
        self.axes = (0,) + tuple(range(2, len(shape)))
        self.count = self.batch * self.spatial
        self.param_shape = (1, self.channels) + (1,) * (len(shape) - 2)

    # Per-channel reductions of backend arrays (whole inputs or blocks of samples),
    # with NumPy's own loops or products of one row by one column, too small for
    # BLAS to start threads of its own inside the block threads (see ``blocks``).

    def sum(self, a):
        """Σ over the reduced axes of array ``a``, shaped ``param_shape``."""
        # over the batch, then along each channel's row: 4-5x faster than over both axes at once on (64, 16, 64)
        total = a.reshape(self.batch, self.channels, self.spatial).sum(axis=0).sum(axis=1)
        return total.reshape(self.param_shape)

    def dot(self, a, b, xp):
        """Σ a·b over the reduced axes, shaped ``param_shape``, without a product array."""
        if self.spatial == 1:  # (N, C): einsum's loop over 2-D operands is much faster than with l = 1
            total = xp.einsum("nc,nc->c", a.reshape(self.batch, self.channels), b.reshape(self.batch, self.channels))
        elif self.spatial < LONG_SPATIAL:  # einsum's loop: 3.5x faster than the products below at 16 a row
            rows = (self.batch, self.channels, self.spatial)
            total = xp.einsum("ncl,ncl->c", a.reshape(rows), b.reshape(rows))
        else:  # a dot product per (sample, channel) row, then over the batch: half einsum's time on (8, 64, 1024)
            rows, columns = (self.batch, self.channels, 1, self.spatial), (self.batch, self.channels, self.spatial, 1)
            total = xp.matmul(a.reshape(rows), b.reshape(columns)).sum(axis=(0, 2, 3))
        return total.reshape(self.param_shape)


def check_input(x, training: bool, eps: float):
    """Raise a clear error for input BatchNorm cannot normalize."""
    if eps < 0:
        raise ValueError(f"batch_norm: eps must be >= 0, got {eps}")
    if training and eps == 0:
        raise ValueError(
            "batch_norm: eps must be > 0 in training mode, got 0 (a constant channel would give 0/0 = nan)"
        )
    if x.dtype.kind != "f":
        raise TypeError(
            f"batch_norm expects a floating point input, got dtype {x.dtype}; convert it with .astype('float32')"
        )
    if x.ndim < 2:
        raise ShapeError(f"batch_norm expects input of shape (N, C, ...), got {x.shape}")
    if x.shape[1] == 0:
        raise ShapeError(f"batch_norm expects at least one channel, got input of shape {x.shape}")
    if training and x.size // x.shape[1] <= 1:
        raise ShapeError(
            f"Expected more than 1 value per channel when training, got input size {x.shape}"
        )


def check_per_channel(name: str, t, channels: int):
    """A per-channel tensor (weight, bias, running statistic) must have shape (C,)."""
    if t is not None and t.shape != (channels,):
        raise ShapeError(f"batch_norm: {name} must have shape ({channels},), got {t.shape}")
