"""The Bessel functions of the second kind of orders 0 and 1, Y₀ and Y₁: PyTorch's
``bessel_y0`` and ``bessel_y1``, which it keeps outside the graph (no gradient), as these do.

Up to x = 2 from their series (DLMF 10.8.1), with ψ(k + 1) = −γ + 1 + 1/2 + ... + 1/k,

    Y₀(x) = (2/π) log(x/2)·J₀(x) − (2/π) Σₖ ψ(k + 1) (−x²/4)ᵏ / (k!)²
    Y₁(x) = −2/(πx) + (2/π) log(x/2)·J₁(x) − x/(2π) · Σₖ (ψ(k + 1) + ψ(k + 2)) (−x²/4)ᵏ / (k!(k + 1)!);

up to 25 from Neumann's series in the Jₙ, with L = log(x/2) + γ,

    Y₀(x) = (2/π)·L·J₀(x) − (4/π) Σₖ₌₁ (−1)ᵏ J₂ₖ(x)/k,
    Y₁(x) = −Y₀′(x) = −(2/π)(J₀(x)/x − L·J₁(x)) + (2/π) Σₖ₌₁ (−1)ᵏ (J₂ₖ₋₁(x) − J₂ₖ₊₁(x))/k,

all the Jₙ from Miller's backward recurrence fₘ₋₁ = (2m/x)·fₘ − fₘ₊₁, started at m = 90
(where Jₘ(25) is below 1e-40) and scaled by J₀ + 2ΣJ₂ₖ = 1; beyond 25 from Hankel's series
(see :mod:`tinygrad_bn.ops.bessel_j`). Near the zeros of Yₙ the error is an absolute few
1e-16. At the edges, as PyTorch's: −∞ at 0, NaN below 0 and at ∞.

>>> from tinygrad_bn import tensor
>>> [f"{v:.12f}" for v in bessel_y0(tensor([0.5, 2.0], dtype="float64")).tolist()]
['-0.444518733507', '0.510375672650']
"""

from __future__ import annotations

import math

from tinygrad_bn.ops.bessel import outside_graph
from tinygrad_bn.ops.bessel_j import INTEGRAL_UP_TO, first_kind_values, hankel_values

EULER_GAMMA = 0.5772156649015329
SERIES_UP_TO = 2.0
SERIES_TERMS = 20  # at x = 2 the 20th term is below 1e-36
MILLER_START = 90
MILLER_SEED = 1e-100  # f at the start: the recurrence grows it by at most 90!·(2/2)⁹⁰ ≈ 1e138 down to m = 0


def _series(xp, x, order: int):
    """Y_order(x) for 0 < x ≤ SERIES_UP_TO."""
    w = -x * x / 4.0
    psi = [-EULER_GAMMA]  # ψ(k + 1), k = 0, 1, ...
    for k in range(1, SERIES_TERMS + 2):
        psi.append(psi[-1] + 1.0 / k)
    total = xp.zeros_like(x)
    power = xp.ones_like(x)  # (−x²/4)ᵏ / (k!(k + order)!)
    for k in range(SERIES_TERMS):
        weight = psi[k] if order == 0 else psi[k] + psi[k + 1]
        total = total + weight * power
        power = power * w / ((k + 1) * (k + 1 + order))
    log_term = 2.0 / math.pi * xp.log(x / 2.0) * first_kind_values(xp, x, order)
    if order == 0:
        return log_term - 2.0 / math.pi * total
    return -2.0 / (math.pi * x) + log_term - x / (2.0 * math.pi) * total


def _neumann(xp, x):
    """Y₀(x) and Y₁(x) for SERIES_UP_TO < x ≤ INTEGRAL_UP_TO by Neumann's series."""
    f_next, f = xp.zeros_like(x), xp.zeros_like(x) + MILLER_SEED  # fₘ₊₁, fₘ at m = MILLER_START
    norm, sum_0, sum_1 = xp.zeros_like(x), xp.zeros_like(x), xp.zeros_like(x)
    for m in range(MILLER_START, 0, -1):
        f_previous = (2.0 * m / x) * f - f_next  # fₘ₋₁
        if m % 2 == 0:
            k = m // 2
            sign = 1.0 if k % 2 == 0 else -1.0
            norm = norm + 2.0 * f
            sum_0 = sum_0 + sign / k * f
            sum_1 = sum_1 + sign / k * (f_previous - f_next)  # (J₂ₖ₋₁ − J₂ₖ₊₁), unscaled
        f_next, f = f, f_previous
    norm = norm + f  # f is f₀ now, f_next is f₁
    j0, j1 = f / norm, f_next / norm
    log_term = xp.log(x / 2.0) + EULER_GAMMA
    y0 = 2.0 / math.pi * log_term * j0 - 4.0 / math.pi * sum_0 / norm
    y1 = -2.0 / math.pi * (j0 / x - log_term * j1) + 2.0 / math.pi * sum_1 / norm
    return y0, y1


def second_kind_values(xp, x, order: int):
    """Y_order(x), order 0 or 1, of a float64 array."""
    inside = (x > 0) & xp.isfinite(x)
    small = inside & (x <= SERIES_UP_TO)
    far = inside & (x > INTEGRAL_UP_TO)
    middle = inside & ~small & ~far
    series = _series(xp, xp.where(small, x, 1.0), order)
    neumann = _neumann(xp, xp.where(middle, x, 10.0))[order]
    hankel = hankel_values(xp, xp.where(far, x, 2 * INTEGRAL_UP_TO), order, second_kind=True)
    value = xp.where(small, series, xp.where(middle, neumann, hankel))
    return xp.where(inside, value, xp.where(x == 0, -math.inf, math.nan))


def bessel_y0(input):  # noqa: A002 - PyTorch's argument name
    """Y₀(x), the Bessel function of the second kind of order 0, outside the graph."""
    return outside_graph(input, lambda xp, a: second_kind_values(xp, a, 0))


def bessel_y1(input):  # noqa: A002 - PyTorch's argument name
    """Y₁(x), the Bessel function of the second kind of order 1, outside the graph."""
    return outside_graph(input, lambda xp, a: second_kind_values(xp, a, 1))
