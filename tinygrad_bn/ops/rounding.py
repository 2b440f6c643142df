"""Piecewise-constant ops: ``sign``, ``floor``, ``ceil``, ``round``, ``trunc`` and
floor division (``//``), whose gradient is 0 wherever it exists (PyTorch's choice
at the jumps too); ``remainder`` (``%``), a − b·⌊a/b⌋, whose gradient is 1 with
respect to a and −⌊a/b⌋ with respect to b, and ``fmod``, a − b·trunc(a/b), alike;
and ``frac``, x − trunc(x), whose gradient is 1.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function
from tinygrad_bn.errors import DivisionByZeroError, DtypeError
from tinygrad_bn.ops.elementwise import binary


class Flat(Function):
    """An elementwise step function of its inputs: its gradient is 0."""

    def forward(self, *inputs, step):
        return step(inputs[0].xp, *(t._data for t in inputs))

    def backward(self, grad):
        return tuple(grad * 0.0 if need else None for need in self.needs_input_grad)


def _flat(name: str, step, doc: str):
    def op(x):
        return Flat.apply(x, step=step)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _sign(xp, x):
    """−1, 0 or 1, and 0 for NaN, as PyTorch's ``sign``."""
    if x.dtype.kind != "f":
        return xp.sign(x)
    return xp.where(xp.isnan(x), xp.zeros((), dtype=x.dtype), xp.sign(x))


sign = _flat("sign", _sign, "−1, 0 or 1 by the sign of each element (0 for NaN, as in PyTorch).")
floor = _flat("floor", lambda xp, x: xp.floor(x), "The largest integer ≤ each element.")
ceil = _flat("ceil", lambda xp, x: xp.ceil(x), "The smallest integer ≥ each element.")
trunc = _flat("trunc", lambda xp, x: xp.trunc(x), "Each element rounded toward 0.")


def round(x, decimals: int = 0):  # noqa: A001 - PyTorch's name
    """Each element rounded to ``decimals`` places, halves to even, as PyTorch's ``round``.

    >>> from tinygrad_bn import tensor
    >>> tensor([0.5, 1.5, 2.5]).round().tolist(), tensor([1.25], dtype="float64").round(decimals=1).tolist()
    ([0.0, 2.0, 2.0], [1.2])
    """
    return Flat.apply(x, step=lambda xp, a: xp.round(a, decimals))


def _no_integer_zero(name: str, b):
    """Integer division by 0 has no value: PyTorch raises, NumPy would give 0 with a warning."""
    if b.dtype.kind in "biu" and not b._data.all():
        raise DivisionByZeroError(f"{name}: integer division by zero")


class FloorDivide(Function):
    def forward(self, a, b):
        _no_integer_zero("floor_divide", b)
        return a.xp.floor_divide(a._data, b._data)

    def backward(self, grad):
        return grad * 0.0, grad * 0.0


class Remainder(Function):
    """a − b·⌊a/b⌋, the sign of b (Python's ``%``)."""

    function, rounding = "remainder", "floor"

    def forward(self, a, b):
        _no_integer_zero(self.function, b)
        self.save_for_backward(a, b)
        return getattr(a.xp, self.function)(a._data, b._data)

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        # a mod b = a − b·q, q = ⌊a/b⌋ (or trunc(a/b)), constant between the jumps
        quotient = getattr(a / b, self.rounding)()
        return (grad if need_a else None), (-grad * quotient if need_b else None)


class Fmod(Remainder):
    """a − b·trunc(a/b), the sign of a (C's ``fmod``)."""

    function, rounding = "fmod", "trunc"


floor_divide = binary(FloorDivide, "⌊a / b⌋, elementwise (Python's ``//``), with NumPy broadcasting.")
remainder = binary(Remainder, "a − b·⌊a / b⌋, elementwise (Python's ``%``, the sign of b), with broadcasting.")
fmod = binary(Fmod, "a − b·trunc(a / b), elementwise (C's ``fmod``, the sign of a), with broadcasting.")


def frac(x):
    """The fractional part x − trunc(x), with the sign of x; its gradient is 1.

    >>> from tinygrad_bn import tensor
    >>> tensor([-1.5, 2.25]).frac().tolist()
    [-0.5, 0.25]
    """
    if x.dtype.kind != "f":
        raise DtypeError(f"frac expects a floating-point tensor, got {x.dtype}; an integer has no fractional part")
    return x - trunc(x)
