"""BatchNorm as a graph of primitive ops: the engine derives its gradient.

Every step of (F1)–(F5) in docs/batchnorm.md is one recorded op, tagged with its
``role`` and with the ``path`` of x's gradient it carries (through μ, through σ²,
or directly through x̂), so the graph renderer can show them.
"""

from __future__ import annotations

from tinygrad_bn.autograd import no_grad, scope
from tinygrad_bn.batchnorm.channels import Channels
from tinygrad_bn.batchnorm.running import update_running_stats
from tinygrad_bn.ops.statistics import in_compute_precision, standardize


def tag(t, role, path=None):
    """Name the node that produced ``t`` (``path``: one route for all its inputs,
    or a tuple with one route per input)."""
    if t.grad_fn is not None:
        t.grad_fn.role = role
        t.grad_fn.path = path
    return t


def batch_norm_composite(x, running_mean, running_var, weight, bias, training, momentum, eps,
                         label="batch_norm · composite"):
    """BatchNorm built only from public primitive ops (arguments as in ``batch_norm``)."""
    channels = Channels(x.shape)
    shape = channels.param_shape
    input_dtype = x.dtype
    with scope("batch_norm", label) as region:
        computed = in_compute_precision(x)
        if computed is not x:
            x = tag(computed, "to float32")
        if training:
            x_hat, _, mean, var = standardize(x, channels.axes, eps, tag=tag)
            with no_grad():
                update_running_stats(running_mean, running_var, mean._data, var._data, channels.count, momentum)
        else:
            x_hat, std, *_ = standardize(x, channels.axes, eps, running_mean.reshape(shape), running_var.reshape(shape),
                                       tag=tag)
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
