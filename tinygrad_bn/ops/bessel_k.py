"""The modified Bessel functions of the second kind of orders 0 and 1, K₀ and K₁, plain and
scaled by eˣ: PyTorch's ``modified_bessel_k0``, ``modified_bessel_k1``,
``scaled_modified_bessel_k0`` and ``scaled_modified_bessel_k1``, which it keeps outside the
graph (no gradient), as these do.

Below x = 0.1 from their series (DLMF 10.31.1), with ψ(k + 1) = −γ + 1 + 1/2 + ... + 1/k,

    K₀(x) = −log(x/2)·I₀(x) + Σₖ ψ(k + 1) (x²/4)ᵏ / (k!)²
    K₁(x) = 1/x + log(x/2)·I₁(x) − x/4 · Σₖ (ψ(k + 1) + ψ(k + 2)) (x²/4)ᵏ / (k!(k + 1)!);

up to 30 from the integral eˣKᵥ(x) = ∫₀^∞ e^(−x(cosh t − 1)) cosh(νt) dt, whose integrand is
even and analytic, so that the trapezoidal rule with step h errs by about e^(−π²/h) and, as
the integrand narrows to a width of 1/√x, by e^(−2π²/(x·h²)): both below 1e-18 for h = ⅛;
beyond 30 from the asymptotic series eˣKᵥ(x) = √(π/(2x)) Σₖ aₖ(ν)/xᵏ with
aₖ(ν) = Πⱼ₌₁ᵏ (4ν² − (2j − 1)²) / (k!·8ᵏ), whose smallest term there is below e^(−60).

At the edges, as PyTorch's: ∞ at 0, NaN below 0, 0 at ∞.

>>> from tinygrad_bn import tensor
>>> [f"{v:.12f}" for v in modified_bessel_k0(tensor([0.5, 2.0], dtype="float64")).tolist()]
['0.924419071228', '0.113893872750']
"""

from __future__ import annotations

import math

from tinygrad_bn.ops.bessel import outside_graph, unscaled_values

EULER_GAMMA = 0.5772156649015329
SERIES_BELOW = 0.1
SERIES_TERMS = 12  # (x²/4)¹² is below 1e-31 at x = 0.1
INTEGRAL_STEP = 0.125
INTEGRAL_END = 8.0  # at x = 0.1, e^(−x(cosh t − 1))·cosh t is below 1e-50 from here on
ASYMPTOTIC_FROM = 30.0
ASYMPTOTIC_TERMS = 40


def _series(xp, x, order: int):
    """K_order(x) for 0 < x < SERIES_BELOW."""
    w = x * x / 4.0
    psi = [-EULER_GAMMA]  # ψ(k + 1), k = 0, 1, ...
    for k in range(1, SERIES_TERMS + 2):
        psi.append(psi[-1] + 1.0 / k)
    total = xp.zeros_like(x)
    power = xp.ones_like(x)  # (x²/4)ᵏ / (k!(k + order)!)
    for k in range(SERIES_TERMS):
        weight = psi[k] if order == 0 else psi[k] + psi[k + 1]
        total = total + weight * power
        power = power * w / ((k + 1) * (k + 1 + order))
    log_half = xp.log(x / 2.0)
    if order == 0:
        return -log_half * unscaled_values(xp, x, 0) + total
    return 1.0 / x + log_half * unscaled_values(xp, x, 1) - x / 4.0 * total


def _integral_scaled(xp, x, order: float):
    """eˣK_order(x) by the trapezoidal rule on ∫₀^∞ e^(−x(cosh t − 1)) cosh(νt) dt."""
    total = 0.5 * xp.ones_like(x)  # the halved t = 0 point
    for m in range(1, int(INTEGRAL_END / INTEGRAL_STEP) + 1):
        t = m * INTEGRAL_STEP
        # cosh t − 1 = 2 sinh²(t/2), without cancellation near 0
        total = total + xp.exp(-x * (2.0 * math.sinh(t / 2) ** 2)) * math.cosh(order * t)
    return INTEGRAL_STEP * total


def _asymptotic_scaled(xp, x, order: float):
    """eˣK_order(x) for x ≥ ASYMPTOTIC_FROM: √(π/(2x)) Σₖ aₖ(ν)/xᵏ."""
    mu = 4.0 * order * order
    term = xp.ones_like(x)
    total = xp.ones_like(x)
    for k in range(1, ASYMPTOTIC_TERMS):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        total = total + term
    return total * xp.sqrt(math.pi / (2.0 * x))


def scaled_values_beyond_series(xp, x, order: float):
    """eˣKᵥ(x) of a float64 array x ≥ SERIES_BELOW, for any real order ν (the integral and the
    asymptotic series hold for every ν)."""
    far = x >= ASYMPTOTIC_FROM
    middle_value = _integral_scaled(xp, xp.where(far, 1.0, x), order)
    return xp.where(far, _asymptotic_scaled(xp, xp.where(far, x, ASYMPTOTIC_FROM), order), middle_value)


def second_kind_values(xp, x, order: int, scaled: bool):
    """K_order(x), or eˣK_order(x) when ``scaled``, of a float64 array."""
    inside = (x > 0) & xp.isfinite(x)
    small = inside & (x < SERIES_BELOW)
    x_small = xp.where(small, x, SERIES_BELOW / 2)
    series = _series(xp, x_small, order)
    series = series * xp.exp(x_small) if scaled else series
    scaled_value = scaled_values_beyond_series(xp, xp.where(inside & ~small, x, 1.0), order)
    large_value = scaled_value if scaled else scaled_value * xp.exp(-xp.where(inside, x, 0.0))
    value = xp.where(small, series, large_value)
    edge = xp.where(x == 0, math.inf, xp.where(x == math.inf, 0.0, math.nan))
    return xp.where(inside, value, edge)


def modified_bessel_k0(input):  # noqa: A002 - PyTorch's argument name
    """K₀(x), the modified Bessel function of the second kind of order 0, outside the graph."""
    return outside_graph(input, lambda xp, a: second_kind_values(xp, a, 0, scaled=False))


def modified_bessel_k1(input):  # noqa: A002 - PyTorch's argument name
    """K₁(x), the modified Bessel function of the second kind of order 1, outside the graph."""
    return outside_graph(input, lambda xp, a: second_kind_values(xp, a, 1, scaled=False))


def scaled_modified_bessel_k0(input):  # noqa: A002 - PyTorch's argument name
    """eˣK₀(x), which neither underflows nor loses digits for large x, outside the graph."""
    return outside_graph(input, lambda xp, a: second_kind_values(xp, a, 0, scaled=True))


def scaled_modified_bessel_k1(input):  # noqa: A002 - PyTorch's argument name
    """eˣK₁(x), outside the graph."""
    return outside_graph(input, lambda xp, a: second_kind_values(xp, a, 1, scaled=True))
