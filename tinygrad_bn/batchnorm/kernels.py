"""The fused BatchNorm's fast path: :func:`blocked_forward` and :func:`blocked_backward`.

They compute what ``reference_forward`` and ``reference_backward`` in
:mod:`~tinygrad_bn.batchnorm.fused` compute (tests/batchnorm/test_kernels.py checks
them against it), in two passes over the data per direction, block by block on
every core (see :mod:`~tinygrad_bn.batchnorm.blocks`):

* the first pass writes x − K into the memory of its result (y or dx) and reduces;
* the second turns that into the result in place, with the per-channel constants
  folded so that each element costs one multiply-add per term.

A convolution's output is channel-major in memory (``backend.is_channel_major``):
:func:`channel_major_forward` and :func:`channel_major_backward` compute the same on
its (C, m) rows, in the same two passes, where each channel is one run of memory.

K is the *shift*, a rough per-channel mean, and ``mean_minus_shift`` is c = μ − K.
Kept apart, no float32 value of size |μ| is ever rounded (docs/batchnorm.md, §9).
All arrays are in compute precision; per-channel ones have shape (1, C, 1, ...).
"""

from __future__ import annotations

import functools

from tinygrad_bn.batchnorm.blocks import Blocks
from tinygrad_bn.batchnorm.channels import Channels

SHIFT_SAMPLES = 16

# A training step asks for the same few shapes over and over: made once each (a sixth of a
# small BatchNorm's Python time went to making them again)
Channels = functools.lru_cache(maxsize=256)(Channels)
Blocks = functools.lru_cache(maxsize=64)(Blocks)


def blocked_forward(backend, data, weight, bias, eps: float, running=None):
    """(F1)–(F5) in training mode, or (E1) with ``running`` = (running_mean, running_var).

    Returns y and, per channel, K, c = μ − K, σ² and inv_std (in eval mode K is the
    running mean, c = 0 and σ² the running variance).
    """
    xp = backend.xp
    blocks = Blocks(data.shape, data.dtype.itemsize, backend)
    y = xp.empty(data.shape, dtype=data.dtype)  # C order (blocks write through views of it); x − K, then y
    if running is None:
        shift, mean_minus_shift, var = batch_statistics(data, y, blocks, xp)
    else:
        shift, var = running
        mean_minus_shift = xp.zeros_like(shift)
        spread_shift = blocks.spread(shift)
        blocks.map(lambda rows: write_deviations(rows, data, spread_shift, y, blocks, xp))
    inv_std, scale, offset = folded_forward(weight, bias, mean_minus_shift, var, eps, xp)
    scale, offset = blocks.spread(scale), blocks.spread(offset)

    def write(rows):
        # (F4), (F5): y = γ·(x − μ)·inv_std + β = (x − K)·scale + (β − c·scale)
        y_rows, scale_rows, offset_rows = blocks.rows(rows, y, scale, offset)
        y_rows *= scale_rows
        y_rows += offset_rows

    blocks.map(write)
    return y, shift, mean_minus_shift, var, inv_std


def blocked_backward(backend, data, dy, weight, shift, mean_minus_shift, inv_std, training: bool):
    """(B1), (B2) and (B7) — or (E2) in eval mode — from the forward's K, c and inv_std.

    Returns dx, dγ, dβ (the last two per channel).
    """
    xp = backend.xp
    channels = Channels(data.shape)
    blocks = Blocks(data.shape, data.dtype.itemsize, backend)
    dx = xp.empty(data.shape, dtype=data.dtype)  # C order, as y; x − K, then dx
    spread_shift = blocks.spread(shift)

    def reduce(rows):
        deviations = write_deviations(rows, data, spread_shift, dx, blocks, xp)
        part = Channels(deviations.shape)
        return part.sum(dy[rows]), part.dot(dy[rows], deviations, xp)

    dbeta, dy_dot_deviations = blocks.total(reduce)  # (B1) Σdy, and Σdy·(x − K)
    dgamma, a, b, k = folded_backward(dbeta, dy_dot_deviations, weight, mean_minus_shift, inv_std, channels.count,
                                      training)
    a = blocks.spread(a)
    if not training:
        blocks.map(lambda rows: _eval_write(rows, dy, dx, a, blocks, xp))  # (E2) dx = dy·γ·inv_std
        return dx, dgamma, dbeta
    b, k = blocks.spread(b), blocks.spread(k)

    def write(rows):
        dx_rows, dy_rows, a_rows, b_rows, k_rows = blocks.rows(rows, dx, dy, a, b, k)
        dx_rows *= b_rows
        dx_rows += dy_rows
        dx_rows += k_rows
        dx_rows *= a_rows

    blocks.map(write)
    return dx, dgamma, dbeta


def folded_forward(weight, bias, mean_minus_shift, var, eps: float, xp):
    """(F3)–(F5) per channel: inv_std, and the scale and offset of
    y = γ·(x − μ)·inv_std + β = (x − K)·scale + (β − c·scale)."""
    inv_std = 1 / xp.sqrt(var + eps)  # (F3)
    scale = weight * inv_std
    return inv_std, scale, bias - mean_minus_shift * scale


def folded_backward(dbeta, dy_dot_deviations, weight, mean_minus_shift, inv_std, count: int, training: bool):
    """(B2) per channel, dγ = Σdy·x̂ from Σdy·(x − K), as x − μ = (x − K) − c; and (B7)
    with x̂ = ((x − K) − c)·inv_std folded into dx = a·(dy + b·(x − K) + k), or in eval
    mode (E2) dx = a·dy (b and k None)."""
    dgamma = (dy_dot_deviations - mean_minus_shift * dbeta) * inv_std
    a = weight * inv_std
    if not training:
        return dgamma, a, None, None
    b = -inv_std * dgamma / count
    k = -dbeta / count - b * mean_minus_shift
    return dgamma, a, b, k


def near_shift_statistics(moments, shift):
    """K, c = μ − K and σ² from ``moments(K)`` (one pass over x − K), the pass repeated
    once from K + c where |c| > σ (see :func:`batch_statistics`)."""
    mean_minus_shift, var = moments(shift)
    if bool((mean_minus_shift * mean_minus_shift > var).any()):
        shift = shift + mean_minus_shift
        mean_minus_shift, var = moments(shift)
    return shift, mean_minus_shift, var


def _eval_write(rows, dy, dx, a, blocks: Blocks, xp):
    dy_rows, dx_rows, a_rows = blocks.rows(rows, dy, dx, a)
    xp.multiply(dy_rows, a_rows, out=dx_rows)


def batch_statistics(data, deviations, blocks: Blocks, xp):
    """(F1), (F2) from data shifted by a rough mean K: returns K, c = μ − K and σ², and
    leaves x − K in the array ``deviations`` (of the input's shape).

    One pass over d = x − K gives c = mean(d) and σ² = mean(d²) − c². Its rounding
    error is that of a two-pass variance times 1 + (c/σ)²; K, the mean of a few
    sampled rows, is usually within σ of μ, but a badly ordered batch can put it
    100σ away. Where |c| > σ the pass is repeated once from K + c, which is μ up to
    rounding, so the error stays within twice the two-pass one for any batch order.
    """
    channels = Channels(data.shape)
    step = max(1, channels.batch // SHIFT_SAMPLES)
    sample = data[::step][:SHIFT_SAMPLES]
    shift = Channels(sample.shape).sum(sample) / Channels(sample.shape).count
    return near_shift_statistics(lambda k: _shifted_moments(data, deviations, k, channels, blocks, xp), shift)


def _shifted_moments(data, deviations, shift, channels: Channels, blocks: Blocks, xp):
    """c = mean(x − K) and mean((x − K)²) − c², writing x − K into ``deviations``."""
    spread_shift = blocks.spread(shift)

    def reduce(rows):
        block = write_deviations(rows, data, spread_shift, deviations, blocks, xp)
        part = Channels(block.shape)
        return part.sum(block), part.dot(block, block, xp)

    sum_deviations, sum_squares = blocks.total(reduce)
    mean_minus_shift = sum_deviations / channels.count
    return mean_minus_shift, sum_squares / channels.count - mean_minus_shift * mean_minus_shift


def write_deviations(rows: slice, data, shift, deviations, blocks: Blocks, xp):
    """deviations = data − shift on the block ``rows`` (``shift`` a :meth:`Blocks.spread`);
    returns that block of ``deviations``."""
    x_rows, deviation_rows, shift_rows = blocks.rows(rows, data, deviations, shift)
    xp.subtract(x_rows, shift_rows, out=deviation_rows)
    return deviations[rows]


# Channel-major input ------------------------------------------------------------------
#
# A convolution's output lies in memory channel after channel (backend.is_channel_major):
# seen as (C, m) rows, every channel is one contiguous row, and per-channel values are
# (C, 1) columns that NumPy broadcasts along whole rows. No blocks, no spreads, one thread:
# the same two passes per direction, with the same K as the blocked path.


def channel_major_forward(backend, data, weight, bias, eps: float, running=None):
    """:func:`blocked_forward` of channel-major ``data``; y comes out channel-major too."""
    xp = backend.xp
    rows = as_rows(data)
    y = xp.empty_like(rows)  # x − K, then y
    weight, bias = as_column(weight), as_column(bias)
    with backend.short_broadcasts():
        if running is None:
            shift, mean_minus_shift, var = row_statistics(rows, y, data.shape[0], xp)
        else:
            shift, var = (as_column(v) for v in running)
            mean_minus_shift = xp.zeros_like(shift)
            xp.subtract(rows, shift, out=y)
        inv_std, scale, offset = folded_forward(weight, bias, mean_minus_shift, var, eps, xp)
        y *= scale  # (F4), (F5)
        y += offset
    param_shape = Channels(data.shape).param_shape
    return (as_images(y, data.shape),
            *(v.reshape(param_shape) for v in (shift, mean_minus_shift, var, inv_std)))


def channel_major_backward(backend, data, dy, weight, shift, mean_minus_shift, inv_std, training: bool):
    """:func:`blocked_backward` of channel-major ``data`` (``dy`` in any memory order); dx
    comes out channel-major."""
    xp = backend.xp
    rows, dy_rows = as_rows(data), as_rows(dy)
    weight, shift, mean_minus_shift, inv_std = (as_column(v) for v in (weight, shift, mean_minus_shift, inv_std))
    with backend.short_broadcasts():
        dx = xp.subtract(rows, shift)  # x − K, then dx
        dbeta = dy_rows.sum(axis=1, keepdims=True)  # (B1)
        dgamma, a, b, k = folded_backward(dbeta, row_dots(dy_rows, dx, data.shape[0], xp), weight, mean_minus_shift,
                                          inv_std, rows.shape[1], training)
        if not training:
            xp.multiply(dy_rows, a, out=dx)  # (E2)
        else:  # (B7): dx = a·(dy + b·(x − K) + k)
            dx *= b
            dx += dy_rows
            dx += k
            dx *= a
    param_shape = Channels(data.shape).param_shape
    return as_images(dx, data.shape), dgamma.reshape(param_shape), dbeta.reshape(param_shape)


def row_statistics(rows, deviations, batch: int, xp):
    """:func:`batch_statistics` of (C, m) rows: K from the same sampled samples, then
    c = μ − K and σ² from one pass over x − K (again from K + c where |c| > σ);
    x − K is left in ``deviations``."""
    step = max(1, batch // SHIFT_SAMPLES)
    sampled = rows.reshape(rows.shape[0], batch, -1)[:, ::step][:, :SHIFT_SAMPLES]
    shift = sampled.sum(axis=(1, 2)).reshape(-1, 1) / (sampled.shape[1] * sampled.shape[2])
    return near_shift_statistics(lambda k: _row_moments(rows, deviations, k, batch, xp), shift)


def _row_moments(rows, deviations, shift, batch: int, xp):
    xp.subtract(rows, shift, out=deviations)
    m = rows.shape[1]
    mean_minus_shift = deviations.sum(axis=1, keepdims=True) / m
    return mean_minus_shift, row_dots(deviations, deviations, batch, xp) / m - mean_minus_shift * mean_minus_shift


def row_dots(a, b, batch: int, xp):
    """Σ a·b along each row of two (C, m) arrays, as a (C, 1) column: a dot product per
    run of whole samples, then their sum (NumPy's pairwise sum), as accurate as the
    blocked path. One dot product along a whole float32 row lost 2e-4 of σ² over
    4 Mi elements."""
    runs = (a.shape[0], batch // samples_per_run(batch, a.shape[1] // batch), 1, -1)
    return xp.matmul(a.reshape(runs), b.reshape(runs).swapaxes(2, 3)).sum(axis=1).reshape(-1, 1)


# A run of a row is one BLAS call: runs of at least this many elements, so that small images
# do not cost a call per sample (the dots of (32, 1024) rows of 4×4 images 0.2× the time,
# the 1×8×8 and 3×32×32 CNN steps 0.98×)
RUN = 1024


@functools.lru_cache(maxsize=256)
def samples_per_run(batch: int, pixels: int) -> int:
    """The fewest whole samples, a divisor of ``batch``, whose pixels make a run of at least ``RUN``."""
    fewest = max(1, -(-RUN // max(pixels, 1)))  # ⌈RUN / pixels⌉
    return next((count for count in range(fewest, batch + 1) if batch % count == 0), batch)


def as_rows(images):
    """(N, C, ...) -> (C, N·...): a view of channel-major images, a copy of others."""
    return images.swapaxes(0, 1).reshape(images.shape[1], -1)


def as_images(rows, shape: tuple):
    """(C, m) rows -> (N, C, ...) of ``shape``, a channel-major view."""
    return rows.reshape(shape[1], shape[0], *shape[2:]).swapaxes(0, 1)


def as_column(per_channel):
    """A per-channel array of shape (1, C, 1, ...) as a (C, 1) column."""
    return per_channel.reshape(-1, 1)
