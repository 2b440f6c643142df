"""Elementwise primitives: arithmetic, unary math, maximum and where, and what is
built from them (minimum, clamp, masked_fill).

Each op is a Function with its forward and its local derivative side by side.
Broadcasting is never undone here: the engine reduces every gradient to its
input's shape.
"""

from __future__ import annotations

import operator

import numpy

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.autograd.tensor import is_scalar


def constant(array, like: Tensor) -> Tensor:
    """Wrap an array computed from ``like``'s data as a tensor outside the graph."""
    return Tensor._wrap(array, like._backend, None)


def lift(value, like: Tensor) -> Tensor:
    """A Python number or array-like as a tensor beside ``like``.

    Numbers take ``like``'s dtype, so ``x * 2.0`` stays float32 (see :func:`lift_pair`
    for integer tensors meeting a float)."""
    if isinstance(value, Tensor):
        return value
    if is_scalar(value):
        return _number(value, like._data.dtype, like._backend)
    return Tensor(value, device=like.device)


_numbers = {}


def _number(value, dtype, backend) -> Tensor:
    """``value`` as a 0-d constant tensor. The few numbers a program uses over and
    over (1.01, 0.5, a learning rate) are made once: ops never write into their inputs."""
    key = (value, dtype, backend, str(value) if value == 0 else None)  # keeps -0.0 apart from 0.0
    t = _numbers.get(key)
    if t is None:
        if len(_numbers) >= 1024:
            _numbers.clear()
        t = _numbers[key] = Tensor._wrap(backend.xp.asarray(value, dtype=dtype), backend, None)
    return t


# A number of a higher kind than the tensor it meets (bool < int < float) promotes the
# tensor to that kind's default dtype, as in PyTorch: int tensor * 0.5 is float32.
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}
_KIND_DEFAULT = {"i": "int64", "f": "float32"}


def lift_pair(a, b):
    """Both operands as tensors, a number on either side lifted beside the other one."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a, b
    tensor, value = (a, b) if isinstance(a, Tensor) else (b, a)
    if tensor.dtype.kind != "f" and is_scalar(value):
        kind = numpy.dtype(type(value)).kind
        if _KIND_RANK.get(kind, 0) > _KIND_RANK.get(tensor.dtype.kind, 2):
            tensor = tensor.astype(_KIND_DEFAULT[kind])
    value = lift(value, tensor)
    return (tensor, value) if isinstance(a, Tensor) else (value, tensor)


def broadcast_shapes(a: tuple, b: tuple) -> tuple | None:
    """NumPy's broadcast of two shapes, or None when they do not broadcast."""
    result = []
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da != db and 1 not in (da, db):
            return None
        result.append(max(da, db) if 0 not in (da, db) else 0)
    return tuple(reversed(result))


def binary(cls, doc: str):
    """The function that applies the two-input op ``cls``, lifting a number on either side."""

    def op(a, b) -> Tensor:
        if type(b) is float and type(a) is Tensor and a._data.dtype.kind == "f":
            b = _number(b, a._data.dtype, a._backend)
        elif type(a) is not Tensor or type(b) is not Tensor:
            a, b = lift_pair(a, b)
        try:
            return cls.apply(a, b)
        except ValueError:
            if broadcast_shapes(a.shape, b.shape) is not None:
                raise
            raise ValueError(
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
        return (grad * b if need_a else None), (grad * a if need_b else None)


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


class Pow(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        y = a._data**b._data
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
        zero = _number(0.0, grad.dtype, grad._backend)
        need_a, need_b = self.needs_input_grad
        da = where(condition, grad, zero) if need_a else None
        db = where(condition, zero, grad) if need_b else None
        return da, db


# Unary math -------------------------------------------------------------------------


class Neg(Function):
    def forward(self, x):
        return -x._data

    def backward(self, grad):
        return -grad


class Exp(Function):
    def forward(self, x):
        y = x.xp.exp(x._data)
        self.save_output(y)
        return y

    def backward(self, grad):
        # d exp(x) = exp(x)
        return grad * self.saved_output()


class Log(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x.xp.log(x._data)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / x


class Sqrt(Function):
    def forward(self, x):
        y = x.xp.sqrt(x._data)
        self.save_output(y)
        return y

    def backward(self, grad):
        # d √x = 1 / (2√x)
        return grad / (self.saved_output() * 2.0)


class Abs(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x.xp.abs(x._data)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * constant(x.xp.sign(x._data), x)


class Tanh(Function):
    def forward(self, x):
        y = x.xp.tanh(x._data)
        self.save_output(y)
        return y

    def backward(self, grad):
        y = self.saved_output()
        # d tanh = 1 - tanh²
        return grad * (1.0 - y * y)


class Sigmoid(Function):
    def forward(self, x):
        # σ(x) = (1 + tanh(x/2)) / 2: no overflow for large |x|
        xp = x.xp
        half = xp.asarray(0.5, dtype=x.dtype if x.dtype.kind == "f" else "float64")
        y = half + half * xp.tanh(half * x._data)
        self.save_output(y)
        return y

    def backward(self, grad):
        y = self.saved_output()
        # d σ = σ(1 - σ)
        return grad * y * (1.0 - y)


class Relu(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x.xp.maximum(x._data, 0)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * constant((x._data > 0).astype(grad.dtype), grad)


# Functions --------------------------------------------------------------------------


add = binary(Add, "a + b, elementwise, with NumPy broadcasting.")
sub = binary(Sub, "a − b, elementwise, with NumPy broadcasting.")
mul = binary(Mul, "a · b, elementwise, with NumPy broadcasting.")
div = binary(Div, "a / b, elementwise, with NumPy broadcasting.")
pow = binary(Pow, "a ** b, elementwise, with NumPy broadcasting.")  # noqa: A001 - the operator's name
maximum = binary(Maximum, "Elementwise maximum; at ties each side gets half the gradient.")


def minimum(a, b):
    """Elementwise minimum."""
    a, b = lift_pair(a, b)
    return -maximum(-a, -b)


def where(condition, a, b):
    """``a`` where ``condition`` is true, else ``b`` (condition gets no gradient).

    ``condition`` is a boolean Tensor or array-like; a host array is moved to the
    device of ``a`` and ``b``."""
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
        raise ValueError(
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
        raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast with tensor of shape {x.shape}")
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


def neg(x):
    return Neg.apply(x)


def exp(x):
    return Exp.apply(x)


def log(x):
    return Log.apply(x)


def sqrt(x):
    return Sqrt.apply(x)


def abs(x):  # noqa: A001 - the function's name
    return Abs.apply(x)


def tanh(x):
    return Tanh.apply(x)


def sigmoid(x):
    return Sigmoid.apply(x)


def relu(x):
    return Relu.apply(x)


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
