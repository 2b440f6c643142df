"""The regularized incomplete gamma functions of PyTorch's ``torch.special``:

    gammainc(a, x)  = P(a, x) = γ(a, x)/Γ(a) = 1/Γ(a) ∫₀ˣ tᵃ⁻¹ e⁻ᵗ dt
    gammaincc(a, x) = Q(a, x) = Γ(a, x)/Γ(a) = 1 − P(a, x)

Both share the factor D(a, x) = xᵃ e⁻ˣ / Γ(a). Where x ≤ 1 or x ≤ a, P comes from its series

    P(a, x) = D(a, x)/a · Σₙ xⁿ / ((a + 1)(a + 2)···(a + n)),

whose terms all shrink once n > x − a; elsewhere Q comes from Legendre's continued fraction

    Q(a, x) = D(a, x) / (x + 1 − a − 1·(1 − a)/(x + 3 − a − 2·(2 − a)/(x + 5 − a − ...))),

and the other function is 1 minus the one computed (it is then the larger, so no digits are
lost). Only for a < ½ and x ≤ 1, where Q ≈ a·E₁(x) would be 1 − P ≈ 1 − 1, Q comes from

    Q(a, x) = 1 − xᵃ/Γ(1 + a) + xᵃ/Γ(a) · Σₙ₌₁ (−1)ⁿ⁺¹ xⁿ / (n!(a + n)),

and P = 1 − Q where Q < ½; its head is −expm1(a·log x − log Γ(1 + a)), with
log Γ(1 + a) = log Γ(2 + a) − log(1 + a) from Taylor's series of log Γ about 2 (no
cancellation for small a). For a ≥ 10, D is taken as
√(a/2π)·e^(−a·φ(t))/Γ*(a), with t = x/a − 1, φ(t) = t − log(1 + t) and Γ*(a) Stirling's
ratio Γ(a)/(√(2π/a)·(a/e)ᵃ), so that a·log x − x − log Γ(a) does not cancel.

Both loops run until every element has converged, which takes about 6√a terms where x ≈ a:
a call on a ~ 10⁸ takes some 10⁵ whole-array steps, and beyond a ~ 10⁹ the cap of MAX_TERMS
ends them before they converge (a uniform asymptotic expansion in a would be needed there).

PyTorch has no derivative in a (backward raises, as PyTorch's does); in x,
∂P/∂x = −∂Q/∂x = x^(a−1) e⁻ˣ / Γ(a).

>>> from tinygrad_bn import tensor
>>> a, x = tensor([1.0, 2.0, 0.5], dtype="float64"), tensor([1.0, 1.5, 0.0], dtype="float64")
>>> [round(v, 12) for v in gammainc(a, x).tolist()]
[0.632120558829, 0.442174599629, 0.0]
>>> [round(v, 12) for v in gammaincc(a, x).tolist()]
[0.367879441171, 0.557825400371, 1.0]
"""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.ops.composite import _floating_pair
from tinygrad_bn.ops.special import BERNOULLI, horner, lgamma, lgamma_taylor, lgamma_values

EPSILON = 1e-17  # a series term below this share of the sum ends the series
STEP_EPSILON = 4e-16  # a step of the fraction within two units in the last place of 1 ends it
MAX_TERMS = 200_000
STIRLING_FROM = 10.0
PHI_SERIES_BELOW = 0.25  # |t| < ¼: φ(t) = Σₖ₌₂ (−t)ᵏ/k, whose 40th term is below 1e-25
PHI_SERIES_TERMS = 40
SMALL_A_BELOW = 0.5
SMALL_A_TERMS = 25  # x ≤ 1: xⁿ/n! is below 1e-25 from n = 25 on


def _phi(xp, t):
    """φ(t) = t − log(1 + t) ≥ 0, by its series Σₖ₌₂ (−t)ᵏ/k near 0, where the difference cancels."""
    small = xp.abs(t) < PHI_SERIES_BELOW
    s = xp.where(small, t, 0.0)
    inner = xp.zeros_like(s)
    for k in range(PHI_SERIES_TERMS, 1, -1):
        inner = inner * -s + 1.0 / k
    far = xp.where(small, 1.0, t)
    return xp.where(small, s * s * inner, far - xp.log1p(far))


def _log_stirling_ratio(xp, a):
    """log Γ*(a) = log Γ(a) − (a − ½) log a + a − ½ log 2π = Σₖ B₂ₖ / (2k(2k − 1) a²ᵏ⁻¹), a ≥ 10."""
    inverse = 1.0 / a
    total = xp.zeros_like(a)
    power = inverse
    for k, b in enumerate(BERNOULLI, start=1):
        total = total + b / (2 * k * (2 * k - 1)) * power
        power = power * inverse * inverse
    return total


def _prefactor(xp, a, x):
    """D(a, x) = xᵃ e⁻ˣ / Γ(a) of float64 arrays a, x > 0."""
    direct = xp.exp(a * xp.log(x) - x - lgamma_values(xp, a))
    large = xp.maximum(a, STIRLING_FROM)
    # D = √(a/2π) · e^(−a·φ(x/a − 1)) / Γ*(a)
    exponent = -large * _phi(xp, x / large - 1.0) - _log_stirling_ratio(xp, large)
    stirling = xp.sqrt(large / (2 * math.pi)) * xp.exp(exponent)
    return xp.where(a < STIRLING_FROM, direct, stirling)


def _lower_series(xp, a, x):
    """Σₙ xⁿ / ((a + 1)···(a + n)), summed until its terms fall below EPSILON of the sum."""
    term = xp.ones_like(x)
    total = xp.ones_like(x)
    for n in range(1, MAX_TERMS):
        term = term * x / (a + n)
        total = total + term
        if not bool(xp.any(term > EPSILON * total)):
            break
    return total


def _upper_small_a(xp, a, x):
    """Q(a, x) for 0 < a < SMALL_A_BELOW and 0 < x ≤ 1 (see the module docstring)."""
    log_gamma_1p = a * horner(xp, lgamma_taylor(), a) - xp.log1p(a)
    log_ratio = a * xp.log(x) - log_gamma_1p  # log(xᵃ/Γ(1 + a))
    alternating = xp.zeros_like(x)
    for n in range(SMALL_A_TERMS, 0, -1):
        # Σₙ (−1)ⁿ⁺¹ xⁿ/(n!(a + n)) from the last term: x/1·(1/(a + 1) − x/2·(1/(a + 2) − ...))
        alternating = x / n * (1.0 / (a + n) - alternating)
    # xᵃ/Γ(a) = a·xᵃ/Γ(1 + a)
    return -xp.expm1(log_ratio) + a * xp.exp(log_ratio) * alternating


def _upper_fraction(xp, a, x):
    """x + 1 − a − 1·(1 − a)/(x + 3 − a − ...) by the modified Lentz method, forward
    until every element's step changes it by less than STEP_EPSILON."""
    tiny = 1e-300  # stands in for a zero denominator, as Lentz's method prescribes
    value = x + 1.0 - a
    c = value
    d = xp.zeros_like(x)
    for n in range(1, MAX_TERMS):
        # the n-th partial numerator −n(n − a) and denominator x + 2n + 1 − a
        numerator, denominator = -n * (n - a), x + (2 * n + 1) - a
        d = denominator + numerator * d
        d = 1.0 / xp.where(d == 0, tiny, d)
        c = denominator + numerator / c
        c = xp.where(c == 0, tiny, c)
        step = c * d
        value = value * step
        if not bool(xp.any(xp.abs(step - 1.0) > STEP_EPSILON)):
            break
    return value


def regularized_gamma_values(xp, a, x):
    """P(a, x) and Q(a, x) of float64 arrays, with PyTorch's values at the edges: NaN for
    a < 0, x < 0, a = x = 0 and a = x = ∞; P = 1 where a = 0 or x = ∞, P = 0 where x = 0
    or a = ∞."""
    inside = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    by_series = inside & ((x <= 1.0) | (x <= a))
    by_fraction = inside & ~by_series
    a_series, x_series = xp.where(by_series, a, 1.0), xp.where(by_series, x, 0.0)
    a_fraction, x_fraction = xp.where(by_fraction, a, 1.0), xp.where(by_fraction, x, 2.0)
    lower = _prefactor(xp, a_series, xp.where(by_series, x, 1.0)) / a_series * _lower_series(xp, a_series, x_series)
    upper = _prefactor(xp, a_fraction, x_fraction) / _upper_fraction(xp, a_fraction, x_fraction)
    small_a = by_series & (a < SMALL_A_BELOW) & (x <= 1.0)
    q_small_a = _upper_small_a(xp, xp.where(small_a, a, 0.25), xp.where(small_a, x, 0.5))
    q = xp.where(small_a, q_small_a, xp.where(by_series, 1.0 - lower, upper))
    # P from its series unless Q, the smaller there, was computed first
    p = xp.where(by_series & ~(small_a & (q_small_a < 0.5)), lower, 1.0 - q)
    # the edges: P = 1 where the whole mass lies below x, P = 0 where none does
    all_below = ((a == 0) & (x > 0)) | ((x == math.inf) & (a < math.inf) & (a >= 0))
    none_below = ((x == 0) & (a > 0)) | ((a == math.inf) & (x < math.inf) & (x >= 0))
    p = xp.where(all_below, 1.0, xp.where(none_below, 0.0, xp.where(inside, p, math.nan)))
    q = xp.where(all_below, 0.0, xp.where(none_below, 1.0, xp.where(inside, q, math.nan)))
    return p, q


def _no_derivative_in_a(name: str):
    return RuntimeError(f"the derivative for '{name}: input' is not implemented.")


class RegularizedGamma(Function):
    """P(a, x) (upper=False) or Q(a, x) (upper=True), differentiable in x only."""

    def forward(self, a, x, upper: bool):
        self.save_for_backward(a, x)
        self.upper = upper
        values = regularized_gamma_values(x.xp, a._data.astype("float64"), x._data.astype("float64"))
        return values[1 if upper else 0].astype(x.dtype)

    def backward(self, grad):
        a, x = self.saved_tensors
        need_a, need_x = self.needs_input_grad
        if need_a:
            raise _no_derivative_in_a("igammac" if self.upper else "igamma")
        if not need_x:
            return None, None
        a = a.detach()
        # ∂P/∂x = x^(a−1) e⁻ˣ / Γ(a) = −∂Q/∂x
        density = ((a - 1.0) * x.log() - x - lgamma(a)).exp()
        return None, grad * (-density if self.upper else density)


def _tensors(who: str, a, x):
    """a and x in one floating dtype; PyTorch takes no plain numbers here."""
    for name, value in (("input", a), ("other", x)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{who}(): {name} must be a Tensor, got {type(value).__name__}")
    return _floating_pair(a, x)


def gammainc(input, other):  # noqa: A002 - PyTorch's argument names
    """P(a, x), the regularized lower incomplete gamma function of a = ``input`` and
    x = ``other`` (both tensors, as PyTorch requires)."""
    a, x = _tensors("gammainc", input, other)
    return RegularizedGamma.apply(a, x, upper=False)


def gammaincc(input, other):  # noqa: A002 - PyTorch's argument names
    """Q(a, x) = 1 − P(a, x), the regularized upper incomplete gamma function."""
    a, x = _tensors("gammaincc", input, other)
    return RegularizedGamma.apply(a, x, upper=True)
