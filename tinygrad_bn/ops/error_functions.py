"""The complementary error function, its scaled form and the normal distribution's log-CDF:
erfc, erfcx and log_ndtr, each accurate far into the tail where 1 − erf(x) and log Φ(x) lose
their digits.

Both come from the scaled function erfcx(z) = e^(z²)·erfc(z), which stays near
1/(z√π) as z grows: erfc(z) = erfcx(z)·e^(−z²) underflows only where its value does,
and log Φ(x) = log(erfcx(z)/2) − z² with z = −x/√2 is finite for every finite x.

>>> from tinygrad_bn import tensor
>>> [round(v, 12) for v in erfc(tensor([0.0, 1.0, -1.0], dtype="float64")).tolist()]
[1.0, 0.15729920705, 1.84270079295]
>>> round(log_ndtr(tensor(-40.0, dtype="float64")).item(), 6)
-804.608442
>>> [f"{v:.12e}" for v in erfcx(tensor([-1.0, 0.0, 1e10], dtype="float64")).tolist()]
['5.008980080762e+00', '1.000000000000e+00', '5.641895835478e-11']
"""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Function
from tinygrad_bn.ops.unary import erf_and_erfc, exp_minus_square, floating

ERFCX_FRACTION_TERMS = 200  # as erf_and_erfc's continued fraction: below 4e-16 from z = 1 on


def erfcx_values(xp, z):
    """e^(z²)·erfc(z) of a float64 array z ≥ 1, from the continued fraction
    erfc(z) = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...))))."""
    far = xp.minimum(z, 1e150)  # beyond, the fraction is z itself and z² would overflow its terms
    fraction = far
    for k in range(ERFCX_FRACTION_TERMS, 0, -1):
        fraction = far + (k / 2) / fraction
    return 1.0 / (math.sqrt(math.pi) * fraction)


ERFCX_ASYMPTOTIC_FROM = 1e8  # erfcx(z) = 1/(z√π)·(1 − 1/(2z²) + ...), whose correction is below 1e-16 here


def erfcx_everywhere(xp, x):
    """e^(x²)·erfc(x) of a float64 array: the continued fraction from 1 on, 1/(x√π) past
    ERFCX_ASYMPTOTIC_FROM, e^(x²)·erfc(x) on [0, 1), and below 0 the reflection
    erfcx(x) = 2·e^(x²) − erfcx(−x), which overflows where 2·e^(x²) does."""
    z = xp.abs(x)
    fraction = erfcx_values(xp, xp.clip(z, 1.0, ERFCX_ASYMPTOTIC_FROM))
    asymptotic = (1.0 / math.sqrt(math.pi)) / xp.where(z > ERFCX_ASYMPTOTIC_FROM, z, 1.0)  # z·√π may overflow
    near = xp.minimum(z, 1.0)
    # e^(z²)·erfc(z), with e^(z²) = 1/e^(−z²) kept exact to the last digits of z²
    scaled_near = erf_and_erfc(xp, near)[1] / exp_minus_square(xp, near)
    scaled = xp.where(z < 1.0, scaled_near, xp.where(z > ERFCX_ASYMPTOTIC_FROM, asymptotic, fraction))
    reflected = _twice_exp_square(xp, z) - scaled
    return xp.where(x < 0, reflected, xp.where(xp.isnan(x), x, scaled))


def _twice_exp_square(xp, z):
    """2·e^(z²) of a float64 array z ≥ 0, ∞ from 26.628 on (where it overflows), without
    overflowing on the way: 2/e^(−z²) up to 26.6, close to where e^(−z²) turns subnormal
    (26.615), and 2·exp(z²) on the short stretch after (its relative error z²·2⁻⁵³ is below 1e-13)."""
    exact = 2.0 / exp_minus_square(xp, xp.minimum(z, 26.6))
    rounded = 2.0 * xp.exp(xp.minimum(z, 26.628) ** 2)
    return xp.where(z <= 26.6, exact, xp.where(z <= 26.628, rounded, math.inf))


def erfc_values(xp, x):
    """erfc(x) of a float64 array: erfc(−x) = 2 − erfc(x) on the negative side."""
    _, erfc_abs = erf_and_erfc(xp, xp.abs(x))
    return xp.where(x < 0, 2.0 - erfc_abs, erfc_abs)


def log_ndtr_values(xp, x):
    """log Φ(x) of a float64 array, Φ(x) = erfc(−x/√2)/2."""
    z = -x / math.sqrt(2.0)
    tail = z >= 1.0
    z_far = xp.where(tail, z, 1.0)
    # log Φ(x) = log(erfcx(z)/2) − z², where erfc(z) itself would underflow
    log_far = xp.log(erfcx_values(xp, z_far) / 2.0) - z_far * z_far
    near = xp.where(tail, 0.0, x)
    # log Φ(x) = log1p(−Φ(−x)) for x > 0, where Φ(x) is near 1; log(erfc(z)/2) below
    upper = xp.log1p(-erfc_values(xp, near / math.sqrt(2.0)) / 2.0)
    lower = xp.log(erfc_values(xp, -near / math.sqrt(2.0)) / 2.0)
    log_near = xp.where(near > 0, upper, lower)
    return xp.where(tail, log_far, log_near)


def _on_float64(x, values):
    return values(x.xp, x._data.astype("float64")).astype(x.dtype)


class Erfc(Function):
    """erfc(x) = 1 − erf(x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return _on_float64(x, erfc_values)

    def backward(self, grad):
        (x,) = self.saved_tensors
        # d erfc(x) = −2/√π · e^(−x²)
        return grad * (-(x * x)).exp() * (-2.0 / math.sqrt(math.pi))


class Erfcx(Function):
    """erfcx(x) = e^(x²)·erfc(x)."""

    def forward(self, x):
        self.save_for_backward(x)
        y = _on_float64(x, erfcx_everywhere)
        self.save_output(y)
        return y

    def backward(self, grad):
        (x,) = self.saved_tensors
        # d erfcx(x) = 2x·erfcx(x) − 2/√π
        return grad * (2.0 * x * self.saved_output() - 2.0 / math.sqrt(math.pi))


def normal_ratio_values(xp, x):
    """r(x) = φ(x)/Φ(x) of a float64 array: √(2/π)/erfcx(z) with z = −x/√2 where z ≥ 1,
    whose e^(−z²) factors cancel before they could underflow."""
    z = -x / math.sqrt(2.0)
    tail = z >= 1.0
    ratio_far = math.sqrt(2.0 / math.pi) / erfcx_values(xp, xp.where(tail, z, 1.0))
    near = xp.where(tail, 0.0, x)
    ratio_near = xp.exp(-near * near / 2.0) / (math.sqrt(2.0 * math.pi) * erfc_values(xp, -near / math.sqrt(2.0)) / 2.0)
    return xp.where(tail, ratio_far, ratio_near)


class NormalRatio(Function):
    """r(x) = φ(x)/Φ(x), the derivative of log Φ(x)."""

    def forward(self, x):
        self.save_for_backward(x)
        r = _on_float64(x, normal_ratio_values)
        self.save_output(r)
        return r

    def backward(self, grad):
        (x,) = self.saved_tensors
        r = self.saved_output()
        # r′(x) = (φ′Φ − φ²)/Φ² = −r(x)·(x + r(x)), as φ′(x) = −x·φ(x)
        return grad * -(r * (x + r))


class LogNdtr(Function):
    """log Φ(x), Φ the standard normal CDF."""

    def forward(self, x):
        self.save_for_backward(x)
        return _on_float64(x, log_ndtr_values)

    def backward(self, grad):
        (x,) = self.saved_tensors
        # d log Φ(x) = φ(x)/Φ(x)
        return grad * NormalRatio.apply(x)


def erfc(x):
    """1 − erf(x), elementwise, without 1 − erf's cancellation for large x."""
    return Erfc.apply(floating(x))


def erfcx(x):
    """e^(x²)·erfc(x), the scaled complementary error function: about 1/(x√π) for large x,
    where erfc(x) itself underflows, and 2·e^(x²) (overflowing from x ≈ −26.6) for negative x."""
    return Erfcx.apply(floating(x))


def log_ndtr(x):
    """log Φ(x), the log of the standard normal CDF, finite for every finite x."""
    return LogNdtr.apply(floating(x))


def ndtri_values(xp, p):
    """Φ⁻¹(p) of a float64 array: Abramowitz and Stegun's 26.2.23 for q = min(p, 1 − p)
    (an absolute error below 4.5e-4), polished by Newton's steps on log Φ(x) = log q,
    which keep their digits in the far tail; Φ⁻¹(p) = −Φ⁻¹(1 − p) above ½."""
    q = xp.minimum(p, 1.0 - p)
    inside = (q > 0) & (q <= 0.5)
    q_safe = xp.where(inside, q, 0.25)
    t = xp.sqrt(-2.0 * xp.log(q_safe))
    x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))))
    for _ in range(NDTRI_NEWTON_STEPS):
        log_cdf = log_ndtr_values(xp, x)
        log_pdf = -x * x / 2.0 - 0.5 * math.log(2.0 * math.pi)
        # x ← x − (log Φ(x) − log q) / (φ(x)/Φ(x))
        x = x - (log_cdf - xp.log(q_safe)) * xp.exp(log_cdf - log_pdf)
    x = xp.where(p > 0.5, -x, x)
    edge = xp.where(p == 0.0, -math.inf, xp.where(p == 1.0, math.inf, math.nan))
    return xp.where(inside, x, edge)


NDTRI_NEWTON_STEPS = 4  # each about squares the error: 4.5e-4, 2e-7, 4e-14, below rounding


class Ndtri(Function):
    """Φ⁻¹(p), the standard normal quantile."""

    def forward(self, p):
        x = _on_float64(p, ndtri_values)
        self.save_output(x)
        return x

    def backward(self, grad):
        x = self.saved_output()
        # d Φ⁻¹(p)/dp = 1/φ(x) = √(2π)·e^(x²/2)
        return grad * (x * x / 2.0).exp() * math.sqrt(2.0 * math.pi)


def ndtri(p):
    """Φ⁻¹(p), the x with Φ(x) = p, for p in [0, 1] (±∞ at the ends, NaN outside)."""
    return Ndtri.apply(floating(p))
