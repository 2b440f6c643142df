"""tinygrad_bn: a small reverse-mode autodiff framework over NumPy and CuPy in which
Batch Normalization is a first-class op, written twice (composite and fused)."""

from tinygrad_bn import batchnorm, ops
from tinygrad_bn.autograd import Function, Tensor, enable_grad, grad, is_grad_enabled, no_grad
from tinygrad_bn.ops import (
    arange,
    cat,
    concatenate,
    from_numpy,
    full,
    manual_seed,
    maximum,
    minimum,
    ones,
    ones_like,
    rand,
    randn,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)
from tinygrad_bn.serialization import load, save

__version__ = "0.1.0"

__all__ = [
    "Function",
    "Tensor",
    "arange",
    "batchnorm",
    "cat",
    "concatenate",
    "enable_grad",
    "from_numpy",
    "full",
    "grad",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "maximum",
    "minimum",
    "no_grad",
    "ones",
    "ones_like",
    "ops",
    "rand",
    "randn",
    "save",
    "stack",
    "tensor",
    "where",
    "zeros",
    "zeros_like",
]
