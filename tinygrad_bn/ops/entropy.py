"""The entropy terms of PyTorch's ``torch.special``: entr(x) = −x·log x and
xlog1py(x, y) = x·log(1 + y), each 0 where x = 0 (the 0·log 0 = 0 of entropies).

>>> from tinygrad_bn import tensor
>>> entr(tensor([0.0, 1.0, -1.0])).tolist()
[0.0, -0.0, -inf]
>>> xlog1py(tensor([0.0, 2.0]), tensor([-1.0, 0.0])).tolist()
[0.0, 0.0]
"""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Function
from tinygrad_bn.ops.composite import _floating_pair
from tinygrad_bn.ops.elementwise import where
from tinygrad_bn.ops.unary import floating


class Entr(Function):
    """−x·log x for x > 0, 0 at 0, −∞ below (NaN stays NaN)."""

    def forward(self, x):
        self.save_for_backward(x)
        xp, data = x.xp, x._data
        positive = data > 0
        y = -data * xp.log(xp.where(positive, data, 1.0))
        return xp.where(positive | xp.isnan(data), y, xp.where(data == 0, 0.0, -math.inf)).astype(data.dtype)

    def backward(self, grad):
        (x,) = self.saved_tensors
        # d(−x log x) = −(log x + 1): +∞ at 0, NaN below
        return grad * -(x.log() + 1.0)


def entr(input):  # noqa: A002 - PyTorch's argument name
    """−x·log x elementwise, 0 at x = 0 and −∞ for x < 0, as PyTorch's ``special.entr``."""
    return Entr.apply(floating(input))


class Xlog1py(Function):
    """x·log(1 + y), 0 where x = 0 unless y is NaN."""

    def forward(self, x, y):
        self.save_for_backward(x, y)
        xp, a, b = x.xp, x._data, y._data
        zero = (a == 0) & ~xp.isnan(b)
        return xp.where(zero, 0.0, a * xp.log1p(xp.where(zero, 0.0, b))).astype(a.dtype)

    def backward(self, grad):
        x, y = self.saved_tensors
        need_x, need_y = self.needs_input_grad
        # ∂/∂x = log(1 + y), taken as 0 where x = 0 and y ≤ −1 (PyTorch's choice); ∂/∂y = x/(1 + y)
        zero_and_outside = (x == 0) & (y <= -1.0)
        grad_x = grad * where(zero_and_outside, 0.0, where(zero_and_outside, 0.0, y).log1p()) if need_x else None
        grad_y = grad * x / (1.0 + y) if need_y else None
        return grad_x, grad_y


def xlog1py(input, other):  # noqa: A002 - PyTorch's argument name
    """x·log(1 + y), and 0 where x = 0 (unless y is NaN); either may be a number."""
    return Xlog1py.apply(*_floating_pair(input, other))
