"""Activations as functions (in ``nn.functional``; the modules are in
``nn.activation_layers``), with PyTorch's names, arguments and defaults, composed of
differentiable Tensor ops (the engine derives their derivatives of every order).

At a kink the gradient is the one PyTorch picks: hardtanh, relu6, hardsigmoid, threshold,
hardshrink and softshrink pass none at their bounds (the interval is open), elu, celu, selu,
prelu and rrelu take their negative branch at 0. ``inplace=True`` is accepted and printed
as PyTorch prints it; the result is a new tensor either way (the input is left as it is).
The functions named with a trailing underscore (``elu_``, ``relu_``, ``threshold_`` ...)
do change their input, as :mod:`tinygrad_bn.ops.inplace`'s ops do, and return it.

Two draw random numbers from the library's seeded generator
(:func:`tinygrad_bn.manual_seed`), so with PyTorch's laws but not its numbers: ``rrelu``
in training (a slope from U(lower, upper) for each element) and ``gumbel_softmax``.

>>> from tinygrad_bn import Tensor
>>> [round(v, 4) for v in gelu(Tensor([-1.0, 0.0, 1.0])).tolist()]
[-0.1587, 0.0, 0.8413]
>>> hardtanh(Tensor([-2.0, 0.5, 3.0])).tolist(), relu6(Tensor([-1.0, 3.0, 7.0])).tolist()
([-1.0, 0.5, 1.0], [0.0, 3.0, 6.0])
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn import generator as generators
from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.ops import minimum, where
from tinygrad_bn.ops.inplace import _change
from tinygrad_bn.ops.promotion import lift

APPROXIMATIONS = ("none", "tanh")
# SELU's α and λ (Klambauer et al., 2017): fixed points of the mean and variance of unit normal activations
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# Smooth -----------------------------------------------------------------------------


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


def mish(input, inplace=False):  # noqa: A002 - PyTorch's argument name
    """x·tanh(softplus(x))."""
    return input * softplus(input).tanh()


def softplus(input, beta: float = 1.0, threshold: float = 20.0):  # noqa: A002 - PyTorch's argument name
    """log(1 + e^(βx))/β, and x itself where βx > ``threshold`` (as PyTorch, for stability)."""
    scaled = input * beta
    smooth = scaled.clamp(max=threshold).exp().log1p() / beta
    return where(scaled > threshold, input, smooth)


def logsigmoid(input):  # noqa: A002 - PyTorch's argument name
    """log σ(x) = min(x, 0) − log(1 + e^(−|x|)), without overflow either way."""
    return minimum(input, 0.0) - (-input.abs()).exp().log1p()


def softsign(input):  # noqa: A002 - PyTorch's argument name
    """x / (1 + |x|)."""
    return input / (1.0 + input.abs())


def tanhshrink(input):  # noqa: A002 - PyTorch's argument name
    """x − tanh(x)."""
    return input - input.tanh()


def glu(input, dim=-1):  # noqa: A002 - PyTorch's argument name
    """The gated linear unit a·σ(b), a and b the two halves of ``input`` along ``dim``."""
    if input.ndim == 0 or input.shape[dim] % 2:
        raise ShapeError(f"glu halves the input along dim={dim}, which needs an even size there, got shape "
                         f"{input.shape}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def softmin(input, dim=-1, _stacklevel=3, dtype=None):  # noqa: A002 - PyTorch's argument name
    """softmax(−x) along ``dim``, computed in ``dtype`` if given (``_stacklevel`` is PyTorch's
    and changes nothing)."""
    return ops.softmax(-input, dim, dtype=dtype)


# Exponential below zero --------------------------------------------------------------


def elu(input, alpha: float = 1.0, inplace=False):  # noqa: A002 - PyTorch's argument name
    """x where x > 0, else α·(eˣ − 1)."""
    return _exponential_linear(input, alpha)


def celu(input, alpha: float = 1.0, inplace=False):  # noqa: A002 - PyTorch's argument name
    """x where x > 0, else α·(e^(x/α) − 1): ELU continuously differentiable for any α."""
    return _exponential_linear(input, alpha, input_scale=1.0 / alpha)


def selu(input, inplace=False):  # noqa: A002 - PyTorch's argument name
    """λ·x where x > 0, else λ·α·(eˣ − 1), with SELU's fixed α and λ (self-normalizing)."""
    return _exponential_linear(input, SELU_ALPHA, scale=SELU_SCALE)


def _exponential_linear(x, alpha: float, scale: float = 1.0, input_scale: float = 1.0):
    """scale·x where x > 0, else scale·α·(e^(input_scale·x) − 1): elu, celu and selu, as
    PyTorch evaluates them (the exponential of x clamped to ≤ 0, so no overflow)."""
    negative = ((x.clamp(max=0.0) * input_scale).exp() - 1.0) * (alpha * scale)
    return where(x > 0, x * scale, negative)


# Piecewise linear --------------------------------------------------------------------


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002 - PyTorch's argument name
    """x held within [min_val, max_val]; the gradient passes strictly between the bounds
    (at them it is 0, as in PyTorch; :func:`~tinygrad_bn.ops.elementwise.clamp` passes it
    there). The bounds take the input's dtype, so integers stay integers."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got {min_val} > {max_val}")
    return where(input <= min_val, lift(min_val, input), where(input >= max_val, lift(max_val, input), input))


def relu6(input, inplace=False):  # noqa: A002 - PyTorch's argument name
    """min(max(x, 0), 6): :func:`hardtanh` on [0, 6]."""
    return hardtanh(input, 0, 6)


def hardsigmoid(input, inplace=False):  # noqa: A002 - PyTorch's argument name
    """relu6(x + 3)/6: 0 below −3, 1 above 3, linear between."""
    return relu6(input + 3.0) / 6.0


def hardswish(input, inplace=False):  # noqa: A002 - PyTorch's argument name
    """x·relu6(x + 3)/6."""
    return input * relu6(input + 3.0) / 6.0


def threshold(input, threshold, value, inplace=False):  # noqa: A002 - PyTorch's argument names
    """x where x > ``threshold``, else ``value`` (in the input's dtype)."""
    return where(input > threshold, input, lift(value, input))


def hardshrink(input, lambd=0.5):  # noqa: A002 - PyTorch's argument name
    """x where |x| > λ, else 0."""
    return where((input > lambd) | (input < -lambd), input, 0)


def softshrink(input, lambd=0.5):  # noqa: A002 - PyTorch's argument name
    """x − λ where x > λ, x + λ where x < −λ, else 0 (λ ≥ 0)."""
    if lambd < 0:
        raise ArgumentError(f"softshrink expects lambd ≥ 0, got {lambd}")
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, input * 0))


def prelu(input, weight):  # noqa: A002 - PyTorch's argument name
    """x where x > 0, else a·x: one slope ``weight`` for all elements, or one per channel
    (dim 1) of an (N, C, ...) input."""
    count = weight.numel()
    if count != 1:
        if input.ndim < 2 or input.shape[1] != count:
            raise ShapeError(f"prelu with {count} weights (one per channel) expects input of shape "
                             f"(N, {count}, ...), got {input.shape}")
        weight = weight.reshape(count, *(1,) * (input.ndim - 2))
    return where(input > 0, input, weight * input)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):  # noqa: A002 - PyTorch's name
    """x where x > 0, else a·x: in training a drawn from U(lower, upper) for each element
    (PyTorch's numbers for the same seed, see :func:`_random_slopes`), otherwise the mean
    slope (lower + upper)/2."""
    if lower > upper:
        raise ArgumentError(f"rrelu: lower must be at most upper, got lower={lower}, upper={upper}")
    if not training:
        return where(input > 0, input, input * ((lower + upper) / 2))
    return where(input > 0, input, input * _random_slopes(input, lower, upper))


def _random_slopes(input, lower: float, upper: float) -> Tensor:  # noqa: A002 - PyTorch's name
    """rrelu's slopes, drawn as PyTorch draws them: for each element ≤ 0, in memory order,
    one float64 uniform on [lower, upper] with both bounds first rounded to the input's
    dtype, then rounded to that dtype; 1 elsewhere (those elements keep their value)."""
    dtype = numpy.dtype(input.dtype)
    drawn = input._backend.to_host(input.contiguous()._data <= 0)
    low, high = float(dtype.type(lower)), float(dtype.type(upper))
    u = generators.uniform((int(drawn.sum()),), numpy.float64)
    slopes = numpy.ones(input.shape, dtype)
    slopes[drawn] = (u * (high - low) + low).astype(dtype)  # two roundings in float64, as PyTorch's kernel
    return Tensor(slopes, device=input.device)


# In place -------------------------------------------------------------------------
# Each overwrites its input with the activation and returns it; recorded as
# tinygrad_bn.ops.inplace records a change (a leaf that requires grad is refused).


def relu_(input):  # noqa: A002 - PyTorch's argument name
    """max(x, 0), written into ``input``.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([-1.0, 2.0])
    >>> relu_(x) is x, x.tolist()
    (True, [0.0, 2.0])
    """
    return input.relu_()


def elu_(input, alpha: float = 1.0):  # noqa: A002 - PyTorch's argument name
    """:func:`elu`, written into ``input``.

    >>> from tinygrad_bn import Tensor
    >>> elu_(Tensor([-1.0, 2.0]), alpha=0.0).tolist()
    [-0.0, 2.0]
    """
    return _change(input, None, "elu_", lambda x: elu(x, alpha))


def celu_(input, alpha: float = 1.0):  # noqa: A002 - PyTorch's argument name
    """:func:`celu`, written into ``input``.

    >>> from tinygrad_bn import Tensor
    >>> celu_(Tensor([0.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return _change(input, None, "celu_", lambda x: celu(x, alpha))


def selu_(input):  # noqa: A002 - PyTorch's argument name
    """:func:`selu`, written into ``input``.

    >>> from tinygrad_bn import Tensor
    >>> selu_(Tensor([0.0, 1.0], dtype="float64")).tolist() == [0.0, SELU_SCALE]
    True
    """
    return _change(input, None, "selu_", selu)


def hardtanh_(input, min_val=-1.0, max_val=1.0):  # noqa: A002 - PyTorch's argument name
    """:func:`hardtanh`, written into ``input``.

    >>> from tinygrad_bn import Tensor
    >>> hardtanh_(Tensor([-3.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    return _change(input, None, "hardtanh_", lambda x: hardtanh(x, min_val, max_val))


def leaky_relu_(input, negative_slope=0.01):  # noqa: A002 - PyTorch's argument name
    """x where x > 0, negative_slope·x elsewhere (``leaky_relu``), written into ``input``.

    >>> from tinygrad_bn import Tensor
    >>> leaky_relu_(Tensor([-2.0, 3.0]), 0.5).tolist()
    [-1.0, 3.0]
    """
    return _change(input, None, "leaky_relu_", lambda x: where(x > 0, x, x * negative_slope))


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):  # noqa: A002 - PyTorch's argument name
    """:func:`rrelu`, written into ``input`` (in training with PyTorch's slopes for the same seed).

    >>> from tinygrad_bn import Tensor
    >>> rrelu_(Tensor([-3.0, 3.0]), 0.5, 0.5).tolist()
    [-1.5, 3.0]
    """
    return _change(input, None, "rrelu_", lambda x: rrelu(x, lower, upper, training))


_threshold = threshold  # threshold_'s argument, named as PyTorch's, hides the function


def threshold_(input, threshold, value):  # noqa: A002 - PyTorch's argument names
    """:func:`threshold`, written into ``input``.

    >>> from tinygrad_bn import Tensor
    >>> threshold_(Tensor([0.5, 2.0]), 1.0, -1.0).tolist()
    [-1.0, 2.0]
    """
    return _change(input, None, "threshold_", lambda x: _threshold(x, threshold, value))


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax (concrete) distribution: softmax((logits + g)/τ)
    along ``dim``, g = −log E with E ~ Exp(1) drawn by ``exponential_`` in the logits'
    dtype, as PyTorch draws it (so its numbers for the same seed). With ``hard``, the
    one-hot of its argmax in value and the soft sample's gradient (straight-through:
    y_hard − detach(y_soft) + y_soft). ``eps`` is unused, as in PyTorch."""
    gumbels = -ops.zeros_like(logits).exponential_().log()
    y_soft = ops.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    y_hard = ops.zeros_like(y_soft).scatter(dim, y_soft.argmax(dim, keepdim=True), 1.0)
    return y_hard - y_soft.detach() + y_soft
