"""PyTorch's pointwise functions composed of the primitives: logaddexp, xlogy, logit,
copysign, signbit, nan_to_num, lerp, addcmul, addcdiv, clamp_min and clamp_max.

Being compositions of differentiable ops, they have derivatives of every order from
the engine. Each formula is the one PyTorch evaluates, so the values agree to the
rounding; where PyTorch picks a subgradient (the x = 0 of xlogy, the replaced
elements of nan_to_num) the composition picks the same.

>>> from tinygrad_bn import tensor
>>> round(tensor(0.0).logaddexp(tensor(0.0)).item(), 6), tensor([0.0, 2.0]).xlogy(tensor([0.0, 1.0])).tolist()
(0.693147, [0.0, 0.0])
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import DtypeError
from tinygrad_bn.ops.elementwise import clamp, isinf, isnan, maximum, where
from tinygrad_bn.ops.promotion import constant, lift_pair, promote
from tinygrad_bn.ops.rounding import Flat
from tinygrad_bn.ops.unary import abs, floating  # noqa: A004 - the op's name


def _floating_pair(a, b):
    """Both operands in one dtype, integers in the default float dtype."""
    a, b = lift_pair(a, b)
    return floating(a), floating(b)


def logaddexp(a, b):
    """log(eᵃ + eᵇ) without overflow: max(a, b) + log(1 + e^(−|a − b|)).

    >>> from tinygrad_bn import tensor
    >>> logaddexp(tensor([1000.0, float("-inf")]), tensor([1000.0, float("-inf")])).tolist()
    [1000.6931762695312, -inf]
    """
    a, b = _floating_pair(a, b)
    same = a == b  # equal infinities: their difference is 0, not ∞ − ∞
    difference = where(same, 0.0, a) - where(same, 0.0, b)
    return maximum(a, b) + (-abs(difference)).exp().log1p()


def logaddexp2(a, b):
    """log₂(2ᵃ + 2ᵇ) without overflow: :func:`logaddexp` of a·ln 2 and b·ln 2, over ln 2.

    >>> from tinygrad_bn import tensor
    >>> logaddexp2(tensor([1.0, 1000.0]), tensor([1.0, 1000.0])).tolist()
    [2.0, 1001.0]
    """
    a, b = _floating_pair(a, b)
    return logaddexp(a * math.log(2), b * math.log(2)) / math.log(2)


def rad2deg(x):
    """x radians in degrees, x·180/π (integers in the default float dtype).

    >>> from tinygrad_bn import tensor
    >>> rad2deg(tensor([math.pi, -math.pi / 2])).tolist(), deg2rad(tensor([180])).tolist()
    ([180.0, -90.0], [3.1415927410125732])
    """
    return floating(x) * (180.0 / math.pi)


def deg2rad(x):
    """x degrees in radians, x·π/180 (integers in the default float dtype)."""
    return floating(x) * (math.pi / 180.0)


def xlogy(x, y):
    """x·log(y), and 0 where x = 0 (unless y is NaN), as PyTorch's ``xlogy``: the
    0·log 0 = 0 of entropies. The gradient with respect to x is log y, as PyTorch's,
    and 0 where x = 0 and y ≤ 0 (there y is read as 1, whose log is 0); with respect to
    y it is x/y, 0 where y was read as 1 (PyTorch's is NaN at x = y = 0)."""
    x, y = _floating_pair(x, y)
    zero = (x == 0) & ~isnan(y)
    log_y = where(zero & (y <= 0), 1.0, y).log()
    return where(zero & isinf(y), 0.0, x * log_y) + 0.0  # 0·∞ would be NaN; + 0 turns 0·(−1) = −0 into 0


def logit(x, eps=None):
    """log(x / (1 − x)), the inverse of the sigmoid; with ``eps``, of x clamped to
    [eps, 1 − eps] (whose gradient is 0 outside, as in PyTorch).

    >>> from tinygrad_bn import tensor
    >>> [round(v, 4) for v in tensor([0.25, 0.5, 1.0]).logit(eps=0.1).tolist()]
    [-1.0986, 0.0, 2.1972]
    """
    x = floating(x)
    z = x if eps is None else clamp(x, eps, 1.0 - eps)
    return z.log() - (-z).log1p()


def copysign(a, b):
    """|a| with the sign of b (−0.0 counts as negative), as PyTorch's ``copysign``: its
    gradient is ±1 with respect to a (0 at a = 0) and 0 with respect to b."""
    a, b = _floating_pair(a, b)
    sign_of_b = Flat.apply(b, step=lambda xp, data: xp.copysign(xp.ones_like(data), data))
    return abs(a) * sign_of_b


def signbit(x) -> Tensor:
    """Where the sign bit of ``x`` is set (negative numbers and −0.0), as a boolean
    tensor outside the graph."""
    return constant(x.xp.signbit(x._data), x)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN, +∞ and −∞ replaced by ``nan``, ``posinf`` and ``neginf`` (by default
    the dtype's largest and lowest finite numbers); the gradient passes where ``x`` is
    finite. Integer and bool tensors come back as a copy.

    >>> from tinygrad_bn import tensor
    >>> tensor([float("nan"), float("inf"), -1.0], dtype="float16").nan_to_num(neginf=-2.0).tolist()
    [0.0, 65504.0, -1.0]
    """
    if x.dtype.kind != "f":
        return x.clone()
    finfo = numpy.finfo(x.dtype)
    posinf = float(finfo.max) if posinf is None else posinf
    neginf = float(finfo.min) if neginf is None else neginf
    return x.masked_fill(isnan(x), nan).masked_fill(x == math.inf, posinf).masked_fill(x == -math.inf, neginf)


def lerp(start, end, weight):
    """start + weight·(end − start), ``weight`` a number or a tensor. Where |weight| ≥ ½
    it is end − (end − start)·(1 − weight), as PyTorch computes it, so weight 1 gives
    ``end`` exactly.

    >>> from tinygrad_bn import tensor
    >>> lerp(tensor([0.0, 10.0]), tensor([1.0, 20.0]), 0.25).tolist()
    [0.25, 12.5]
    """
    start, end = lift_pair(start, end)
    difference = end - start
    if not isinstance(weight, Tensor):
        return start + weight * difference if math.fabs(weight) < 0.5 else end - difference * (1 - weight)
    small = abs(weight) < 0.5
    return where(small, start + weight * difference, end - difference * (1 - weight))


def addcmul(input, tensor1, tensor2, *, value=1):  # noqa: A002 - PyTorch's argument name
    """input + value·tensor1·tensor2 (how Adam-like optimizers update their moments)."""
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):  # noqa: A002 - PyTorch's argument name
    """input + value·tensor1/tensor2; two integer tensors are refused, as in PyTorch."""
    operands = promote(tensor1, tensor2)
    if operands[0].dtype.kind in "biu":
        raise DtypeError(
            f"addcdiv of integer tensors ({operands[0].dtype}) is refused, as PyTorch refuses it; "
            "divide with torch.div(tensor1, tensor2, rounding_mode='trunc') or use float tensors"
        )
    return input + value * tensor1 / tensor2


def clamp_min(x, min):  # noqa: A002 - PyTorch's argument name
    """x held at or above ``min`` (:func:`~tinygrad_bn.ops.elementwise.clamp` with only a lower bound)."""
    return clamp(x, min=min)


def clamp_max(x, max):  # noqa: A002 - PyTorch's argument name
    """x held at or below ``max``."""
    return clamp(x, max=max)
