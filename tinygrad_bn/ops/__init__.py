"""Primitive operations, and the Tensor methods and operators that call them.

Every op is a :class:`~tinygrad_bn.autograd.Function`; the functions here lift
Python numbers, check shapes and apply them. Importing this package installs the
methods (``x + y``, ``x.sum()``, ``x[i]`` ...) on :class:`Tensor`.
"""

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.ops.creation import (
    arange,
    from_numpy,
    full,
    generator,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from tinygrad_bn.ops.elementwise import (
    abs,  # noqa: A004 - the op's name
    add,
    clamp,
    compare,
    div,
    exp,
    log,
    masked_fill,
    maximum,
    minimum,
    mul,
    neg,
    pow,  # noqa: A004 - the op's name
    relu,
    sigmoid,
    sqrt,
    sub,
    tanh,
    where,
)
from tinygrad_bn.ops.inplace import METHODS as _IN_PLACE_METHODS
from tinygrad_bn.ops.linalg import matmul, norm
from tinygrad_bn.ops.reduce import (
    all,  # noqa: A004 - the op's name
    any,  # noqa: A004 - the op's name
    argmax,
    argmin,
    max,  # noqa: A004 - the op's name
    mean,
    min,  # noqa: A004 - the op's name
    prod,
    sum,  # noqa: A004 - the op's name
)
from tinygrad_bn.ops.shape import (
    astype,
    broadcast_to,
    cat,
    clone,
    concatenate,
    expand,
    flatten,
    getitem,
    pad,
    permute,
    reshape,
    squeeze,
    stack,
    sum_to,
    swapaxes,
    t,
    to,
    transpose,
    unsqueeze,
)
from tinygrad_bn.ops.statistics import log_softmax, logsumexp, softmax, std, var

__all__ = [
    "abs", "add", "all", "any", "arange", "argmax", "argmin", "astype", "broadcast_to", "cat", "clamp", "clone",
    "concatenate", "div", "exp", "expand", "flatten", "from_numpy", "full", "generator", "getitem", "log",
    "log_softmax", "logsumexp", "manual_seed", "masked_fill", "matmul", "max", "maximum", "mean", "min", "minimum",
    "mul", "neg", "norm", "ones", "ones_like", "pad", "permute", "pow", "prod", "rand", "randn", "relu", "reshape",
    "sigmoid", "softmax", "sqrt", "squeeze", "stack", "std", "sub", "sum", "sum_to", "swapaxes", "t", "tanh", "tensor",
    "to", "transpose", "unsqueeze", "var", "where", "zeros", "zeros_like",
]


def _reflected(op):
    def method(self, other):
        return op(other, self)

    method.__name__ = f"r{op.__name__}"
    return method


def _comparison(symbol):
    def method(self, other):
        return compare(symbol, self, other)

    return method


_METHODS = {
    "__add__": add, "__radd__": _reflected(add),
    "__sub__": sub, "__rsub__": _reflected(sub),
    "__mul__": mul, "__rmul__": _reflected(mul),
    "__truediv__": div, "__rtruediv__": _reflected(div),
    "__pow__": pow, "__rpow__": _reflected(pow), "pow": pow,
    "__matmul__": matmul, "__rmatmul__": _reflected(matmul),
    "__neg__": neg, "__getitem__": getitem,
    "__lt__": _comparison("<"), "__le__": _comparison("<="),
    "__gt__": _comparison(">"), "__ge__": _comparison(">="),
    "__eq__": _comparison("=="), "__ne__": _comparison("!="),
    "exp": exp, "log": log, "sqrt": sqrt, "abs": abs, "tanh": tanh, "sigmoid": sigmoid, "relu": relu,
    "clamp": clamp, "clip": clamp, "masked_fill": masked_fill,
    "sum": sum, "mean": mean, "prod": prod, "max": max, "min": min, "var": var, "std": std, "norm": norm,
    "argmax": argmax, "argmin": argmin, "all": all, "any": any,
    "logsumexp": logsumexp, "log_softmax": log_softmax, "softmax": softmax,
    "reshape": reshape, "view": reshape, "transpose": transpose, "permute": permute, "swapaxes": swapaxes,
    "t": t, "flatten": flatten, "unsqueeze": unsqueeze, "squeeze": squeeze, "expand": expand, "clone": clone,
    "broadcast_to": broadcast_to, "sum_to": sum_to, "pad": pad,
    "astype": astype, "to": to, "maximum": maximum, "minimum": minimum, "matmul": matmul,
}

for _name, _method in {**_METHODS, **_IN_PLACE_METHODS}.items():
    setattr(Tensor, _name, _method)


def _cast_to(dtype: str):
    def method(self):
        return astype(self, dtype)

    method.__doc__ = f"PyTorch's cast to {dtype}: ``astype({dtype!r})``."
    return method


for _name, _dtype in {"float": "float32", "double": "float64", "half": "float16", "long": "int64"}.items():
    setattr(Tensor, _name, _cast_to(_dtype))

Tensor.T = property(lambda self: transpose(self), doc="The tensor with its axes reversed.")
