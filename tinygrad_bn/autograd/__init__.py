"""The autodiff core: Tensor, Function, grad mode and the backward engine."""

from tinygrad_bn.autograd import graph
from tinygrad_bn.autograd.anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from tinygrad_bn.autograd.engine import backward, grad
from tinygrad_bn.autograd.function import (
    Function,
    Scope,
    enable_grad,
    is_grad_enabled,
    no_grad,
    once_differentiable,
    scope,
    set_grad_enabled,
)
from tinygrad_bn.autograd.tensor import Tensor


class inference_mode(set_grad_enabled):  # noqa: N801 - PyTorch's name
    """PyTorch's ``inference_mode``: here the same as ``no_grad`` (``mode=False`` records)."""

    def __init__(self, mode: bool = True):
        super().__init__(not mode)


__all__ = [
    "Function",
    "Scope",
    "Tensor",
    "backward",
    "detect_anomaly",
    "graph",
    "inference_mode",
    "enable_grad",
    "grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "scope",
    "set_detect_anomaly",
    "set_grad_enabled",
]
