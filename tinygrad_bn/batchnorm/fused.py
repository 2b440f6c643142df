"""BatchNorm as one op with a hand-derived backward (docs/batchnorm.md).

:func:`reference_forward` and :func:`reference_backward` are the specification:
(F1)–(F5) and (B1), (B2), (B7) on whole arrays, as written in the docs. They work
on backend arrays and on Tensors alike.

:class:`BatchNormFunction` runs them fast, through ``blocked_forward`` and
``blocked_backward`` (:mod:`~tinygrad_bn.batchnorm.kernels`), or their channel-major
twins for a convolution's output, and keeps only x and,
per channel, the shift K, μ − K and inv_std. Under ``create_graph=True`` its
backward is :func:`reference_backward` itself on Tensors, with μ and inv_std
recomputed from x by primitive ops, so the engine can differentiate it again and
x's influence through μ and σ² is kept (a saved constant inv_std would cut it:
see (S2)).
"""

from __future__ import annotations

from tinygrad_bn.annotations import note, region
from tinygrad_bn.autograd import Function, is_grad_enabled
from tinygrad_bn.backend import is_channel_major
from tinygrad_bn.batchnorm.channels import Channels
from tinygrad_bn.batchnorm.kernels import (
    blocked_backward,
    blocked_forward,
    channel_major_backward,
    channel_major_forward,
)
from tinygrad_bn.batchnorm.running import update_running_stats
from tinygrad_bn.ops.elementwise import constant
from tinygrad_bn.ops.statistics import in_compute_precision, standardize


def reference_forward(x, weight, bias, eps: float):
    """(F1)–(F5) on whole arrays (or Tensors) of shape (N, C, ...); weight and bias
    of shape (1, C, 1, ...). Returns y, μ, σ² and inv_std."""
    axes = Channels(x.shape).axes
    mean = x.mean(axes, keepdims=True)  # (F1)
    var = ((x - mean) ** 2).mean(axes, keepdims=True)  # (F2)
    inv_std = (var + eps) ** -0.5  # (F3)
    x_hat = (x - mean) * inv_std  # (F4)
    y = weight * x_hat + bias  # (F5)
    return y, mean, var, inv_std


def reference_backward(x, dy, weight, mean, inv_std, training: bool):
    """(B1), (B2), and (B7) in training mode or (E2) in eval mode, on whole arrays (or
    Tensors); ``mean`` and ``inv_std`` are the ones the forward normalized with.
    Returns dx, dγ, dβ (the last two of shape (1, C, 1, ...))."""
    channels = Channels(x.shape)
    m = channels.count
    x_hat = (x - mean) * inv_std
    dbeta = dy.sum(channels.axes, keepdims=True)  # (B1)
    dgamma = (dy * x_hat).sum(channels.axes, keepdims=True)  # (B2)
    if not training:
        return dy * (weight * inv_std), dgamma, dbeta  # (E2)
    dx = (weight * inv_std / m) * (m * dy - dbeta - x_hat * dgamma)  # (B7)
    return dx, dgamma, dbeta


class BatchNormFunction(Function):
    """Fused BatchNorm: inputs (x, weight, bias[, running_mean, running_var]).

    Missing weight/bias are passed as constants (ones, zeros); the running
    statistics are inputs that never receive a gradient (they are updated in place
    in training mode and read in eval mode).
    """

    def forward(self, x, weight, bias, *running, training, momentum, eps):
        self.channels, self.training, self.eps = Channels(x.shape), training, eps
        data = in_compute_precision(x._data)
        weight_c, bias_c, *running_c = (self._per_channel(t, data.dtype) for t in (weight, bias, *running))
        forward = channel_major_forward if is_channel_major(data) else blocked_forward
        y, shift, mean_minus_shift, var, inv_std = forward(
            x._backend, data, weight_c, bias_c, eps, None if training else running_c)
        if training:
            update_running_stats(*(running or (None, None)), shift + mean_minus_shift, var,
                                 self.channels.count, momentum)
        self.save_for_backward(x, weight, *(constant(v, x) for v in (shift, mean_minus_shift, inv_std)))
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        if is_grad_enabled():
            return self._differentiable_backward(grad)
        x, weight, shift, mean_minus_shift, inv_std = self.saved_tensors
        data = in_compute_precision(x._data)
        backward = channel_major_backward if is_channel_major(data) else blocked_backward
        dx, dgamma, dbeta = backward(
            x._backend, data, in_compute_precision(grad._data), self._per_channel(weight, data.dtype),
            shift._data, mean_minus_shift._data, inv_std._data, self.training)
        per_channel = (d.reshape(weight.shape) for d in (dgamma, dbeta))  # as arrays: no Reshape nodes
        return self._gradients(constant(dx, x), *(constant(d, x) for d in per_channel), weight)

    def _differentiable_backward(self, grad):
        """:func:`reference_backward` on Tensors, for create_graph=True."""
        x, weight, shift, mean_minus_shift, inv_std = self.saved_tensors
        x, dy = in_compute_precision(x), in_compute_precision(grad)
        if self.training:  # μ and inv_std as functions of x: (S1)–(S5) follow
            _, std, mean, _ = standardize(x, self.channels.axes, self.eps)
            inv_std = 1.0 / std
        else:
            mean = shift + mean_minus_shift
        dx, dgamma, dbeta = reference_backward(x, dy, weight.reshape(self.channels.param_shape), mean, inv_std,
                                               self.training)
        for t, role in ((dbeta, "dβ"), (dgamma, "dγ"), (dx, "dx")):  # named in pictures of the backward
            note(t, role)
        return self._gradients(dx, dgamma, dbeta, weight)

    def _per_channel(self, t, dtype):
        """A (C,) tensor's array as (1, C, 1, ...) in the compute dtype."""
        return t._data.reshape(self.channels.param_shape).astype(dtype, copy=False)

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


def batch_norm_fused(x, running_mean, running_var, weight, bias, training, momentum, eps):
    """BatchNorm as one :class:`BatchNormFunction` node (arguments as in ``batch_norm``),
    in a ``batch_norm`` region like the composite's, for pictures."""
    channels = x.shape[1]
    xp = x.xp
    if weight is None:
        weight = constant(in_compute_precision(xp.ones(channels, dtype=x.dtype)), x)
    if bias is None:
        bias = constant(in_compute_precision(xp.zeros(channels, dtype=x.dtype)), x)
    running = () if running_mean is None else (running_mean, running_var)
    with region("batch_norm", "batch_norm · fused"):
        return BatchNormFunction.apply(x, weight, bias, *running, training=training, momentum=momentum, eps=eps)
