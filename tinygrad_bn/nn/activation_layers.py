"""The activations of :mod:`tinygrad_bn.nn.activation` as modules, with PyTorch's names,
arguments, defaults and reprs (``inplace=True`` is printed as PyTorch prints it).

>>> Hardtanh(-2.0, 2.0), PReLU(num_parameters=3)
(Hardtanh(min_val=-2.0, max_val=2.0), PReLU(num_parameters=3))
"""

from __future__ import annotations

from tinygrad_bn.nn.activation import (
    APPROXIMATIONS,
    celu,
    elu,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    prelu,
    rrelu,
    selu,
    silu,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
)
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import Parameter, positive_int
from tinygrad_bn.ops import full


def _with_inplace(words: str, inplace: bool) -> str:
    """A module's ``extra_repr``, with ``inplace=True`` added when set, as PyTorch prints it."""
    return ", ".join(part for part in (words, "inplace=True" if inplace else "") if part)


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


class _Elementwise(Module):
    """An activation without arguments: ``function`` applied to the input."""

    function = None

    def forward(self, x):
        return self.function(x)


class SiLU(_Elementwise):
    """x·σ(x), elementwise (:func:`silu`)."""

    function = staticmethod(silu)


class LogSigmoid(_Elementwise):
    """log σ(x), elementwise (:func:`logsigmoid`)."""

    function = staticmethod(logsigmoid)


class Softsign(_Elementwise):
    """x / (1 + |x|), elementwise (:func:`softsign`)."""

    function = staticmethod(softsign)


class Tanhshrink(_Elementwise):
    """x − tanh(x), elementwise (:func:`tanhshrink`)."""

    function = staticmethod(tanhshrink)


class _InPlaceAccepted(_Elementwise):
    """An activation whose one argument is ``inplace`` (accepted; see the module docstring)."""

    shows_inplace = True  # PyTorch's Hardswish and Hardsigmoid do not print it

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return _with_inplace("", self.inplace and self.shows_inplace)


class SELU(_InPlaceAccepted):
    """λ·x where x > 0, else λ·α·(eˣ − 1), elementwise (:func:`selu`)."""

    function = staticmethod(selu)


class Mish(_InPlaceAccepted):
    """x·tanh(softplus(x)), elementwise (:func:`mish`)."""

    function = staticmethod(mish)


class Hardswish(_InPlaceAccepted):
    """x·relu6(x + 3)/6, elementwise (:func:`hardswish`)."""

    function = staticmethod(hardswish)
    shows_inplace = False


class Hardsigmoid(_InPlaceAccepted):
    """relu6(x + 3)/6, elementwise (:func:`hardsigmoid`)."""

    function = staticmethod(hardsigmoid)
    shows_inplace = False


class _ExponentialLinear(Module):
    """ELU and CELU: ``function(x, alpha)``."""

    function = None

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return self.function(x, self.alpha)

    def extra_repr(self):
        return _with_inplace(f"alpha={self.alpha}", self.inplace)


class ELU(_ExponentialLinear):
    """x where x > 0, else α·(eˣ − 1), elementwise (:func:`elu`)."""

    function = staticmethod(elu)


class CELU(_ExponentialLinear):
    """x where x > 0, else α·(e^(x/α) − 1), elementwise (:func:`celu`)."""

    function = staticmethod(celu)


class Softplus(Module):
    """log(1 + e^(βx))/β, elementwise (:func:`softplus`)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x held within [min_val, max_val], elementwise (:func:`hardtanh`)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val cannot be greater than max_val, got {min_val} > {max_val}")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x):
        return hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return _with_inplace(f"min_val={self.min_val}, max_val={self.max_val}", self.inplace)


class ReLU6(Hardtanh):
    """min(max(x, 0), 6), elementwise (:func:`relu6`)."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _with_inplace("", self.inplace)


class Threshold(Module):
    """x where x > ``threshold``, else ``value``, elementwise (:func:`threshold`)."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, x):
        return threshold(x, self.threshold, self.value)

    def extra_repr(self):
        return _with_inplace(f"threshold={self.threshold}, value={self.value}", self.inplace)


class _Shrink(Module):
    """Hardshrink and Softshrink: ``function(x, lambd)``."""

    function = None

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, x):
        return self.function(x, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Hardshrink(_Shrink):
    """x where |x| > λ, else 0, elementwise (:func:`hardshrink`)."""

    function = staticmethod(hardshrink)


class Softshrink(_Shrink):
    """x ∓ λ beyond ±λ, else 0, elementwise (:func:`softshrink`)."""

    function = staticmethod(softshrink)


class _AlongDim(Module):
    """GLU and Softmin: ``function(x, dim)``."""

    function = None

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return self.function(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GLU(_AlongDim):
    """a·σ(b) of the two halves of the input along ``dim`` (:func:`glu`)."""

    function = staticmethod(glu)

    def __init__(self, dim: int = -1):
        super().__init__(dim)


class Softmin(_AlongDim):
    """softmax(−x) along ``dim``, which must be given (as for this library's Softmax)."""

    function = staticmethod(softmin)

    def __init__(self, dim: int | None = None):
        if dim is None:
            raise ValueError("Softmin needs the axis to normalize over, e.g. Softmin(dim=1) for (N, C) scores")
        super().__init__(dim)


class PReLU(Module):
    """x where x > 0, else a·x, with the slope a learned: one for all elements, or one
    per channel (dim 1) with ``num_parameters=C``; the Parameter ``weight`` starts at ``init``.

    >>> PReLU(3).weight.tolist(), PReLU()
    ([0.25, 0.25, 0.25], PReLU(num_parameters=1))
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = positive_int(num_parameters, "PReLU: num_parameters")
        self.init = init
        self.weight = Parameter(full((num_parameters,), float(init), dtype=dtype, device=device))

    def reset_parameters(self):
        self.weight.data.fill_(self.init)

    def forward(self, x):
        return prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """x where x > 0, else a·x, a random in training and the mean slope in eval (:func:`rrelu`)."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, x):
        return rrelu(x, self.lower, self.upper, self.training)

    def extra_repr(self):
        return _with_inplace(f"lower={self.lower}, upper={self.upper}", self.inplace)
