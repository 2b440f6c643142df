"""Batch Normalization, written twice: a composite of primitive ops and a fused op.

>>> import numpy as np
>>> from tinygrad_bn import Tensor
>>> from tinygrad_bn.batchnorm import batch_norm
>>> x = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
>>> y = batch_norm(x, None, None, training=True)
>>> np.round(y.numpy()[:, 0], 4).tolist()
[-1.3416, -0.4472, 0.4472, 1.3416]
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.batchnorm.channels import check_input, check_per_channel
from tinygrad_bn.batchnorm.composite import batch_norm_composite
from tinygrad_bn.batchnorm.fused import BatchNormFunction, batch_norm_fused

IMPLEMENTATIONS = ("fused", "composite")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,  # noqa: A002
               momentum=0.1, eps=1e-5, impl="fused"):
    """PyTorch's ``F.batch_norm``, plus ``impl="fused" | "composite"``.

    Normalizes each channel (axis 1) of ``input`` with the batch statistics
    (training) or the running ones (eval): y = γ·(x − μ)/√(σ² + ε) + β.
    In training mode ``running_mean``/``running_var`` (Tensors of shape (C,), or
    None) are updated in place — outside the graph, also under ``no_grad``.
    """
    if impl not in IMPLEMENTATIONS:
        raise ValueError(f"batch_norm: impl must be one of {IMPLEMENTATIONS}, got {impl!r}")
    check_input(input, training, eps)
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        check_per_channel(name, t, channels)
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: pass both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError(
            "batch_norm in eval mode (training=False) needs running_mean and running_var; "
            "pass training=True to normalize with the batch's statistics"
        )
    if training and running_mean is not None and momentum is None:
        raise ValueError("batch_norm: momentum must be a number (the modules handle momentum=None)")
    if impl == "fused":
        return batch_norm_fused(input, running_mean, running_var, weight, bias, training, momentum, eps)
    return batch_norm_composite(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm_method(self, running_mean=None, running_var=None, weight=None, bias=None, training=False,
                       momentum=0.1, eps=1e-5, impl="fused"):
    """``x.batch_norm(...)``: :func:`batch_norm` with this tensor as the input."""
    return batch_norm(self, running_mean, running_var, weight, bias, training, momentum, eps, impl)


Tensor.batch_norm = _batch_norm_method

__all__ = ["BatchNormFunction", "IMPLEMENTATIONS", "batch_norm", "batch_norm_composite", "batch_norm_fused"]
