"""The autodiff core: Tensor, Function, grad mode and the backward engine."""

from tinygrad_bn.autograd import graph
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

__all__ = [
    "Function",
    "Scope",
    "Tensor",
    "backward",
    "graph",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "scope",
    "set_grad_enabled",
]
