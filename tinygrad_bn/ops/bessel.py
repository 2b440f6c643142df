"""The modified Bessel functions of the first kind of orders 0 and 1, plain and scaled:
i0, i1, i0e(x) = e^(−|x|)·i0(x) and i1e(x) = e^(−|x|)·i1(x), as PyTorch's ``torch.special``,
and its modified_bessel_i0 and modified_bessel_i1: the same values outside the graph, as
PyTorch records no gradient for its Bessel functions of those names.

Up to |x| = 30 from their power series, whose terms are all positive (no cancellation):

    I₀(x) = Σₖ (x²/4)ᵏ / (k!)²,    I₁(x) = (x/2) Σₖ (x²/4)ᵏ / (k!(k + 1)!)

beyond, from the asymptotic series e^|x|/√(2π|x|) · Σₖ (−1)ᵏ aₖ(ν)/|x|ᵏ with
aₖ(ν) = Πⱼ₌₁..ₖ (4ν² − (2j − 1)²) / (k!·8ᵏ), whose smallest term there is below 1e-26.
Their derivatives are of the same family: I₀′ = I₁, I₁′ = I₀ − I₁/x (½ at 0), and for the
scaled ones i0e′ = i1e − sign(x)·i0e, i1e′ = i0e − i1e·(sign(x) + 1/x).

>>> from tinygrad_bn import tensor
>>> [f"{v:.12f}" for v in i0(tensor([0.0, 1.0], dtype="float64")).tolist()]
['1.000000000000', '1.266065877752']
>>> modified_bessel_i1(tensor([1.0], requires_grad=True)).requires_grad
False
"""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.ops.elementwise import where
from tinygrad_bn.ops.unary import floating

SERIES_UP_TO = 30.0
SERIES_TERMS = 110  # at |x| = 30 the k-th term falls below 1e-17 of the sum from k ≈ 100 on
ASYMPTOTIC_TERMS = 40


def _series(xp, x, order: int):
    """Σₖ (x²/4)ᵏ / (k!(k + order)!), from the last term backward."""
    w = x * x / 4.0
    total = xp.zeros_like(x)
    for k in range(SERIES_TERMS, -1, -1):
        total = total * w / ((k + 1) * (k + 1 + order)) + 1.0
    return total / math.factorial(order)


def _asymptotic_scaled(xp, z, order: int):
    """e^(−z)·I_order(z) for z ≥ SERIES_UP_TO: (1/√(2πz)) Σₖ (−1)ᵏ aₖ/zᵏ."""
    mu = 4.0 * order * order
    term = xp.ones_like(z)
    total = xp.ones_like(z)
    for k in range(1, ASYMPTOTIC_TERMS):
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * z)
        total = total + term
    return total / xp.sqrt(2.0 * math.pi * z)


def scaled_values(xp, x, order: int):
    """e^(−|x|)·I_order(x) of a float64 array (I₁ odd, I₀ even)."""
    z = xp.abs(x)
    far = z > SERIES_UP_TO
    near_z = xp.where(far, 0.0, z)
    near = xp.exp(-near_z) * _series(xp, near_z, order) * (near_z / 2.0) ** order
    value = xp.where(far, _asymptotic_scaled(xp, xp.where(far, z, SERIES_UP_TO + 1.0), order), near)
    value = xp.where(xp.isnan(x), math.nan, value)
    return xp.where(x < 0, -value, value) if order == 1 else value


def unscaled_values(xp, x, order: int):
    """I_order(x) of a float64 array: e^|x| times the scaled one."""
    return xp.exp(xp.abs(x)) * scaled_values(xp, x, order)


def _on_float64(x, values):
    return values(x.xp, x._data.astype("float64")).astype(x.dtype)


class ScaledBessel(Function):
    """e^(−|x|)·I_order(x), order 0 or 1."""

    def forward(self, x, order):
        self.save_for_backward(x)
        self.order = order
        return _on_float64(x, lambda xp, a: scaled_values(xp, a, order))

    def backward(self, grad):
        (x,) = self.saved_tensors
        i0e_x, i1e_x = ScaledBessel.apply(x, order=0), ScaledBessel.apply(x, order=1)
        if self.order == 0:
            return grad * (i1e_x - x.sign() * i0e_x)
        at_zero = x == 0
        # i1e′ = i0e − i1e·(sign x + 1/x), ½ at 0
        return grad * where(at_zero, 0.5, i0e_x - i1e_x * (x.sign() + 1.0 / where(at_zero, 1.0, x)))


class Bessel(Function):
    """I_order(x), order 0 or 1: e^|x| times the scaled one."""

    def forward(self, x, order):
        self.save_for_backward(x)
        self.order = order
        return _on_float64(x, lambda xp, a: unscaled_values(xp, a, order))

    def backward(self, grad):
        (x,) = self.saved_tensors
        i1_x = Bessel.apply(x, order=1)
        if self.order == 0:
            return grad * i1_x  # I₀′ = I₁
        at_zero = x == 0
        # I₁′ = I₀ − I₁/x, ½ at 0
        return grad * where(at_zero, 0.5, Bessel.apply(x, order=0) - i1_x / where(at_zero, 1.0, x))


def i0(input):  # noqa: A002 - PyTorch's argument name
    """I₀(x), the modified Bessel function of the first kind of order 0."""
    return Bessel.apply(floating(input), order=0)


def i1(input):  # noqa: A002 - PyTorch's argument name
    """I₁(x), the modified Bessel function of the first kind of order 1."""
    return Bessel.apply(floating(input), order=1)


def i0e(input):  # noqa: A002 - PyTorch's argument name
    """e^(−|x|)·I₀(x), which neither overflows nor loses digits for large |x|."""
    return ScaledBessel.apply(floating(input), order=0)


def i1e(input):  # noqa: A002 - PyTorch's argument name
    """e^(−|x|)·I₁(x)."""
    return ScaledBessel.apply(floating(input), order=1)


def outside_graph(x, values):
    """``values(xp, array)`` of x's data taken in float64, as a tensor of x's floating dtype
    that no gradient reaches (backward through it raises, as PyTorch's does for its
    ``bessel_*``, ``modified_bessel_*`` and polynomial functions)."""
    x = floating(x)
    return Tensor._wrap(_on_float64(x, values), x._backend, None)


def modified_bessel_i0(input):  # noqa: A002 - PyTorch's argument name
    """I₀(x), as :func:`i0`, outside the graph."""
    return outside_graph(input, lambda xp, a: unscaled_values(xp, a, 0))


def modified_bessel_i1(input):  # noqa: A002 - PyTorch's argument name
    """I₁(x), as :func:`i1`, outside the graph."""
    return outside_graph(input, lambda xp, a: unscaled_values(xp, a, 1))
