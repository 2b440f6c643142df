"""Powers PyTorch names apart from ``pow``: ``exp2`` (2ˣ), ``float_power`` (a power
computed in float64), ``logspace`` (powers of a base at evenly spaced exponents), and
the binary exponent: ``ldexp`` (x·2ⁿ) and ``frexp`` (x as mantissa·2^exponent)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.backend import get_backend
from tinygrad_bn.dtypes import get_default_dtype
from tinygrad_bn.errors import ArgumentError, DtypeError
from tinygrad_bn.ops.elementwise import pow  # noqa: A004 - the op's name
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.unary import Pointwise, floating

LN_2 = math.log(2.0)


class Exp2(Pointwise):
    function = "exp2"

    def derivative(self, x):  # d 2ˣ = 2ˣ · ln 2
        return exp2(x) * LN_2


def exp2(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """2ˣ, elementwise (integers give the default float dtype).

    >>> from tinygrad_bn import tensor
    >>> exp2(tensor([0.0, 3.0, -1.0])).tolist()
    [1.0, 8.0, 0.5]
    """
    return Exp2.apply(floating(input))


def ldexp(input, other) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """input · 2^other, elementwise (integers give the default float dtype).

    >>> from tinygrad_bn import tensor
    >>> ldexp(tensor([1.5, -3.0]), tensor([2])).tolist()
    [6.0, -12.0]
    """
    return floating(input) * exp2(other)


class FrexpResult(NamedTuple):
    """``torch.return_types.frexp``: input = mantissa · 2^exponent, |mantissa| in [0.5, 1)."""

    mantissa: Tensor
    exponent: Tensor


def frexp(input) -> FrexpResult:  # noqa: A002 - PyTorch's argument name
    """The mantissa (input's dtype, |m| in [0.5, 1), 0 for 0) and the int32 exponent of
    each element of a floating tensor; no gradient flows through them.

    >>> from tinygrad_bn import tensor
    >>> [t.tolist() for t in frexp(tensor([1.5, -3.0, 0.0, 8.0]))]
    [[0.75, -0.75, 0.0, 0.5], [1, 2, 0, 4]]
    """
    if input.dtype.kind != "f":
        raise DtypeError(f"torch.frexp() only supports floating-point dtypes, got {input.dtype}")
    mantissa, exponent = input.xp.frexp(input._data)
    return FrexpResult(constant(mantissa, input), constant(exponent.astype("int32"), input))


def float_power(input, exponent) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """input ** exponent with both cast to float64 first, so the result is float64 whatever
    the dtypes given; either may be a number. Gradients come back in each input's dtype.

    >>> from tinygrad_bn import tensor
    >>> y = float_power(tensor([2, 3]), 2)
    >>> str(y.dtype), y.tolist()
    ('float64', [4.0, 9.0])
    """
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(f"float_power expects a tensor for input or exponent, got {type(input).__name__} and "
                        f"{type(exponent).__name__}")
    return pow(_in_float64(input), _in_float64(exponent))


def _in_float64(value):
    return value.astype("float64") if isinstance(value, Tensor) else float(value)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` values base^e for exponents e evenly spaced from ``start`` to ``end``,
    both included: base ** linspace(start, end, steps), computed in float64, then cast.
    For an integer ``dtype`` the ends are truncated to integers first, as in PyTorch.

    >>> logspace(0, 3, 4, base=2).tolist()
    [1.0, 2.0, 4.0, 8.0]
    """
    if steps < 0:
        raise ArgumentError(f"logspace expects a number of steps ≥ 0, got {steps}")
    dtype = numpy.dtype(dtype or get_default_dtype())
    if dtype.kind in "iu":
        start, end = math.trunc(start), math.trunc(end)
    backend = get_backend(device)
    xp = backend.xp
    exponents = xp.linspace(float(start), float(end), steps, dtype="float64")
    data = xp.power(float(base), exponents).astype(dtype)
    return Tensor(data, device=backend, requires_grad=requires_grad)
