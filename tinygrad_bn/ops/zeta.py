"""Hurwitz's zeta function ζ(s, q) = Σₖ₌₀ (q + k)⁻ˢ, PyTorch's ``torch.special.zeta``
(ζ(s, 1) is Riemann's).

For q > 0, by the Euler–Maclaurin formula: the first N terms directly, then with a = q + N

    ζ(s, q) = Σₖ₌₀ᴺ⁻¹ (q + k)⁻ˢ + a¹⁻ˢ/(s − 1) + a⁻ˢ/2
              + Σⱼ₌₁ᴹ B₂ⱼ/(2j)! · s(s + 1)···(s + 2j − 2) · a^(−s−2j+1),

whose remainder, with N = 9 and M = 10, is below 1e-17 of the sum for every s > 1.
For q < 0 (defined only for integer s, as (q + k)⁻ˢ is then real), with m = ⌈−q⌉ negative
terms and f = q + m in (0, 1), the m terms (f − j)⁻ˢ = (−1)ˢ(j − f)⁻ˢ, j = 1..m, sum to

    ζ(s, q) = ζ(s, f) + (−1)ˢ (ζ(s, 1 − f) − ζ(s, m + 1 − f)),

three values at positive q, so a q of −10⁶ costs no more than one of 1.

PyTorch's values at the edges: ∞ at s = 1 and at the poles q = 0, −1, −2, ...; NaN for s < 1,
for q < 0 with s not an integer, and for q = ∞ (where the sum is 0) or s = ∞ with q > 1.
PyTorch has no derivative in s (backward raises, as PyTorch's does); in q,
∂ζ(s, q)/∂q = −s·ζ(s + 1, q).

>>> from tinygrad_bn import tensor
>>> [f"{v:.12f}" for v in zeta(tensor([2.0, 3.0], dtype="float64"), tensor([1.0, -1.5], dtype="float64")).tolist()]
['1.644934066848', '0.118102025821']
"""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Function
from tinygrad_bn.ops.composite import _floating_pair
from tinygrad_bn.ops.special import BERNOULLI

DIRECT_TERMS = 9  # N
# B₂ⱼ/(2j)!, j = 1..M
BERNOULLI_OVER_FACTORIAL = tuple(b / math.factorial(2 * j) for j, b in enumerate(BERNOULLI, start=1))


def _hurwitz_positive(xp, s, q):
    """ζ(s, q) of float64 arrays, s > 1 finite and q > 0 finite, by Euler–Maclaurin."""
    total = xp.zeros_like(q)
    for k in range(DIRECT_TERMS):
        total = total + (q + k) ** -s
    a = q + DIRECT_TERMS
    a_power_1s = a ** (1.0 - s)  # a¹⁻ˢ, which stays normal for a large q where a⁻ˢ would not
    a_power = a_power_1s / a
    total = total + a_power_1s / (s - 1.0) + a_power / 2.0
    # the j-th correction B₂ⱼ/(2j)! · s(s + 1)···(s + 2j − 2) · a^(−s−2j+1)
    rising = s * a_power / a
    for j, coefficient in enumerate(BERNOULLI_OVER_FACTORIAL, start=1):
        total = total + coefficient * rising
        rising = rising * (s + 2 * j - 1) / a * (s + 2 * j) / a
    return total


def _hurwitz(xp, s, q):
    """ζ(s, q) for finite s > 1 and finite q not 0, −1, −2, ..., s an integer where q < 0."""
    negative = q < 0
    m = xp.where(negative, xp.ceil(-q), 0.0)
    f = q + m  # exact: in (0, 1) where q < 0, q itself elsewhere
    sign = xp.where(xp.fmod(s, 2.0) == 0, 1.0, -1.0)  # (−1)ˢ
    folded = xp.where(negative, 1.0 - f, 1.0)
    beyond = xp.where(negative, m + 1.0 - f, 1.0)
    # ζ(s, f) and (−1)ˢζ(s, 1 − f) first: for odd s and f = ½ they cancel exactly
    near = _hurwitz_positive(xp, s, f) + xp.where(negative, sign * _hurwitz_positive(xp, s, folded), 0.0)
    return near - xp.where(negative, sign * _hurwitz_positive(xp, s, beyond), 0.0)


def zeta_values(xp, s, q):
    """ζ(s, q) of float64 arrays, with PyTorch's values at the edges (see the module docstring)."""
    pole = (q <= 0) & (xp.floor(q) == q)
    undefined = xp.isnan(s) | xp.isnan(q) | (s < 1) | ((q < 0) & (xp.floor(s) != s)) | (q == math.inf)
    at_infinite_s = xp.where(q == 1, 1.0, xp.where(q < 1, math.inf, math.nan))
    usable = ~pole & ~undefined & (s > 1) & (s < math.inf)
    value = _hurwitz(xp, xp.where(usable, s, 2.0), xp.where(usable, q, 1.0))
    value = xp.where(s == math.inf, at_infinite_s, value)
    value = xp.where(undefined, math.nan, xp.where(pole, math.inf, value))
    return xp.where(s == 1, math.inf, value)


class Zeta(Function):
    """ζ(s, q), differentiable in q only."""

    def forward(self, s, q):
        self.save_for_backward(s, q)
        return zeta_values(q.xp, s._data.astype("float64"), q._data.astype("float64")).astype(q.dtype)

    def backward(self, grad):
        s, q = self.saved_tensors
        need_s, need_q = self.needs_input_grad
        if need_s:
            raise RuntimeError("the derivative for 'zeta' is not implemented.")
        if not need_q:
            return None, None
        s = s.detach()
        # ∂ζ(s, q)/∂q = −s·ζ(s + 1, q)
        return None, grad * -s * Zeta.apply(s + 1.0, q)


def zeta(input, other):  # noqa: A002 - PyTorch's argument names
    """ζ(s, q) = Σₖ (q + k)⁻ˢ of s = ``input`` and q = ``other``, tensors or numbers."""
    return Zeta.apply(*_floating_pair(input, other))
