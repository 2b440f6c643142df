"""The Airy function Ai(x), the solution of y″ = x·y that decays as x → ∞: PyTorch's
``airy_ai``, which it keeps outside the graph (no gradient), as this does.

With ζ = (2/3)|x|^(3/2), by region:

* −4 ≤ x ≤ 2, its Maclaurin series Ai(x) = Ai(0)·f(x) + Ai′(0)·g(x), where
  f(x) = Σₖ 3ᵏ(1/3)ₖ x³ᵏ/(3k)! and g(x) = Σₖ 3ᵏ(2/3)ₖ x³ᵏ⁺¹/(3k + 1)!, whose terms stay
  below e^ζ ≤ 200 (so at most 2e-14 of the result is lost to cancellation);
* x > 2, Ai(x) = (1/π)·√(x/3)·K₁/₃(ζ), with e^ζ·K₁/₃(ζ) as in :mod:`tinygrad_bn.ops.bessel_k`
  (its integral and asymptotic series hold for every order);
* −10.9 ≤ x < −4 (ζ ≤ 25), Ai(x) = (√|x|/3)·(J₁/₃(ζ) + J₋₁/₃(ζ)), the J of fractional order
  from Miller's backward recurrence fₘ₋₁ = (2(ν + m)/ζ)·fₘ − fₘ₊₁ from m = 90, scaled by
  (ζ/2)^ν = Σₖ (ν + 2k)·Γ(ν + k)/k! · J_(ν+2k)(ζ);
* x < −10.9, the asymptotic form (DLMF 9.7.9) with χ = ζ − π/4,
  Ai(x) = (P cos χ + Q sin χ)/(√π·|x|^(1/4)), P = Σₖ (−1)ᵏ u₂ₖ/ζ²ᵏ, Q = Σₖ (−1)ᵏ u₂ₖ₊₁/ζ²ᵏ⁺¹,
  uₖ = (2k + 1)(2k + 3)···(6k − 1)/(216ᵏ·k!), whose smallest term there is below e^(−50).

Where Ai oscillates, near its zeros, the error is an absolute few 1e-16 of its envelope; for
very negative x the rounding of ζ itself (a relative 1e-16 of a large phase) dominates, as in
every floating-point Ai. At the edges, as PyTorch's: NaN at ±∞.

>>> from tinygrad_bn import tensor
>>> [f"{v:.12f}" for v in airy_ai(tensor([0.0, 1.0, -1.0], dtype="float64")).tolist()]
['0.355028053888', '0.135292416313', '0.535560883292']
"""

from __future__ import annotations

import math

from tinygrad_bn.ops.bessel import outside_graph
from tinygrad_bn.ops.bessel_k import scaled_values_beyond_series

AI_0 = 0.355028053887817239  # Ai(0) = 1/(3^(2/3)·Γ(2/3))
AI_PRIME_0 = -0.258819403792806798  # Ai′(0) = −1/(3^(1/3)·Γ(1/3))
MACLAURIN_FROM, MACLAURIN_UP_TO = -4.0, 2.0
MACLAURIN_TERMS = 40  # at |x| = 4 the terms fall below 1e-30 of the largest by k = 40
OSCILLATING_FROM = 25.0  # ζ from which the asymptotic form is used, x ≈ −10.9
MILLER_START = 90
MILLER_SEED = 1e-100
ASYMPTOTIC_TERMS = 60


def _maclaurin(xp, x):
    """Ai(0)·f(x) + Ai′(0)·g(x), the two series summed term by term."""
    cube = x * x * x
    f_term, g_term = xp.ones_like(x), x.copy()
    f, g = f_term, g_term
    for k in range(MACLAURIN_TERMS):
        f_term = f_term * cube / ((3 * k + 2) * (3 * k + 3))
        g_term = g_term * cube / ((3 * k + 3) * (3 * k + 4))
        f, g = f + f_term, g + g_term
    return AI_0 * f + AI_PRIME_0 * g


def _decaying(xp, x):
    """Ai(x) for x > MACLAURIN_UP_TO: (1/π)·√(x/3)·e^(−ζ)·(e^ζ·K₁/₃(ζ))."""
    zeta = 2.0 / 3.0 * x * xp.sqrt(x)
    return xp.sqrt(x / 3.0) / math.pi * xp.exp(-zeta) * scaled_values_beyond_series(xp, zeta, 1.0 / 3.0)


def _fractional_j(xp, z, nu: float):
    """J_ν(z) for ν = ±1/3 and 5 ≤ z ≤ 25 by Miller's backward recurrence."""
    f_next, f = xp.zeros_like(z), xp.zeros_like(z) + MILLER_SEED  # f at ν + m + 1 and ν + m
    # the weight (ν + 2k)Γ(ν + k)/k! of J_(ν+2k) in (z/2)^ν, for the even m = 2k
    weights = [math.gamma(1.0 + nu)]
    for k in range(1, MILLER_START // 2 + 1):
        weights.append(weights[-1] * (nu + k - 1) / k * (nu + 2 * k) / (nu + 2 * k - 2))
    norm = xp.zeros_like(z)
    for m in range(MILLER_START, 0, -1):
        if m % 2 == 0:
            norm = norm + weights[m // 2] * f
        f_next, f = f, (2.0 * (nu + m) / z) * f - f_next
    norm = norm + weights[0] * f
    return f * (z / 2.0) ** nu / norm


def _oscillating_middle(xp, x):
    """Ai(x) for −10.9 ≤ x < MACLAURIN_FROM: (√|x|/3)·(J₁/₃(ζ) + J₋₁/₃(ζ))."""
    r = -x
    zeta = 2.0 / 3.0 * r * xp.sqrt(r)
    return xp.sqrt(r) / 3.0 * (_fractional_j(xp, zeta, 1.0 / 3.0) + _fractional_j(xp, zeta, -1.0 / 3.0))


def _oscillating_far(xp, x):
    """Ai(x) for ζ ≥ OSCILLATING_FROM by the asymptotic form of DLMF 9.7.9."""
    r = -x
    zeta = 2.0 / 3.0 * r * xp.sqrt(r)
    p, q = xp.ones_like(x), xp.zeros_like(x)
    term = xp.ones_like(x)  # uₖ/ζᵏ
    for k in range(1, ASYMPTOTIC_TERMS):
        # uₖ = uₖ₋₁·(6k − 5)(6k − 3)(6k − 1)/(216·k·(2k − 1))
        term = term * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / (216.0 * k * (2 * k - 1) * zeta)
        signed = term if (k // 2) % 2 == 0 else -term  # (−1)^⌊k/2⌋
        if k % 2:
            q = q + signed
        else:
            p = p + signed
    # cos(ζ − π/4) = (cos ζ + sin ζ)/√2, sin(ζ − π/4) = (sin ζ − cos ζ)/√2
    cos_zeta, sin_zeta = xp.cos(zeta), xp.sin(zeta)
    wave = (p * (cos_zeta + sin_zeta) + q * (sin_zeta - cos_zeta)) / math.sqrt(2.0)
    return wave / (math.sqrt(math.pi) * r ** 0.25)


def airy_values(xp, x):
    """Ai(x) of a float64 array (NaN at ±∞, as PyTorch's)."""
    finite = xp.isfinite(x)
    far_left_from = -((1.5 * OSCILLATING_FROM) ** (2.0 / 3.0))  # ζ = 25
    near = (x >= MACLAURIN_FROM) & (x <= MACLAURIN_UP_TO)
    right = finite & (x > MACLAURIN_UP_TO)
    middle = (x < MACLAURIN_FROM) & (x >= far_left_from)
    far_left = finite & (x < far_left_from)
    value = _maclaurin(xp, xp.where(near, x, 0.0))
    value = xp.where(right, _decaying(xp, xp.where(right, x, 3.0)), value)
    value = xp.where(middle, _oscillating_middle(xp, xp.where(middle, x, -5.0)), value)
    value = xp.where(far_left, _oscillating_far(xp, xp.where(far_left, x, -20.0)), value)
    return xp.where(finite, value, math.nan)


def airy_ai(input):  # noqa: A002 - PyTorch's argument name
    """Ai(x), the Airy function of the first kind, outside the graph."""
    return outside_graph(input, airy_values)
