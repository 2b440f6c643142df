"""BatchNorm as a graph of primitive ops: the engine derives its gradient.

Every step of (F1)–(F5) in docs/batchnorm.md is one recorded op, tagged with its
``role`` and with the ``path`` of x's gradient it carries (through μ, through σ²,
or directly through x̂), so the graph renderer can show them.
"""

from __future__ import annotations

from tinygrad_bn.autograd import no_grad, scope
from tinygrad_bn.batchnorm.channels import Channels
from tinygrad_bn.batchnorm.running import update_running_stats

ACCUMULATE_IN_FLOAT32 = ("float16",)


def tag(t, role, path=None):
    """Name the node that produced ``t`` (``path``: one route for all its inputs,
    or a tuple with one route per input)."""
    if t.grad_fn is not None:
        t.grad_fn.role = role
        t.grad_fn.path = path
    return t


def in_compute_precision(value):
    """An array or Tensor, in float32 if it is float16 (statistics accumulate in float32)."""
    return value.astype("float32") if value.dtype.name in ACCUMULATE_IN_FLOAT32 else value


def standardize(x, axes: tuple, eps: float, mean=None, var=None):
    """x̂ and √(σ² + ε) over ``axes`` (BatchNorm's per-channel axes, or LayerNorm's
    and GroupNorm's per-sample ones), from primitive ops.

    With ``mean``/``var`` None the statistics of ``x`` are computed (F1)–(F4), two-pass
    and biased; otherwise the given (running) statistics are used as constants (E1).
    Returns (x_hat, std, batch_mean, batch_var); the batch values are None in the
    second case.
    """
    batch_mean = batch_var = None
    if mean is None:
        batch_mean = mean = tag(x.mean(axes, keepdims=True), "mean", "mu")  # (F1)
        centred = tag(x - mean, "centre", ("x_hat", "mu"))
        square = tag(centred**2, "square", "var")
        batch_var = var = tag(square.mean(axes, keepdims=True), "variance", "var")  # (F2)
    else:
        centred = tag(x - mean, "centre", "x_hat")
    std = tag(tag(var + eps, "add eps", "var").sqrt(), "sqrt", "var")  # (F3): inv_std = 1/std
    x_hat = tag(centred / std, "normalize", ("x_hat", "var"))  # (F4)
    return x_hat, std, batch_mean, batch_var


def batch_norm_composite(x, running_mean, running_var, weight, bias, training, momentum, eps,
                         label="batch_norm · composite"):
    """BatchNorm built only from public primitive ops (arguments as in ``batch_norm``)."""
    channels = Channels(x.shape)
    shape = channels.param_shape
    input_dtype = x.dtype
    with scope("batch_norm", label) as region:
        if input_dtype.name in ACCUMULATE_IN_FLOAT32:
            x = tag(x.astype("float32"), "to float32")
        if training:
            x_hat, _, mean, var = standardize(x, channels.axes, eps)
            with no_grad():
                update_running_stats(running_mean, running_var, mean._data, var._data, channels.count, momentum)
        else:
            x_hat, std, *_ = standardize(x, channels.axes, eps, running_mean.reshape(shape), running_var.reshape(shape))
            if std.grad_fn is None:  # computed from the buffers outside the graph
                region.name(std, "√(running_var + ε)")
        y = x_hat
        if weight is not None:
            y = tag(y * weight.reshape(shape), "scale")  # (F5) γ·x̂
        if bias is not None:
            y = tag(y + bias.reshape(shape), "shift")  # (F5) + β
        if y.dtype != input_dtype:
            y = tag(y.astype(input_dtype), "to input dtype")
    return y
