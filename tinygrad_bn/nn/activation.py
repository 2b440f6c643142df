"""GELU and SiLU, as functions and modules, from differentiable Tensor ops (the engine
derives their first and second derivatives).

>>> from tinygrad_bn import Tensor
>>> [round(v, 4) for v in gelu(Tensor([-1.0, 0.0, 1.0])).tolist()]
[-0.1587, 0.0, 0.8413]
"""

from __future__ import annotations

import math

from tinygrad_bn.nn.module import Module

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
