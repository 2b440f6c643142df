"""Unary math primitives: neg, exp, expm1, log, log1p, log2, log10, sqrt, abs, tanh,
sigmoid, relu, sin, cos, erf; and square, built from them.

Each op is a Function with its forward and its local derivative side by side; a
:class:`Pointwise` op is a backend function and its derivative f′(x), one line each.
At a kink the gradient is PyTorch's: relu and abs have slope 0 at x = 0.
"""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Function, is_grad_enabled
from tinygrad_bn.dtypes import get_default_dtype
from tinygrad_bn.ops.promotion import constant


def floating(x):
    """``x``, or an integer tensor in the default float dtype (exp of an int tensor is a float, as in PyTorch)."""
    return x if x._data.dtype.kind == "f" else x.astype(get_default_dtype())

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


class Pointwise(Function):
    """y = f(x) by the backend's function named ``function``; ``derivative(x)`` is f′(x)
    written with differentiable ops, so the backward can be differentiated again."""

    function = ""

    def forward(self, x):
        self.save_for_backward(x)
        return getattr(x.xp, self.function)(x._data)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * self.derivative(x)


class Expm1(Pointwise):
    function = "expm1"

    def derivative(self, x):  # d (eˣ − 1) = eˣ
        return x.exp()


class Log2(Pointwise):
    function = "log2"

    def derivative(self, x):  # d log₂ x = 1 / (x ln 2)
        return 1.0 / (x * math.log(2.0))


class Log10(Pointwise):
    function = "log10"

    def derivative(self, x):  # d log₁₀ x = 1 / (x ln 10)
        return 1.0 / (x * math.log(10.0))


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


class Log1p(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x.xp.log1p(x._data)

    def backward(self, grad):
        (x,) = self.saved_tensors
        # d log(1 + x) = 1 / (1 + x)
        return grad / (x + 1.0)


class Sin(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x.xp.sin(x._data)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * x.cos()


class Cos(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x.xp.cos(x._data)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return -grad * x.sin()


# erf(z) = 2/√π · Σ (−1)ⁿ z^(2n+1) / (n!(2n+1)): the coefficients of z·P(z²), for z ≤ 1
ERF_SERIES = tuple(2.0 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(22))
ERFC_FRACTION_TERMS = 200  # from z = 1 on, a relative error below 4e-16 (100 terms leave 5e-12 just above 1)


def erf_and_erfc(xp, z):
    """erf(z) and erfc(z) = 1 − erf(z) of a float64 array z ≥ 0, each within a few units
    in the last place: erf from its Taylor series where z ≤ 1, erfc from its continued
    fraction beyond (where 1 − erf would lose erfc's digits)."""
    near = xp.minimum(z, 1.0)
    w = near * near
    series = xp.zeros_like(w) + ERF_SERIES[-1]
    for c in reversed(ERF_SERIES[:-1]):
        series = series * w + c
    erf_near = near * series
    far = xp.clip(z, 1.0, 30.0)  # e^(−z²) is 0 from 27.3 on
    # erfc(z) = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), evaluated from the tail
    fraction = far
    for k in range(ERFC_FRACTION_TERMS, 0, -1):
        fraction = far + (k / 2) / fraction
    erfc_far = exp_minus_square(xp, far) / (math.sqrt(math.pi) * fraction)
    is_near = z <= 1.0
    return xp.where(is_near, erf_near, 1.0 - erfc_far), xp.where(is_near, 1.0 - erf_near, erfc_far)


def exp_minus_square(xp, z):
    """e^(−z²), z² carried as hi + lo (Dekker's exact product): e^(−hi)·(1 − lo) keeps
    the digits that rounding z² would cost e^(−z²) (a relative error of z²·2⁻⁵³)."""
    hi = z * z
    split = 134217729.0 * z  # 2²⁷ + 1: z = z_hi + z_lo, each with half of z's 53 bits
    z_hi = split - (split - z)
    z_lo = z - z_hi
    lo = ((z_hi * z_hi - hi) + 2.0 * z_hi * z_lo) + z_lo * z_lo
    return xp.exp(-hi) * (1.0 - lo)


class Erf(Function):
    """erf(x), which NumPy lacks (see :func:`erf_and_erfc`)."""

    def forward(self, x):
        self.save_for_backward(x)
        xp = x.xp
        erf_z, _ = erf_and_erfc(xp, xp.abs(x._data.astype("float64")))
        return (xp.sign(x._data) * erf_z).astype(x.dtype)

    def backward(self, grad):
        (x,) = self.saved_tensors
        # d erf(x) = 2/√π · e^(−x²)
        return grad * (-(x * x)).exp() * (2.0 / math.sqrt(math.pi))


class Tanh(Function):
    def forward(self, x):
        y = x.xp.tanh(x._data)
        self.save_output(y)
        return y

    def backward(self, grad):
        y = self.saved_output()
        # d tanh = 1 - tanh²
        return grad * (1.0 - y * y)


def logistic(xp, x):
    """σ(x) = 1/(1 + e⁻ˣ) of an array ``x``, from z = e^−|x| ≤ 1, which never overflows:
    1/(1 + z) for x ≥ 0 and z/(1 + z) below, each to full relative precision (the
    form (1 + tanh(x/2))/2 rounded σ(−30) to 0 in float32, where it is 9.36e-14). The
    forward of :class:`Sigmoid`, and of the fused ops that hold their gates as arrays."""
    z = xp.exp(-xp.abs(x))
    above = 1 / (1 + z)
    return xp.where(x >= 0, above, z * above)


class Sigmoid(Function):
    def forward(self, x):
        y = logistic(x.xp, x._data)
        self.save_output(y)
        return y

    def backward(self, grad):
        y = self.saved_output()
        # d σ = σ(1 - σ)
        return grad * y * (1.0 - y)


class Relu(Function):
    def forward(self, x):
        self.save_for_backward(x)
        if x._data.dtype.kind == "f":  # clip to [0, ∞]: -0.0 stays -0.0 as in PyTorch; 3x faster than maximum(x, 0)
            return x.xp.clip(x._data, 0, math.inf)
        return x.xp.maximum(x._data, 0)

    def backward(self, grad):
        (x,) = self.saved_tensors
        if is_grad_enabled():  # create_graph: g·[x > 0] as an op, differentiable in g
            return grad * constant((x._data > 0).astype(grad.dtype), grad)
        return constant(grad._data * (x._data > 0), grad)  # times the bool mask as it is: two passes fewer


def neg(x):
    return Neg.apply(x)


def exp(x):
    return Exp.apply(floating(x))


def log(x):
    return Log.apply(floating(x))


def sqrt(x):
    return Sqrt.apply(floating(x))


def abs(x):  # noqa: A001 - the function's name
    return Abs.apply(x)


def log1p(x):
    """log(1 + x), accurate for small x."""
    return Log1p.apply(floating(x))


def expm1(x):
    """eˣ − 1, accurate for small x."""
    return Expm1.apply(floating(x))


def log2(x):
    return Log2.apply(floating(x))


def log10(x):
    return Log10.apply(floating(x))


def sin(x):
    return Sin.apply(floating(x))


def cos(x):
    return Cos.apply(floating(x))


def erf(x):
    return Erf.apply(floating(x))


def square(x):
    """x², as PyTorch's ``square``."""
    return x * x


def tanh(x):
    return Tanh.apply(floating(x))


def sigmoid(x):
    return Sigmoid.apply(floating(x))


def relu(x):
    return Relu.apply(x)


