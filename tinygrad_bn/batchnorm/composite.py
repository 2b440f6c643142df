"""BatchNorm as a graph of primitive ops: the engine derives its gradient.

Every step of (F1)–(F5) in docs/batchnorm.md is one recorded op, noted with its
``role`` and with the ``path`` of x's gradient it carries (through μ, through σ²,
or directly through x̂), inside one ``batch_norm`` region, so pictures can show
them (:mod:`tinygrad_bn.annotations`).
"""

from __future__ import annotations

from tinygrad_bn.annotations import note, region
from tinygrad_bn.autograd import no_grad
from tinygrad_bn.batchnorm.channels import Channels
from tinygrad_bn.batchnorm.running import update_running_stats
from tinygrad_bn.ops.statistics import in_compute_precision, standardize


def batch_norm_composite(x, running_mean, running_var, weight, bias, training, momentum, eps):
    """BatchNorm built only from public primitive ops (arguments as in ``batch_norm``)."""
    channels = Channels(x.shape)
    shape = channels.param_shape
    input_dtype = x.dtype
    with region("batch_norm", "batch_norm · composite") as frame:
        computed = in_compute_precision(x)
        if computed is not x:
            x = note(computed, "to float32")
        if training:
            x_hat, _, mean, var = standardize(x, channels.axes, eps)
            with no_grad():
                update_running_stats(running_mean, running_var, mean._data, var._data, channels.count, momentum)
        else:
            x_hat, std, *_ = standardize(x, channels.axes, eps, running_mean.reshape(shape), running_var.reshape(shape))
            if std.grad_fn is None:  # computed from the buffers outside the graph
                frame.name(std, "√(running_var + ε)")
        y = x_hat
        if weight is not None:
            y = note(y * weight.reshape(shape), "scale")  # (F5) γ·x̂
        if bias is not None:
            y = note(y + bias.reshape(shape), "shift")  # (F5) + β
        if y.dtype != input_dtype:
            y = note(y.astype(input_dtype), "to input dtype")
    return y
