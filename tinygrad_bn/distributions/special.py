"""erf⁻¹, which the library's ops lack, composed of them (for ``Normal.icdf``).

A start from Giles's single-precision approximation (M. Giles, "Approximating the
erfinv function", GPU Computing Gems, 2011), relative error below 4e-7, is refined by
Newton steps on erf(x) = y:

    x ← x − (erf(x) − y) / erf′(x),    erf′(x) = 2/√π · e^(−x²)

each step squaring the relative error. Three steps reach the accuracy of the library's
erf, whose absolute error (up to 6e-14 near x = 3, 1e-16 elsewhere) they divide by
erf′(x): a relative error below 1e-14 for |y| ≤ 0.99, 2e-10 for |y| ≤ 1 − 1e-6 and
2e-9 at 1 − 1e-9. ``Normal.icdf(p)`` evaluates it at 2p − 1, which has lost as many
of p's digits near 0 already. The start is held constant:
the gradient comes from the last step alone, dx/dy = 1/erf′(x), exact once the steps
have converged.
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor

# Giles's polynomials in w = −log((1 − y)(1 + y)), highest power first: p(w − 2.5) for w < 5, q(√w − 3) beyond
CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
           -0.00417768164, 0.246640727, 1.50140941)
TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
        0.00943887047, 1.00167406, 2.83297682)
NEWTON_STEPS = 3


def erfinv(y: Tensor) -> Tensor:
    """The x with erf(x) = y, for y in [−1, 1]: ±∞ at ±1, NaN outside.

    >>> from tinygrad_bn import tensor
    >>> x = erfinv(tensor([-1.0, -0.5, 0.0, 0.9, 1.0], dtype="float64"))
    >>> [round(v, 12) for v in x.tolist()]
    [-inf, -0.476936276204, 0.0, 1.163087153677, inf]
    """
    at_one, at_minus_one = y == 1, y == -1
    inside = ops.where(at_one | at_minus_one, 0.0, y)  # the ends go round the steps: erf′(±∞) = 0
    x = _start(inside.detach())
    for _ in range(NEWTON_STEPS):
        x = x - (x.erf() - inside) / ((-x.square()).exp() * (2 / math.sqrt(math.pi)))
    return x.masked_fill(at_one, math.inf).masked_fill(at_minus_one, -math.inf)


def _start(y: Tensor) -> Tensor:
    """Giles's approximation of erf⁻¹(y), for |y| < 1."""
    w = -((1 - y) * (1 + y)).log()
    return ops.where(w < 5, _polynomial(CENTRAL, w - 2.5), _polynomial(TAIL, w.sqrt() - 3)) * y


def _polynomial(coefficients: tuple, w: Tensor) -> Tensor:
    """Σ cₖ wᵏ by Horner's rule, the coefficients from the highest power down."""
    result = ops.full_like(w, coefficients[0])
    for c in coefficients[1:]:
        result = result * w + c
    return result
