"""The fused BatchNorm's fast path: :func:`blocked_forward` and :func:`blocked_backward`.

They compute what ``reference_forward`` and ``reference_backward`` in
:mod:`~tinygrad_bn.batchnorm.fused` compute (tests/batchnorm/test_kernels.py checks
them against it), in two passes over the data per direction, block by block on
every core (see :mod:`~tinygrad_bn.batchnorm.blocks`):

* the first pass writes x − K into the memory of its result (y or dx) and reduces;
* the second turns that into the result in place, with the per-channel constants
  folded so that each element costs one multiply-add per term.

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
    inv_std = 1 / xp.sqrt(var + eps)  # (F3)
    scale = weight * inv_std
    offset = blocks.spread(bias - mean_minus_shift * scale)
    scale = blocks.spread(scale)

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
    dgamma = (dy_dot_deviations - mean_minus_shift * dbeta) * inv_std  # (B2) Σdy·x̂, as x − μ = (x − K) − c
    a = blocks.spread(weight * inv_std)
    if not training:
        blocks.map(lambda rows: _eval_write(rows, dy, dx, a, blocks, xp))  # (E2) dx = dy·γ·inv_std
        return dx, dgamma, dbeta
    # (B7) with x̂ = ((x − K) − c)·inv_std: dx = a·(dy + b·(x − K) + k) where
    b = -inv_std * dgamma / channels.count
    k = -dbeta / channels.count - b * mean_minus_shift
    b, k = blocks.spread(b), blocks.spread(k)

    def write(rows):
        dx_rows, dy_rows, a_rows, b_rows, k_rows = blocks.rows(rows, dx, dy, a, b, k)
        dx_rows *= b_rows
        dx_rows += dy_rows
        dx_rows += k_rows
        dx_rows *= a_rows

    blocks.map(write)
    return dx, dgamma, dbeta


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
    mean_minus_shift, var = _shifted_moments(data, deviations, shift, channels, blocks, xp)
    if bool((mean_minus_shift * mean_minus_shift > var).any()):
        shift = shift + mean_minus_shift
        mean_minus_shift, var = _shifted_moments(data, deviations, shift, channels, blocks, xp)
    return shift, mean_minus_shift, var


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
