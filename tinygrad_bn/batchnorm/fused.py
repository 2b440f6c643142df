"""BatchNorm as one op with a hand-derived backward (docs/batchnorm.md).

Forward computes the statistics once, with a numerically stable variance, and
keeps only x, μ and inv_std for backward. Backward is the closed form (B7),
written once over operations that backend arrays and Tensors share:

* first-order backward runs it on arrays;
* under ``create_graph=True`` x̂ and inv_std are recomputed from x with
  primitive ops, so the engine can differentiate (B7) again and x's influence
  through μ and σ² is kept (a saved constant inv_std would cut it: see (S2)).
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function, is_grad_enabled
from tinygrad_bn.batchnorm.channels import ArrayReductions, Channels, TensorReductions
from tinygrad_bn.batchnorm.composite import ACCUMULATE_IN_FLOAT32, standardize
from tinygrad_bn.batchnorm.running import update_running_stats
from tinygrad_bn.ops.elementwise import constant


def batch_statistics(x, channels: Channels, xp):
    """(F1), (F2) by the corrected two-pass algorithm, on arrays.

    A first pass estimates μ; the deviations from it are small, so summing them
    again recovers what the first pass rounded away (``shift``) and
    σ² = mean((x − μ₀)²) − shift² never cancels catastrophically, unlike
    E[x²] − E[x]². Returns μ, σ² and the deviations x − μ₀ with their ``shift``.
    """
    rough_mean = channels.mean(x, xp)
    centred = x - rough_mean
    shift = channels.mean(centred, xp)
    var = channels.dot(centred, centred, xp) / channels.count - shift * shift
    return rough_mean + shift, var, centred, shift


def batch_norm_grads(dy, x_hat, inv_std, weight, count: int, reduce, training: bool):
    """(dx, dγ, dβ) from (B1), (B2) and (B7) — or (E2) in eval mode.

    Works on backend arrays and on Tensors alike; ``reduce`` supplies the
    per-channel sums. Per-channel values have shape (1, C, 1, ...).
    """
    dbeta = reduce.sum(dy)  # (B1) Σ dy
    dgamma = reduce.dot(dy, x_hat)  # (B2) Σ dy·x̂
    scale = weight * inv_std  # γ·inv_std
    if not training:
        return dy * scale, dgamma, dbeta  # (E2)
    # (B7) dx = (γ·inv_std/m)·(m·dy − Σdy − x̂·Σ(dy·x̂)), factored as γ·inv_std·(dy − Σdy/m − x̂·dγ/m)
    dx = dy - dbeta / count
    dx -= x_hat * (dgamma / count)
    dx *= scale
    return dx, dgamma, dbeta


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
        compute_dtype = "float32" if x.dtype.name in ACCUMULATE_IN_FLOAT32 else x.dtype
        data = x.data.astype(compute_dtype, copy=False)
        if training:
            mean, var, centred, shift = batch_statistics(data, channels, xp)
            update_running_stats(*(running or (None, None)), mean, var, channels.count, momentum)
        else:
            running_mean, running_var = (r.data.reshape(shape).astype(compute_dtype) for r in running)
            mean, var, centred, shift = running_mean, running_var, data - running_mean, 0
        inv_std = 1 / xp.sqrt(var + eps)  # (F3)
        scale = weight.data.reshape(shape).astype(compute_dtype) * inv_std
        # (F4), (F5): y = γ·x̂ + β = (x − μ₀)·γ·inv_std + (β − shift·γ·inv_std)
        y = centred * scale
        y += bias.data.reshape(shape).astype(compute_dtype) - shift * scale
        self.save_for_backward(x, weight, constant(mean, x), constant(inv_std, x))
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        x, weight, mean, inv_std = self.saved_tensors
        channels, training = self.channels, self.params["training"]
        shape = channels.param_shape
        if is_grad_enabled():
            x = _compute_precision(x)
            if training:
                x_hat, std, *_ = standardize(x, channels, self.params["eps"])
                inv_std = 1.0 / std
            else:
                x_hat = (x - mean) * inv_std
            grads = batch_norm_grads(_compute_precision(grad), x_hat, inv_std, weight.reshape(shape),
                                     channels.count, TensorReductions(channels), training)
        else:
            dy = grad.data.astype(mean.dtype, copy=False)
            x_hat = (x.data - mean.data) * inv_std.data
            grads = batch_norm_grads(dy, x_hat, inv_std.data, weight.data.reshape(shape).astype(mean.dtype),
                                     channels.count, ArrayReductions(channels, x.xp), training)
            grads = [constant(g, x) for g in grads]
        dx, dgamma, dbeta = grads
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


def _compute_precision(t):
    return t.astype("float32") if t.dtype.name in ACCUMULATE_IN_FLOAT32 else t


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
