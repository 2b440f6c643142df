"""Special functions from NumPy arithmetic alone: erfinv, lgamma, digamma and polygamma.

Each computes in float64 and returns its input's dtype (integers in the default float
dtype, as in PyTorch). Each derivative is a member of the same family, so derivatives
of every order exist: lgamma′ = digamma = polygamma(0, ·), polygamma(n, ·)′ =
polygamma(n + 1, ·), and erfinv′(y) = √π/2 · exp(erfinv(y)²).

How they are computed, each within a few units in the last place of float64 (an
absolute error below 2e-15 near the zeros of lgamma, digamma and polygamma(2)):

* ψ⁽ⁿ⁾ = polygamma(n, ·): the recurrence ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) + (−1)ⁿ⁺¹ n!/xⁿ⁺¹ carries
  x up to 10 + n, where the asymptotic series of ψ(x) ~ log x − 1/(2x) − Σ B₂ₖ/(2k·x²ᵏ),
  differentiated n times, has converged; x < 0 by the reflection
  ψ⁽ⁿ⁾(x) = (−1)ⁿ ψ⁽ⁿ⁾(1 − x) − πⁿ⁺¹ Pₙ(cot πx), where dⁿ/dxⁿ cot x = Pₙ(cot x).
* lgamma: Taylor's series around 2, log Γ(2 + z) = Σ ψ⁽ᵏ⁻¹⁾(2) zᵏ/k!, for |z| ≤ ½ (so
  its zeros at 1 and 2 keep their relative precision); other x in (0, 10) reach that
  interval by log Γ(x + 1) = log Γ(x) + log x; Stirling's series from 10; the
  reflection Γ(x)Γ(1 − x) = π/sin(πx) for x < 0.
* erfinv: Winitzki's closed form (relative error below 2e-3) polished by Halley's
  steps on erf(t) = y, the residual taken from erfc where |y| ≥ ½ so that 1 − |y|
  keeps its digits.

At poles and outside domains the values are PyTorch's: lgamma is +∞ at 0 and the
negative integers; digamma(±0) = ∓∞ and NaN at the negative integers; polygamma(n ≥ 1)
is (−1)ⁿ⁺¹∞ at them (where PyTorch's trigamma gives a large finite number) and 0 at
+∞ (PyTorch's n ≥ 2: NaN); erfinv(±1) = ±∞ and NaN beyond.

>>> from tinygrad_bn import tensor
>>> [round(v, 12) for v in tensor([0.5, 1.0, 2.5], dtype="float64").lgamma().tolist()]
[0.572364942925, 0.0, 0.284682870473]
>>> round(tensor(1.0, dtype="float64").digamma().item(), 12)  # −γ
-0.577215664902
"""

from __future__ import annotations

import functools
import math

import numpy

from tinygrad_bn.autograd import Function
from tinygrad_bn.ops.unary import erf_and_erfc, floating

# B₂, B₄, ..., B₂₀: the Bernoulli numbers of the asymptotic series
BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798, -174611 / 330)
LGAMMA_TAYLOR_TERMS = 28  # |z| ≤ ½: the k-th term is below 4⁻ᵏ/k, 1e-18 at k = 28
STIRLING_FROM = 10.0
WINITZKI_A = 0.147
HALLEY_STEPS = 3  # each step about cubes the relative error (2e-3 at the start); the far tail needs the third


class Polygamma(Function):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (ψ⁽⁰⁾ = digamma)."""

    def forward(self, x, n):
        self.save_for_backward(x)
        self.n = n
        return _on_float64(x, lambda xp, data: polygamma_values(xp, n, data))

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * Polygamma.apply(x, n=self.n + 1)


class Lgamma(Function):
    """log |Γ(x)|."""

    def forward(self, x):
        self.save_for_backward(x)
        return _on_float64(x, lgamma_values)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * Polygamma.apply(x, n=0)  # log Γ′ = ψ


class Erfinv(Function):
    """erf⁻¹(y), for y in [−1, 1]."""

    def forward(self, y):
        x = _on_float64(y, erfinv_values)
        self.save_output(x)
        return x

    def backward(self, grad):
        x = self.saved_output()
        # d erf⁻¹(y)/dy = 1/erf′(x) = √π/2 · e^(x²)
        return grad * (x * x).exp() * (math.sqrt(math.pi) / 2.0)


def _on_float64(x, values):
    """``values(xp, array)`` of ``x``'s data in float64, returned in ``x``'s dtype."""
    return values(x.xp, x._data.astype("float64")).astype(x.dtype)


# ψ⁽ⁿ⁾ ---------------------------------------------------------------------------------


def polygamma_values(xp, n: int, x):
    """ψ⁽ⁿ⁾(x) of a float64 array (see the module docstring)."""
    nan, inf = math.nan, math.inf
    pole = xp.isfinite(x) & (x <= 0) & (x == xp.round(x))  # 0 and the negative integers
    usable = xp.isfinite(x) & ~pole
    safe = xp.where(usable, x, 2.0)
    reflected = safe < 0
    value = _polygamma_positive(xp, n, xp.where(reflected, 1.0 - safe, safe))
    r = xp.where(reflected, safe - xp.round(safe), 0.5)  # cot πx = cot πr, r = x − round(x) exact, in [−½, ½]
    cot = _cot_of_pi_times(xp, r)
    value = xp.where(reflected, (-1) ** n * value - math.pi ** (n + 1) * horner(xp, _cot_derivative(n), cot), value)
    pole_value = xp.copysign(inf, -x) if n == 0 else (-1) ** (n + 1) * inf
    at_pole = xp.where(x == 0, pole_value, nan if n == 0 else (-1) ** (n + 1) * inf)
    at_infinity = xp.where(x > 0, inf if n == 0 else 0.0, nan)
    return xp.where(usable, value, xp.where(pole, at_pole, xp.where(xp.isnan(x), x, at_infinity)))


def _polygamma_positive(xp, n: int, x):
    """ψ⁽ⁿ⁾(x) for finite x > 0: the recurrence up to 10 + n, then the asymptotic series."""
    start = STIRLING_FROM + n
    shifted_sum = xp.zeros_like(x)
    y = x
    for _ in range(int(start)):  # x > 0 reaches the start in as many steps
        below = y < start
        shifted_sum = shifted_sum + xp.where(below, (1.0 / xp.where(below, y, 1.0)) ** (n + 1), 0.0)
        y = xp.where(below, y + 1.0, y)
    sign = (-1) ** (n + 1)
    inverse = 1.0 / y
    if n == 0:
        series = xp.log(y) - 0.5 * inverse
    else:
        series = sign * (math.factorial(n - 1) * inverse**n + math.factorial(n) / 2 * inverse ** (n + 1))
    power = inverse ** (n + 2)  # y^−(2k+n), k = 1, 2, ...
    for k, b in enumerate(BERNOULLI, start=1):
        # dⁿ/dyⁿ of −B₂ₖ/(2k·y²ᵏ)
        series = series + sign * b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) * power
        power = power * inverse * inverse
    return series + sign * math.factorial(n) * shifted_sum


def _cot_of_pi_times(xp, r):
    """cot(πr) for r ≠ 0 in [−½, ½], from the tangent where it is well-conditioned:
    1/tan(πr) for |r| < ¼, ±tan(π(½ − |r|)) beyond, where ½ − |r| is exact (near
    |r| = ½, πr rounded would cost tan(πr) its digits)."""
    magnitude = xp.abs(r)
    near_zero = magnitude < 0.25
    inverse = 1.0 / xp.tan(math.pi * xp.where(near_zero, r, 0.25))
    return xp.where(near_zero, inverse, xp.copysign(xp.tan(math.pi * (0.5 - magnitude)), r))


@functools.cache
def _cot_derivative(n: int) -> tuple:
    """Pₙ with dⁿ/dxⁿ cot x = Pₙ(cot x), lowest power first: P₀(c) = c, Pₘ₊₁ = −(1 + c²)·Pₘ′."""
    p = [0, 1]
    for _ in range(n):
        derivative = [k * p[k] for k in range(1, len(p))]
        p = [0] * (len(derivative) + 2)
        for k, a in enumerate(derivative):
            p[k] -= a
            p[k + 2] -= a
    return tuple(p)


def horner(xp, coefficients, c):
    """Σ aₖ cᵏ, the coefficients from the lowest power."""
    result = xp.zeros_like(c) + coefficients[-1]
    for a in reversed(coefficients[:-1]):
        result = result * c + a
    return result


# log Γ --------------------------------------------------------------------------------


def lgamma_values(xp, x):
    """log |Γ(x)| of a float64 array (see the module docstring)."""
    pole = xp.isfinite(x) & (x <= 0) & (x == xp.round(x))
    usable = xp.isfinite(x) & ~pole
    safe = xp.where(usable, x, 2.0)
    reflected = safe < 0
    value = _lgamma_positive(xp, xp.where(reflected, 1.0 - safe, safe))
    # log |Γ(x)| = log π − log |sin πx| − log Γ(1 − x), sin πx from r = x − round(x), exact
    r = xp.where(reflected, safe - xp.round(safe), 0.5)
    sine = xp.abs(xp.sin(math.pi * r))
    value = xp.where(reflected, math.log(math.pi) - xp.log(sine) - value, value)
    return xp.where(usable, value, xp.where(xp.isnan(x), x, math.inf))


def _lgamma_positive(xp, x):
    """log Γ(x) for finite x > 0."""
    near = x < STIRLING_FROM
    s = xp.where(near, x, 2.0)
    j = xp.round(s)
    z = s - j  # exact, in [−½, ½]
    taylor = z * horner(xp, lgamma_taylor(), z)
    # log Γ(s) = log Γ(2 + z) + Σᵢ₌₁ʲ⁻² log(s − i), or − log s (j = 1), or − log s − log(s + 1) (j = 0)
    steps = taylor - xp.log(xp.where(j <= 1, s, 1.0)) - xp.log(xp.where(j == 0, s + 1.0, 1.0))
    for i in range(1, int(STIRLING_FROM) - 1):
        steps = steps + xp.log(xp.where(j - 2 >= i, s - i, 1.0))
    far = xp.where(near, STIRLING_FROM, x)
    # log Γ(x) = (x − ½) log x − x + ½ log 2π + Σ B₂ₖ / (2k(2k − 1) x²ᵏ⁻¹)
    stirling = (far - 0.5) * xp.log(far) - far + 0.5 * math.log(2 * math.pi)
    inverse = 1.0 / far
    power = inverse
    for k, b in enumerate(BERNOULLI, start=1):
        stirling = stirling + b / (2 * k * (2 * k - 1)) * power
        power = power * inverse * inverse
    return xp.where(near, steps, stirling)


@functools.cache
def lgamma_taylor() -> tuple:
    """The coefficients of log Γ(2 + z) = z·Σ cₖ zᵏ, lowest first: cₖ = ψ⁽ᵏ⁾(2)/(k + 1)!."""
    two = numpy.array(2.0)
    return tuple(float(polygamma_values(numpy, k, two)) / math.factorial(k + 1) for k in range(LGAMMA_TAYLOR_TERMS))


# erf⁻¹ --------------------------------------------------------------------------------


def erfinv_values(xp, y):
    """erf⁻¹(y) of a float64 array (see the module docstring)."""
    a = xp.abs(y)
    inside = a < 1
    a = xp.where(inside, a, 0.5)
    tail = a >= 0.5
    one_minus_a = 1.0 - a  # exact where it is used, a ≥ ½
    # Winitzki: erf⁻¹(a) ≈ √(√(b² − ℓ/A) − b), ℓ = log(1 − a²), b = 2/(πA) + ℓ/2
    ell = xp.log(one_minus_a * (1.0 + a))
    b = 2.0 / (math.pi * WINITZKI_A) + ell / 2.0
    t = xp.sqrt(xp.sqrt(b * b - ell / WINITZKI_A) - b)
    for _ in range(HALLEY_STEPS):
        erf_t, erfc_t = erf_and_erfc(xp, t)
        residual = xp.where(tail, one_minus_a - erfc_t, erf_t - a)  # erf(t) − a
        # Halley on f(t) = erf(t) − a, f″ = −2t·f′: t ← t − u/(1 + t·u), u = f/f′
        u = residual / (xp.exp(-t * t) * (2.0 / math.sqrt(math.pi)))
        t = t - u / (1.0 + t * u)
    at_ends = xp.where(xp.abs(y) == 1, xp.copysign(math.inf, y), math.nan)
    return xp.where(inside, xp.copysign(t, y), at_ends)


# Functions ----------------------------------------------------------------------------


def polygamma(n: int, x):
    """ψ⁽ⁿ⁾(x), the n-th derivative of :func:`digamma` (PyTorch's ``polygamma(n, input)``)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"polygamma expects an order n that is an int ≥ 0, got {n!r}")
    return Polygamma.apply(floating(x), n=n)


def digamma(x):
    """ψ(x) = Γ′(x)/Γ(x), the derivative of :func:`lgamma`."""
    return Polygamma.apply(floating(x), n=0)


def lgamma(x):
    """log |Γ(x)|."""
    return Lgamma.apply(floating(x))


def erfinv(x):
    """erf⁻¹(x): the y with erf(y) = x, for x in [−1, 1].

    >>> from tinygrad_bn import tensor
    >>> [round(v, 12) for v in tensor([-1.0, -0.5, 0.0, 0.9], dtype="float64").erfinv().tolist()]
    [-inf, -0.476936276204, 0.0, 1.163087153677]
    """
    return Erfinv.apply(floating(x))


def multigammaln(input, p: int):  # noqa: A002 - PyTorch's argument name
    """log Γ_p(a) = p(p − 1)/4 · log π + Σ_{i<p} log Γ(a − i/2), the multivariate log-gamma
    (PyTorch's ``special.multigammaln`` and ``mvlgamma``)."""
    if isinstance(p, bool) or not isinstance(p, int) or p < 1:
        raise RuntimeError(f"multigammaln expects p, an int ≥ 1, got {p!r}")
    a = floating(input)
    total = lgamma(a)
    for i in range(1, p):
        total = total + lgamma(a - i / 2.0)
    return total + p * (p - 1) / 4.0 * math.log(math.pi)
