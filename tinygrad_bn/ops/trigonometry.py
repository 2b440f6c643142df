"""Trigonometric and hyperbolic functions: tan, asin, acos, atan, sinh, cosh, asinh,
acosh, atanh (:class:`~tinygrad_bn.ops.unary.Pointwise` primitives), atan2 and hypot
(two-input primitives), and sinc, composed of them.

Integers compute in the default float dtype, as in PyTorch. Outside an inverse's
domain the value is NaN (asin(2), acosh(0.5)); at its ends the derivative is ∞
(asin′(±1), acosh′(1), atanh′(±1)), as in PyTorch.

>>> from tinygrad_bn import tensor
>>> [round(v, 6) for v in tensor([0.5, 1.0]).atan().tolist()], tensor([3.0]).hypot(tensor([4.0])).tolist()
([0.463648, 0.785398], [5.0])
"""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Function
from tinygrad_bn.ops.elementwise import binary, where
from tinygrad_bn.ops.unary import Pointwise, floating


class Tan(Pointwise):
    function = "tan"

    def derivative(self, x):  # tan′ = 1 + tan²
        return 1.0 + tan(x).square()


class Asin(Pointwise):
    function = "arcsin"

    def derivative(self, x):  # asin′ = 1/√(1 − x²)
        return 1.0 / (1.0 - x * x).sqrt()


class Acos(Pointwise):
    function = "arccos"

    def derivative(self, x):  # acos′ = −1/√(1 − x²)
        return -1.0 / (1.0 - x * x).sqrt()


class Atan(Pointwise):
    function = "arctan"

    def derivative(self, x):  # atan′ = 1/(1 + x²)
        return 1.0 / (1.0 + x * x)


class Sinh(Pointwise):
    function = "sinh"

    def derivative(self, x):  # sinh′ = cosh
        return cosh(x)


class Cosh(Pointwise):
    function = "cosh"

    def derivative(self, x):  # cosh′ = sinh
        return sinh(x)


class Asinh(Pointwise):
    function = "arcsinh"

    def derivative(self, x):  # asinh′ = 1/√(x² + 1)
        return 1.0 / (x * x + 1.0).sqrt()


class Acosh(Pointwise):
    function = "arccosh"

    def derivative(self, x):  # acosh′ = 1/√(x² − 1)
        return 1.0 / (x * x - 1.0).sqrt()


class Atanh(Pointwise):
    function = "arctanh"

    def derivative(self, x):  # atanh′ = 1/(1 − x²)
        return 1.0 / (1.0 - x * x)


class Atan2(Function):
    """The angle of the point (b, a): atan2(a, b), in (−π, π]."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a.xp.arctan2(a._data, b._data)

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        # ∂/∂a = b/(a² + b²), ∂/∂b = −a/(a² + b²); 0 at the origin, as in PyTorch
        r2 = a * a + b * b
        at_origin = r2 == 0
        inverse = where(at_origin, 0.0, 1.0 / where(at_origin, 1.0, r2))
        return (grad * b * inverse if need_a else None), (-grad * a * inverse if need_b else None)


class Hypot(Function):
    """√(a² + b²) without overflow or underflow in the squares."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        y = a.xp.hypot(a._data, b._data)
        self.save_output(y)
        return y

    def backward(self, grad):
        a, b = self.saved_tensors
        y = self.saved_output()
        need_a, need_b = self.needs_input_grad
        # ∂/∂a = a/y, ∂/∂b = b/y (NaN at the origin, as in PyTorch)
        return (grad * a / y if need_a else None), (grad * b / y if need_b else None)


def tan(x):
    return Tan.apply(floating(x))


def asin(x):
    return Asin.apply(floating(x))


def acos(x):
    return Acos.apply(floating(x))


def atan(x):
    return Atan.apply(floating(x))


def sinh(x):
    return Sinh.apply(floating(x))


def cosh(x):
    return Cosh.apply(floating(x))


def asinh(x):
    return Asinh.apply(floating(x))


def acosh(x):
    return Acosh.apply(floating(x))


def atanh(x):
    return Atanh.apply(floating(x))


atan2 = binary(Atan2, "atan2(a, b): the angle of the point (b, a), elementwise, with broadcasting.", floating=True)
hypot = binary(Hypot, "√(a² + b²), elementwise, with broadcasting, without overflow in the squares.", floating=True)


def sinc(x):
    """sin(πx)/(πx), and 1 at x = 0 (where the gradient is 0, as in PyTorch).

    >>> from tinygrad_bn import tensor
    >>> [round(v, 6) for v in sinc(tensor([0.0, 0.5, 1.5])).tolist()]
    [1.0, 0.63662, -0.212207]
    """
    x = floating(x)
    if x.dtype == "float16":  # π·x rounded to float16 is 1e-3 off: sin(π·x) near the integers would be noise
        return sinc(x.astype("float32")).astype("float16")
    at_zero = x == 0
    pi_x = where(at_zero, 1.0, x) * math.pi  # 1 at 0: neither the value nor its derivative divides 0 by 0
    return where(at_zero, 1.0, pi_x.sin() / pi_x)
