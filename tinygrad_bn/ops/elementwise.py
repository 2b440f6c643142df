"""Elementwise primitives: arithmetic, unary math, maximum and where, and what is
built from them (minimum, clamp, masked_fill).

Each op is a Function with its forward and its local derivative side by side.
Broadcasting is never undone here: the engine reduces every gradient to its
input's shape.
"""

from __future__ import annotations

import operator
import warnings

import numpy

from tinygrad_bn.autograd import Function, Tensor, is_grad_enabled
from tinygrad_bn.dtypes import get_default_dtype, result_type
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.ops.promotion import broadcast_shapes, constant, lift, lift_pair, number


def binary(cls, doc: str, floating: bool = False):
    """The function that applies the two-input op ``cls``, lifting a number on either
    side and promoting both to one dtype; a ``floating`` op (true division) computes
    integers in the default float dtype, as PyTorch does."""

    def op(a, b) -> Tensor:
        # a number beside a float tensor, the common case: x * 1.01 takes 31% less than through lift_pair
        if (type(b) is float or type(b) is int) and type(a) is Tensor and a._data.dtype.kind == "f":
            b = number(b, a._data.dtype, a._backend)
        else:
            a, b = lift_pair(a, b)
            if floating and a._data.dtype.kind != "f":
                a, b = a.astype(get_default_dtype()), b.astype(get_default_dtype())
        try:
            return cls.apply(a, b)
        except ValueError:
            if broadcast_shapes(a.shape, b.shape) is not None:
                raise
            raise ShapeError(
                f"{cls.__name__}: shapes {a.shape} and {b.shape} do not broadcast together"
            ) from None

    op.__name__ = op.__qualname__ = cls.__name__.lower()
    op.__doc__ = doc
    return op


# Arithmetic -------------------------------------------------------------------------


class Add(Function):
    def forward(self, a, b):
        return a._data + b._data

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    def forward(self, a, b):
        return a._data - b._data

    def backward(self, grad):
        return grad, (-grad if self.needs_input_grad[1] else None)


class Mul(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a._data * b._data

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        return (gradient_times(grad, b) if need_a else None), (gradient_times(grad, a) if need_b else None)


def gradient_times(grad: Tensor, factor: Tensor) -> Tensor:
    """grad · factor in a backward: a Mul op while the backward is recorded (or the
    dtypes differ, so promotion decides), else one product of the arrays. Mul's
    dispatch was a third of its backward, and a seventh of an op of a long chain."""
    if is_grad_enabled() or grad._data.dtype != factor._data.dtype:
        return grad * factor
    return Tensor._wrap(grad._data * factor._data, grad._backend, None)


class Div(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a._data / b._data

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        # d(a/b)/da = 1/b,  d(a/b)/db = -a/b²
        da = grad / b if need_a else None
        db = -grad * a / (b * b) if need_b else None
        return da, db


def _integer_power(xp, a, b):
    """a ** b of integer arrays as PyTorch computes it: a negative exponent gives 1 for a
    base of 1, ±1 for −1 (by the exponent's parity) and 0 for any other base."""
    if not (b < 0).any():
        return a**b
    negative = xp.where(a == 1, 1, xp.where(a == -1, 1 - 2 * (b % 2), 0)).astype(a.dtype)
    return xp.where(b < 0, negative, a ** xp.maximum(b, 0)).astype(xp.result_type(a, b))


class Pow(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        y = _integer_power(a.xp, a._data, b._data) if a._data.dtype.kind in "iu" else a._data**b._data
        if self.needs_input_grad[1]:
            self.save_output(y)
        return y

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        # d(a^b)/da = b·a^(b-1) (0 where b = 0, also at a = 0),  d(a^b)/db = a^b·log a
        da = None
        if need_a:
            da = grad * b * a ** (b - 1)
            if (b._data == 0).any():
                da = where(b == 0, 0.0, da)
        db = grad * self.saved_output() * a.log() if need_b else None
        return da, db


class Maximum(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a.xp.maximum(a._data, b._data)

    def backward(self, grad):
        a, b = self.saved_tensors
        # ties share the gradient equally, as in PyTorch
        xp = a.xp
        share_a = (a._data > b._data) + xp.asarray(0.5, dtype=grad.dtype) * (a._data == b._data)
        share_a = constant(share_a.astype(grad.dtype), grad)
        return grad * share_a, grad * (1.0 - share_a)


class Where(Function):
    def forward(self, a, b, condition):
        self.save_for_backward(constant(condition, a))
        return a.xp.where(condition, a._data, b._data)

    def backward(self, grad):
        (condition,) = self.saved_tensors
        zero = number(0.0, grad.dtype, grad._backend)
        need_a, need_b = self.needs_input_grad
        da = where(condition, grad, zero) if need_a else None
        db = where(condition, zero, grad) if need_b else None
        return da, db


# Functions --------------------------------------------------------------------------


add = binary(Add, "a + b, elementwise, with NumPy broadcasting.")
sub = binary(Sub, "a − b, elementwise, with NumPy broadcasting.")
mul = binary(Mul, "a · b, elementwise, with NumPy broadcasting.")
div = binary(Div, "a / b, elementwise, with NumPy broadcasting; integers divide as floats.", floating=True)
_pow = binary(Pow, "a ** b, elementwise, with NumPy broadcasting.")


def pow(a, b):  # noqa: A001 - the operator's name
    """a ** b, elementwise, with NumPy broadcasting; an integer tensor raised to a negative
    integer number is refused, as in PyTorch (a negative integer tensor exponent gives
    PyTorch's integer result)."""
    if (isinstance(b, (int, numpy.integer)) and not isinstance(b, bool) and b < 0 and isinstance(a, Tensor)
            and a.dtype.kind in "biu"):
        raise ArgumentError("Integers to negative integer powers are not allowed.")
    return _pow(a, b)


maximum = binary(Maximum, "Elementwise maximum; at ties each side gets half the gradient.")


def minimum(a, b):
    """Elementwise minimum."""
    a, b = lift_pair(a, b)
    return -maximum(-a, -b)


def where(condition, a=None, b=None):
    """``a`` where ``condition`` is true, else ``b`` (condition gets no gradient).

    ``condition`` is a boolean Tensor or array-like; a host array is moved to the
    device of ``a`` and ``b``. ``a`` and ``b`` may both be numbers, as in PyTorch.
    With the condition alone, the indices where it holds, one tensor per axis
    (``nonzero(as_tuple=True)``), as PyTorch's ``where(condition)``.

    >>> from tinygrad_bn import Tensor
    >>> where(Tensor([1.0, -2.0]) > 0, 1.0, 0).tolist()
    [1.0, 0.0]
    >>> [t.tolist() for t in where(Tensor([[True, False], [False, True]]))]
    [[0, 1], [0, 1]]
    """
    if a is None and b is None:
        return (condition if isinstance(condition, Tensor) else Tensor(condition)).nonzero(as_tuple=True)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        like = condition if isinstance(condition, Tensor) else None
        a = Tensor(a, dtype=result_type([], numbers=[a, b]), device=like.device if like is not None else None)
    a, b = lift_pair(a, b)
    if not isinstance(condition, Tensor):
        condition = Tensor(condition, device=a.device)
    elif condition.device != a.device:
        raise RuntimeError(
            f"where: condition on {condition.device!r} and tensors on {a.device!r}; "
            "move them with .to(device) first"
        )
    shape = broadcast_shapes(a.shape, b.shape)
    if shape is None or broadcast_shapes(shape, condition.shape) is None:
        raise ShapeError(
            f"where: condition {condition.shape}, a {a.shape} and b {b.shape} do not broadcast together"
        )
    return Where.apply(a, b, condition=condition._data)


def clamp(x, min=None, max=None):  # noqa: A002 - PyTorch's argument names
    """PyTorch's ``clamp`` (also ``clip``): ``x`` held within [min, max]. Each bound is
    a number, a Tensor (broadcast against ``x``) or None for no bound.

    The gradient passes to ``x`` where min ≤ x ≤ max, bounds included, as in PyTorch;
    a Tensor bound gets it where it is the result (``min`` where x < min = max, a
    gradient PyTorch gives to neither bound).

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([-2.0, 0.0, 0.5, 1.0, 3.0], requires_grad=True)
    >>> y = x.clamp(0.0, 1.0)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()
    ([0.0, 0.0, 0.5, 1.0, 1.0], [0.0, 1.0, 1.0, 1.0, 0.0])
    """
    if min is None and max is None:
        raise TypeError("clamp() expects min, max or both, got neither")
    if min is not None:
        x = where(x < min, min, x)
    if max is not None:
        x = where(x > max, max, x)
    return x


def fill(input, value):  # noqa: A002 - PyTorch's argument name
    """PyTorch's out-of-place ``fill``: a tensor of input's shape and dtype holding
    ``value`` (a number or a 0-d tensor, which gets the gradient of every element)."""
    return masked_fill(input, constant(input.xp.ones(input.shape, dtype=bool), input), value)


def masked_fill(x, mask, value):
    """PyTorch's ``masked_fill``: ``value`` where the boolean ``mask`` is true, ``x``
    elsewhere. ``mask`` broadcasts against ``x``; ``value`` is a number or a 0-d
    tensor, cast to the dtype of ``x``. The gradient goes to ``x`` where ``mask`` is
    false (and to a tensor ``value`` where it is true).

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    >>> y = x.masked_fill(x < 0, 0.0)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()
    ([1.0, 0.0, 3.0], [1.0, 0.0, 1.0])
    """
    if not isinstance(mask, Tensor):
        mask = Tensor(mask, device=x.device)
    if mask.dtype != bool:
        raise TypeError(
            f"masked_fill expects a boolean mask, got dtype {mask.dtype}; make one with a comparison, e.g. x < 0"
        )
    if broadcast_shapes(mask.shape, x.shape) is None:
        raise ShapeError(f"masked_fill: mask of shape {mask.shape} does not broadcast with tensor of shape {x.shape}")
    value = lift(value, x)
    if value.ndim:
        raise ValueError(f"masked_fill expects a number or a 0-d tensor as value, got shape {value.shape}")
    return where(mask, value.astype(x.dtype), x)


def sqrt_flat_at_zero(s):
    """√s with slope 0 at s = 0 instead of ∞: the subgradient PyTorch takes for ``std``
    and ``norm`` where they are 0. Both branches are guarded, so no ∞ · 0 reaches the
    gradient, nor its derivative."""
    at_zero = s == 0
    return where(at_zero, 0.0, where(at_zero, 1.0, s).sqrt())


_COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
                "!=": operator.ne}


def compare(op: str, a, b) -> Tensor:
    """Elementwise comparison as a boolean tensor (no gradient flows through it)."""
    a, b = lift_pair(a, b)
    if a.device != b.device:
        raise RuntimeError(
            f"comparison {op}: tensors of shapes {a.shape} on {a.device!r} and {b.shape} on {b.device!r}; "
            "move them with .to(device) first"
        )
    result = _COMPARISONS[op](a._data, b._data)
    return constant(result, a)


def scaled(other, alpha, like: Tensor):
    """alpha·other, ``other`` a number (in ``like``'s dtype) or a Tensor: the ``alpha=``
    of PyTorch's ``add``, ``sub``, ``index_add`` and their in-place forms. The old
    order with the number first, ``p.add_(-lr, grad)``, still works, with PyTorch's warning."""
    if isinstance(alpha, Tensor) and not isinstance(other, Tensor):
        warnings.warn("add(Number alpha, Tensor other) and sub(...) in this order are deprecated, as in PyTorch; "
                      "write add(other, alpha=alpha)", UserWarning, stacklevel=3)
        other, alpha = alpha, other
    if alpha == 1:
        return other
    return mul(lift(other, like), alpha)


_BITWISE = {"&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor"}
_LOGICAL = {"and": "logical_and", "or": "logical_or", "xor": "logical_xor"}


def bitwise(op: str, a, b) -> Tensor:
    """``a & b``, ``a | b`` or ``a ^ b`` of bool or integer tensors (or numbers), by
    PyTorch's promotion (bool with int64 is int64); no gradient flows through it.

    >>> from tinygrad_bn import tensor
    >>> mask = tensor([True, False, True])
    >>> (mask & tensor([True, True, False])).tolist(), (~mask).tolist(), (tensor([6, 3]) ^ 5).tolist()
    ([True, False, False], [False, True, False], [3, 6])
    """
    a, b = lift_pair(a, b)
    _check_bool_or_integer(_BITWISE[op], a, b)
    return constant(getattr(a.xp, _BITWISE[op])(a._data, b._data), a)


def shift(op: str, a, b) -> Tensor:
    """``a << b`` or ``a >> b`` of integer tensors (or numbers; bool is promoted with an
    integer number) by PyTorch's promotion; a shift by a negative count or by the
    dtype's width or more gives 0, or −1 for a right shift of a negative value, as in
    PyTorch. No gradient flows through it.

    >>> from tinygrad_bn import tensor
    >>> (tensor([7, -7]) << 2).tolist(), (tensor([7, -7]) >> 1).tolist(), (tensor([7, -7]) >> 64).tolist()
    ([28, -28], [3, -4], [0, -1])
    """
    name = {"<<": "bitwise_left_shift", ">>": "bitwise_right_shift"}[op]
    a, b = lift_pair(a, b)
    _check_bool_or_integer(name, a, b)
    if a.dtype == bool:
        raise DtypeError(f"{name} needs integer tensors, got two of dtype bool")
    xp, width = a.xp, 8 * a.dtype.itemsize
    count = xp.clip(b._data, 0, width - 1)
    if op == "<<":
        shifted, outside = xp.left_shift(a._data, count), xp.zeros((), dtype=a.dtype)
    else:
        shifted, outside = xp.right_shift(a._data, count), xp.where(a._data < 0, -1, 0).astype(a.dtype)
    return constant(xp.where((b._data < 0) | (b._data >= width), outside, shifted).astype(a.dtype), a)


def gcd(input, other) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``gcd``: the greatest common divisor of integer tensors, elementwise and
    never negative (gcd(0, 0) is 0). No gradient flows through it.

    >>> from tinygrad_bn import tensor
    >>> gcd(tensor([12, -18, 0]), tensor([8, 27, 0])).tolist(), lcm(tensor([4, -6]), tensor([6, 8])).tolist()
    ([4, 9, 0], [12, 24])
    """
    return _integer_pair("gcd", input, other)


def lcm(input, other) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``lcm``: the least common multiple of integer tensors, elementwise and
    never negative (0 where either is 0). No gradient flows through it."""
    return _integer_pair("lcm", input, other)


def _integer_pair(name: str, a, b) -> Tensor:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"{name}() expects two Tensors, got {type(a).__name__} and {type(b).__name__}")
    a, b = lift_pair(a, b)
    if a.dtype.kind not in "iu":
        raise DtypeError(f"{name} needs integer tensors, got {a.dtype}")
    return constant(getattr(a.xp, name)(a._data, b._data).astype(a.dtype), a)


def bitwise_not(x) -> Tensor:
    """``~x``: logical not of a bool tensor, ones' complement of an integer one."""
    _check_bool_or_integer("bitwise_not", x)
    return constant(x.xp.invert(x._data), x)


def logical(op: str, a, b) -> Tensor:
    """PyTorch's ``logical_and``, ``logical_or``, ``logical_xor``: a bool tensor, each
    operand read as true where it is nonzero; no gradient flows through it."""
    a, b = lift_pair(a, b)
    return constant(getattr(a.xp, _LOGICAL[op])(a._data, b._data), a)


def logical_not(x) -> Tensor:
    """A bool tensor, true where ``x`` is zero (PyTorch's ``logical_not``)."""
    return constant(x.xp.logical_not(x._data), x)


def _check_bool_or_integer(name: str, *tensors):
    for t in tensors:
        if t.dtype.kind not in "biu":
            raise DtypeError(f"{name} needs bool or integer tensors, got {t.dtype}")


def isnan(x) -> Tensor:
    """Where ``x`` is NaN, as a boolean tensor outside the graph."""
    return constant(x.xp.isnan(x._data), x)


def isinf(x) -> Tensor:
    """Where ``x`` is +∞ or −∞, as a boolean tensor outside the graph."""
    return constant(x.xp.isinf(x._data), x)


def isposinf(x) -> Tensor:
    """Where ``x`` is +∞, as a boolean tensor outside the graph."""
    return constant(x.xp.isposinf(x._data), x)


def isneginf(x) -> Tensor:
    """Where ``x`` is −∞, as a boolean tensor outside the graph."""
    return constant(x.xp.isneginf(x._data), x)


def isreal(x) -> Tensor:
    """Where ``x`` has no imaginary part: everywhere, as there are no complex dtypes here."""
    return constant(x.xp.ones(x.shape, dtype=bool), x)


def heaviside(input, values) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``heaviside``: 0 where ``input`` < 0 (or NaN), 1 where it is > 0, and
    ``values`` (a tensor of input's dtype, broadcast) where it is 0; no gradient flows
    through it, as PyTorch has none.

    >>> from tinygrad_bn import tensor
    >>> heaviside(tensor([-1.5, 0.0, 2.0]), tensor(0.5)).tolist()
    [0.0, 0.5, 1.0]
    """
    if not isinstance(values, Tensor) or values.dtype != input.dtype:
        given = f"dtype {values.dtype}" if isinstance(values, Tensor) else type(values).__name__
        raise DtypeError(f"heaviside expects values as a Tensor of the input's dtype {input.dtype}, got {given}")
    x, v = input._data, values._data
    return constant(input.xp.where(x == 0, v, x > 0).astype(input.dtype), input)


def nextafter(input, other) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``nextafter``: the floating-point number next to each element of ``input``
    in the direction of ``other`` (both promoted to one floating dtype and broadcast);
    outside the graph, as PyTorch has no gradient for it.

    >>> from tinygrad_bn import tensor
    >>> nextafter(tensor([1.0, 0.0]), tensor([2.0, -1.0])).tolist()
    [1.0000001192092896, -1.401298464324817e-45]
    """
    a, b = lift_pair(input, other)
    if a.dtype.kind != "f":
        raise DtypeError(f"nextafter expects floating-point tensors, got {a.dtype}")
    return constant(a.xp.nextafter(a._data, b._data), a)


def positive(input) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``positive`` (unary +): ``input`` itself; a bool tensor is refused."""
    if input.dtype == bool:
        raise DtypeError("The `+` operator, on a bool tensor is not supported.")
    return input


def isfinite(x) -> Tensor:
    """Where ``x`` is neither NaN nor infinite, as a boolean tensor outside the graph."""
    return constant(x.xp.isfinite(x._data), x)


def tril(x, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two axes, on and below ``diagonal`` (above it 0);
    the gradient passes through the kept elements.

    >>> from tinygrad_bn import ones
    >>> ones(2, 3).tril().tolist(), ones(2, 3).triu(1).tolist()
    ([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]], [[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    """
    return _triangle(x, diagonal, below=True)


def triu(x, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two axes, on and above ``diagonal`` (below it 0)."""
    return _triangle(x, diagonal, below=False)


def _triangle(x, diagonal: int, below: bool) -> Tensor:
    if x.ndim < 2:
        raise ShapeError(f"{'tril' if below else 'triu'} expects a tensor of at least 2 dims, got shape {x.shape}")
    rows, cols = x.shape[-2:]
    # tri(k) is on and below diagonal k: tril drops what is not in tri(d), triu what is in tri(d − 1)
    dropped = ~x.xp.tri(rows, cols, diagonal, dtype=bool) if below else x.xp.tri(rows, cols, diagonal - 1, dtype=bool)
    return masked_fill(x, constant(dropped, x), 0)


def equal(a, b) -> bool:
    """True when the two tensors have one shape and equal elements, as PyTorch's ``equal``."""
    return a.shape == b.shape and bool(compare("==", a, b)._data.all())


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """|a − b| ≤ atol + rtol·|b| elementwise, as a boolean tensor outside the graph."""
    a, b = lift_pair(a, b)
    return constant(a.xp.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan), a)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether :func:`isclose` holds everywhere.

    >>> from tinygrad_bn import tensor
    >>> allclose(tensor([1.0, 2.0]), tensor([1.0, 2.0 + 1e-6])), equal(tensor([1, 2]), tensor([1, 3]))
    (True, False)
    """
    return bool(isclose(a, b, rtol, atol, equal_nan)._data.all())
