"""BatchNorm as one op with a hand-derived backward (docs/batchnorm.md).

Forward computes the statistics once, with a numerically stable (shifted)
variance, and keeps only x and, per channel, the shift K, c = μ − K and inv_std.
Backward is the closed form (B7) as dx = a·(dy + b·(x − μ) + k), with per-channel
a, b, k:

* both directions make two passes over the data in blocks of samples spread
  over the cores (see ``blocks``): the first writes x − K into the output's own
  memory and reduces, the second turns it into the result in place. Working on
  x − K, with K and c kept apart, no float32 value of size |μ| is ever rounded;
  the per-channel constants are folded so that each element costs one
  multiply-add per term;
* under ``create_graph=True`` the same coefficients are built from Tensors,
  with μ and inv_std recomputed from x by primitive ops, so the engine can
  differentiate (B7) again and x's influence through μ and σ² is kept (a
  saved constant inv_std would cut it: see (S2)).
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function, is_grad_enabled
from tinygrad_bn.batchnorm.blocks import Blocks
from tinygrad_bn.batchnorm.channels import Channels
from tinygrad_bn.batchnorm.composite import ACCUMULATE_IN_FLOAT32, in_compute_precision, standardize
from tinygrad_bn.batchnorm.running import update_running_stats
from tinygrad_bn.ops.elementwise import constant


def closed_form_coefficients(dbeta, dgamma, weight, inv_std, count: int, training: bool):
    """(a, b, k) with dx = a·(dy + b·(x − μ) + k); arrays or Tensors of shape (1, C, 1, ...).

    (B7) dx = (γ·inv_std/m)·(m·dy − Σdy − x̂·Σ(dy·x̂)) with x̂ = (x − μ)·inv_std, dγ = Σ dy·x̂
    and dβ = Σ dy gives a = γ·inv_std, b = −inv_std·dγ/m, k = −dβ/m;
    (E2) in eval mode is a alone (b = k = 0).
    """
    a = weight * inv_std
    if not training:
        return a, 0 * a, 0 * a
    return a, -inv_std * dgamma / count, -dbeta / count


class BatchNormFunction(Function):
    """Fused BatchNorm: inputs (x, weight, bias[, running_mean, running_var]).

    Missing weight/bias are passed as constants (ones, zeros); the running
    statistics are inputs that never receive a gradient (they are updated in place
    in training mode and read in eval mode).
    """

    def forward(self, x, weight, bias, *running, training, momentum, eps):
        xp = x.xp
        channels = self.channels = Channels(x.shape)
        shape = channels.param_shape
        data = in_compute_precision(x._data)
        blocks = self.blocks = Blocks(x.shape, data.dtype.itemsize, x._backend)
        y = xp.empty(x.shape, dtype=data.dtype)  # holds x − K until it is overwritten with y
        if training:
            shift, correction, var = batch_statistics(data, y, channels, blocks, xp)  # μ = K + c
            update_running_stats(*(running or (None, None)), shift + correction, var, channels.count, momentum)
        else:  # (E1): K = μ, the running mean
            shift, var = (r._data.reshape(shape).astype(data.dtype) for r in running)
            correction = xp.zeros_like(shift)
            spread_shift = blocks.spread(shift)
            blocks.map(lambda rows: write_deviations(rows, data, spread_shift, y, blocks, xp))
        inv_std = 1 / xp.sqrt(var + eps)  # (F3)
        scale = weight._data.reshape(shape).astype(data.dtype) * inv_std
        offset = bias._data.reshape(shape).astype(data.dtype) - correction * scale
        scale, offset = blocks.spread(scale), blocks.spread(offset)

        def write(rows):
            # (F4), (F5): y = γ·(x − μ)·inv_std + β = (x − K)·scale + (β − c·scale)
            y_rows, scale_rows, offset_rows = blocks.rows(rows, y, scale, offset)
            y_rows *= scale_rows
            y_rows += offset_rows

        blocks.map(write)
        self.save_for_backward(x, weight, *(constant(v, x) for v in (shift, correction, inv_std)))
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        if is_grad_enabled():
            return self._differentiable_backward(grad)
        x, weight, shift, correction, inv_std = self.saved_tensors
        channels, blocks, training = self.channels, self.blocks, self.params["training"]
        data, correction, inv_std = in_compute_precision(x._data), correction._data, inv_std._data
        dy = in_compute_precision(grad._data)
        xp = x.xp
        dx = xp.empty(x.shape, dtype=data.dtype)  # holds x − K until it is overwritten with dx
        shift = blocks.spread(shift._data)

        def reduce(rows):
            deviations = write_deviations(rows, data, shift, dx, blocks, xp)
            part = Channels(deviations.shape)
            return part.sum(dy[rows]), part.dot(dy[rows], deviations, xp)

        dbeta, dy_dot_deviations = blocks.total(reduce)  # (B1) Σdy, and Σ dy·(x − K)
        dgamma = (dy_dot_deviations - correction * dbeta) * inv_std  # (B2) Σ dy·x̂, as x − μ = (x − K) − c
        weight_c = weight._data.reshape(channels.param_shape).astype(data.dtype)
        a, b, k = closed_form_coefficients(dbeta, dgamma, weight_c, inv_std, channels.count, training)
        a, b, offset = blocks.spread(a), blocks.spread(b), blocks.spread(k - b * correction)

        def write(rows):
            # (B7) dx = a·(dy + b·(x − μ) + k) = a·(dy + b·(x − K) + (k − b·c)); (E2) when b = k = 0
            dy_rows, dx_rows, a_rows, b_rows, offset_rows = blocks.rows(rows, dy, dx, a, b, offset)
            if training:
                dx_rows *= b_rows
                dx_rows += dy_rows
                dx_rows += offset_rows
                dx_rows *= a_rows
            else:
                xp.multiply(dy_rows, a_rows, out=dx_rows)

        blocks.map(write)
        return self._gradients(constant(dx, x), constant(dgamma, x), constant(dbeta, x), weight)

    def _differentiable_backward(self, grad):
        """The same closed form from Tensor ops, for create_graph=True."""
        x, weight, shift, correction, inv_std = self.saved_tensors
        channels, training = self.channels, self.params["training"]
        x, dy = in_compute_precision(x), in_compute_precision(grad)
        if training:
            _, std, mean, _ = standardize(x, channels.axes, self.params["eps"])
            inv_std = 1.0 / std
        else:
            mean = shift + correction
        centred = x - mean
        dbeta = dy.sum(channels.axes, keepdims=True)  # (B1)
        dgamma = (dy * centred).sum(channels.axes, keepdims=True) * inv_std  # (B2)
        a, b, k = closed_form_coefficients(dbeta, dgamma, weight.reshape(channels.param_shape), inv_std,
                                           channels.count, training)
        dx = a * (dy + b * centred + k) if training else a * dy
        return self._gradients(dx, dgamma, dbeta, weight)

    def _gradients(self, dx, dgamma, dbeta, weight):
        need_weight, need_bias = self.needs_input_grad[1:3]
        return (
            dx,
            dgamma.reshape(weight.shape) if need_weight else None,
            dbeta.reshape(weight.shape) if need_bias else None,
            *(None for _ in self.parents[3:]),
        )

    @property
    def name(self) -> str:
        return "BatchNorm (fused)"


def batch_statistics(data, deviations, channels: Channels, blocks: Blocks, xp):
    """(F1), (F2) on arrays, from data shifted by a rough mean K: returns K, c = μ − K
    and σ², and leaves x − K in the array ``deviations`` (of the input's shape).

    K, the mean of a few samples, lies within a few σ of μ, so the deviations
    x − K are small and σ² = mean((x − K)²) − (mean(x − K))² never cancels
    catastrophically, unlike E[x²] − E[x]² (the shifted-data algorithm).
    """
    step = max(1, channels.batch // SHIFT_SAMPLES)
    sample = data[::step][:SHIFT_SAMPLES]
    in_sample = Channels(sample.shape)
    rough_mean = in_sample.sum(sample) / in_sample.count

    shift = blocks.spread(rough_mean)

    def reduce(rows):
        block = write_deviations(rows, data, shift, deviations, blocks, xp)
        part = Channels(block.shape)
        return part.sum(block), part.dot(block, block, xp)

    sum_deviations, sum_squares = blocks.total(reduce)
    correction = sum_deviations / channels.count
    return rough_mean, correction, sum_squares / channels.count - correction * correction


def write_deviations(rows: slice, data, shift, deviations, blocks: Blocks, xp):
    """deviations = data − shift on the block ``rows`` (``shift`` a :meth:`Blocks.spread`);
    returns that block of ``deviations``."""
    x_rows, deviation_rows, shift_rows = blocks.rows(rows, data, deviations, shift)
    xp.subtract(x_rows, shift_rows, out=deviation_rows)
    return deviations[rows]


SHIFT_SAMPLES = 16


def batch_norm_fused(x, running_mean, running_var, weight, bias, training, momentum, eps):
    """BatchNorm as one :class:`BatchNormFunction` node (arguments as in ``batch_norm``)."""
    channels = x.shape[1]
    xp = x.xp
    param_dtype = "float32" if x.dtype.name in ACCUMULATE_IN_FLOAT32 else x.dtype
    if weight is None:
        weight = constant(xp.ones(channels, dtype=param_dtype), x)
    if bias is None:
        bias = constant(xp.zeros(channels, dtype=param_dtype), x)
    running = () if running_mean is None else (running_mean, running_var)
    return BatchNormFunction.apply(x, weight, bias, *running, training=training, momentum=momentum, eps=eps)
