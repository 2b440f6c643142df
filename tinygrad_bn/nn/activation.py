"""GELU, SiLU, ELU and Softplus, as functions and modules, from differentiable Tensor ops (the engine
derives their first and second derivatives).

>>> from tinygrad_bn import Tensor
>>> [round(v, 4) for v in gelu(Tensor([-1.0, 0.0, 1.0])).tolist()]
[-0.1587, 0.0, 0.8413]
"""

from __future__ import annotations

import math

from tinygrad_bn.nn.module import Module
from tinygrad_bn.ops import where

APPROXIMATIONS = ("none", "tanh")


def gelu(input, approximate="none"):  # noqa: A002 - PyTorch's argument name
    """x·Φ(x), Φ the standard normal CDF: ½·x·(1 + erf(x/√2)); with ``approximate="tanh"``
    ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))."""
    if approximate == "none":
        return 0.5 * input * (1.0 + (input * (1.0 / math.sqrt(2.0))).erf())
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1.0 + inner.tanh())
    raise ValueError(f"gelu: approximate must be one of {APPROXIMATIONS}, got {approximate!r}")


def silu(input):  # noqa: A002 - PyTorch's argument name
    """x·σ(x), σ the logistic sigmoid (also called swish)."""
    return input * input.sigmoid()


def elu(input, alpha: float = 1.0):  # noqa: A002 - PyTorch's argument name
    """x where x > 0, else α·(eˣ − 1)."""
    negative = alpha * (input.clamp(max=0.0).exp() - 1.0)
    return where(input > 0, input, negative)


def softplus(input, beta: float = 1.0, threshold: float = 20.0):  # noqa: A002 - PyTorch's argument name
    """log(1 + e^(βx))/β, and x itself where βx > ``threshold`` (as PyTorch, for stability)."""
    scaled = input * beta
    smooth = scaled.clamp(max=threshold).exp().log1p() / beta
    return where(scaled > threshold, input, smooth)


class GELU(Module):
    """x·Φ(x), elementwise (:func:`gelu`).

    >>> GELU(approximate="tanh")
    GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in APPROXIMATIONS:
            raise ValueError(f"GELU: approximate must be one of {APPROXIMATIONS}, got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x·σ(x), elementwise (:func:`silu`)."""

    def forward(self, x):
        return silu(x)


class ELU(Module):
    """x where x > 0, else α·(eˣ − 1), elementwise (:func:`elu`)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Softplus(Module):
    """log(1 + e^(βx))/β, elementwise (:func:`softplus`)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"
