"""The Bessel functions of the first kind of orders 0 and 1, J₀ and J₁, and the spherical
j₀(x) = sin(x)/x: PyTorch's ``bessel_j0``, ``bessel_j1`` and ``spherical_bessel_j0``, which
it keeps outside the graph (no gradient), as these do.

Up to |x| = 2 from the power series Jₙ(x) = (x/2)ⁿ Σₖ (−x²/4)ᵏ / (k!(k + n)!), whose terms
there are below 1 (so J₁(x) ≈ x/2 keeps its relative precision as x → 0); up to 25 from
Bessel's integral, over a whole period of its integrand,

    Jₙ(x) = 1/(2π) ∫₀²ᵖⁱ cos(nθ − x·sin θ) dθ,

where the trapezoidal rule with M points errs only by the aliased Jₙ₊ₖₘ(x) (below 1e-40
for M = 2·48 and |x| ≤ 25); the integrand is even about θ = π, so half of the points serve.
Beyond, from Hankel's asymptotic series, with χ = x − (n/2 + 1/4)π,

    Jₙ(x) = √(2/(πx)) · (P cos χ − Q sin χ),
    P = Σₖ (−1)ᵏ a₂ₖ(n)/x²ᵏ,  Q = Σₖ (−1)ᵏ a₂ₖ₊₁(n)/x²ᵏ⁺¹,  aₖ(n) = Πⱼ₌₁ᵏ (4n² − (2j − 1)²) / (k!·8ᵏ),

whose smallest term at 25 is below e^(−50); cos χ is taken from cos x and sin x, which NumPy
reduces exactly, not from the rounded x − (n/2 + 1/4)π. Near the zeros of Jₙ these carry an
absolute error of a few 1e-16, not a relative one.

>>> from tinygrad_bn import tensor
>>> [f"{v:.12f}" for v in bessel_j0(tensor([0.0, 2.0], dtype="float64")).tolist()]
['1.000000000000', '0.223890779141']
>>> [f"{v:.12f}" for v in spherical_bessel_j0(tensor([0.0, 2.0], dtype="float64")).tolist()]
['1.000000000000', '0.454648713413']
"""

from __future__ import annotations

import math

from tinygrad_bn.ops.bessel import outside_graph

SERIES_UP_TO = 2.0
SERIES_TERMS = 20  # at |x| = 2 the 20th term is below 1e-36
INTEGRAL_UP_TO = 25.0
HALF_PERIOD_STEPS = 48
HANKEL_TERMS = 60


def _power_series(xp, x, n: int):
    """(x/2)ⁿ Σₖ (−x²/4)ᵏ / (k!(k + n)!), from the last term backward."""
    w = -x * x / 4.0
    total = xp.ones_like(x)
    for k in range(SERIES_TERMS, 0, -1):
        total = 1.0 + total * w / (k * (k + n))
    return total * (x / 2.0) ** n


def _bessel_integral(xp, x, n: int):
    """Jₙ(x) by the trapezoidal rule on Bessel's integral, θₘ = πm/M, m = 0..M, ends halved."""
    total = xp.zeros_like(x)
    for m in range(HALF_PERIOD_STEPS + 1):
        theta = math.pi * m / HALF_PERIOD_STEPS
        weight = 0.5 if m in (0, HALF_PERIOD_STEPS) else 1.0
        total = total + weight * xp.cos(n * theta - x * math.sin(theta))
    return total / HALF_PERIOD_STEPS


def hankel_values(xp, z, n: int, second_kind: bool = False):
    """Jₙ(z), or Yₙ(z) = √(2/(πz))·(P sin χ + Q cos χ) when ``second_kind``, for
    z ≥ INTEGRAL_UP_TO by Hankel's asymptotic series."""
    mu = 4.0 * n * n
    p, q = xp.ones_like(z), xp.zeros_like(z)
    term = xp.ones_like(z)  # aₖ(n)/zᵏ
    for k in range(1, HANKEL_TERMS):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * z)
        signed = term if (k // 2) % 2 == 0 else -term  # (−1)^⌊k/2⌋
        if k % 2:
            q = q + signed
        else:
            p = p + signed
    # χ = z − φ with φ = (n/2 + 1/4)π: cos χ = cos z cos φ + sin z sin φ, sin χ = sin z cos φ − cos z sin φ
    phi = (n / 2 + 0.25) * math.pi
    cos_z, sin_z = xp.cos(z), xp.sin(z)
    cos_chi = cos_z * math.cos(phi) + sin_z * math.sin(phi)
    sin_chi = sin_z * math.cos(phi) - cos_z * math.sin(phi)
    wave = p * sin_chi + q * cos_chi if second_kind else p * cos_chi - q * sin_chi
    return xp.sqrt(2.0 / (math.pi * z)) * wave


def first_kind_values(xp, x, n: int):
    """Jₙ(x), n = 0 or 1, of a float64 array (J₀ even, J₁ odd; NaN at ±∞, as PyTorch's)."""
    z = xp.abs(x)
    far = z > INTEGRAL_UP_TO
    near = _bessel_integral(xp, xp.where(far, 0.0, x), n)
    far_value = hankel_values(xp, xp.where(far & xp.isfinite(z), z, 2 * INTEGRAL_UP_TO), n)
    far_value = far_value if n == 0 else xp.where(x < 0, -far_value, far_value)
    small = z <= SERIES_UP_TO
    value = xp.where(far, far_value, xp.where(small, _power_series(xp, xp.where(small, x, 0.0), n), near))
    return xp.where(xp.isfinite(x), value, math.nan)


def spherical_first_kind_values(xp, x):
    """j₀(x) = sin(x)/x of a float64 array: 1 at 0, 0 at ±∞ (as PyTorch's)."""
    regular = (x != 0) & xp.isfinite(x)
    safe = xp.where(regular, x, 1.0)
    value = xp.sin(safe) / safe
    return xp.where(regular, value, xp.where(x == 0, 1.0, xp.where(xp.isnan(x), x, 0.0)))


def bessel_j0(input):  # noqa: A002 - PyTorch's argument name
    """J₀(x), the Bessel function of the first kind of order 0, outside the graph."""
    return outside_graph(input, lambda xp, a: first_kind_values(xp, a, 0))


def bessel_j1(input):  # noqa: A002 - PyTorch's argument name
    """J₁(x), the Bessel function of the first kind of order 1, outside the graph."""
    return outside_graph(input, lambda xp, a: first_kind_values(xp, a, 1))


def spherical_bessel_j0(input):  # noqa: A002 - PyTorch's argument name
    """j₀(x) = sin(x)/x, the spherical Bessel function of the first kind of order 0, outside the graph."""
    return outside_graph(input, spherical_first_kind_values)
