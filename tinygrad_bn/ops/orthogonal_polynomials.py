"""The classical orthogonal polynomials of PyTorch's ``torch.special``, each pₙ(x) from its
three-term recurrence pₖ₊₁ = step(k, x, pₖ, pₖ₋₁), started at p₀ = 1 and p₁:

    Chebyshev   Tₙ, Uₙ, Vₙ, Wₙ   pₖ₊₁ = 2x·pₖ − pₖ₋₁,   p₁ = x, 2x, 2x − 1, 2x + 1
    shifted     T*ₙ, U*ₙ, V*ₙ, W*ₙ   the same at 2x − 1 (orthogonal on [0, 1])
    Hermite     Hₙ   Hₖ₊₁ = 2x·Hₖ − 2k·Hₖ₋₁,   H₁ = 2x   (physicists')
                Heₙ  Heₖ₊₁ = x·Heₖ − k·Heₖ₋₁,    He₁ = x   (probabilists')
    Laguerre    Lₙ   (k + 1)Lₖ₊₁ = (2k + 1 − x)Lₖ − k·Lₖ₋₁,   L₁ = 1 − x
    Legendre    Pₙ   (k + 1)Pₖ₊₁ = (2k + 1)x·Pₖ − k·Pₖ₋₁,   P₁ = x

As PyTorch's: the degree n (a tensor or a number, broadcast against x) is truncated toward
zero, a negative or non-finite n gives 0, x and n take their promoted dtype (integers the
default float dtype), and the results are outside the graph (PyTorch records no gradient).
The recurrence runs to the largest degree present, one whole-array step per degree.

>>> from tinygrad_bn import tensor
>>> chebyshev_polynomial_t(tensor([0.5, 2.0]), 3).tolist()
[-1.0, 26.0]
>>> legendre_polynomial_p(tensor([0.5]), tensor([0, 1, 2, -1])).tolist()
[1.0, 0.5, -0.125, 0.0]
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.ops.composite import _floating_pair


def _chebyshev_step(k, x, current, previous):
    return 2.0 * x * current - previous


def _hermite_step(k, x, current, previous):
    return 2.0 * x * current - 2.0 * k * previous


def _hermite_e_step(k, x, current, previous):
    return x * current - k * previous


def _laguerre_step(k, x, current, previous):
    return ((2 * k + 1 - x) * current - k * previous) / (k + 1)


def _legendre_step(k, x, current, previous):
    return ((2 * k + 1) * x * current - k * previous) / (k + 1)


def recurrence_values(xp, x, n, first, step):
    """pₙ(x) of float64 arrays x and n (broadcast), p₁ = first(x), pₖ₊₁ = step(k, x, pₖ, pₖ₋₁)."""
    x, n = xp.broadcast_arrays(x, n)
    degree = xp.where(xp.isfinite(n), xp.trunc(n), -1.0)
    top = int(degree.max()) if degree.size else 0
    previous, current = xp.ones_like(x), first(x)
    result = xp.where(degree == 0, 1.0, xp.where(degree == 1, current, 0.0))
    for k in range(1, top):
        previous, current = current, step(k, x, current, previous)
        result = xp.where(degree == k + 1, current, result)
    return result


def _polynomial(name: str, meaning: str, first, step, shifted=False):
    """The public function ``name``(input, n) = pₙ(x) of one family."""

    def polynomial(input, n):  # noqa: A002 - PyTorch's argument name
        x, n = _floating_pair(input, n)
        xp, data = x.xp, x._data.astype("float64")
        values = recurrence_values(xp, 2.0 * data - 1.0 if shifted else data, n._data.astype("float64"), first, step)
        return Tensor._wrap(values.astype(x.dtype), x._backend, None)

    polynomial.__name__ = polynomial.__qualname__ = name
    polynomial.__doc__ = f"{meaning} n, a tensor or a number, is truncated toward zero; outside the graph."
    return polynomial


def _chebyshev_t_first(x):
    return x


def _chebyshev_u_first(x):
    return 2.0 * x


def _chebyshev_v_first(x):
    return 2.0 * x - 1.0


def _chebyshev_w_first(x):
    return 2.0 * x + 1.0


def _laguerre_first(x):
    return 1.0 - x


chebyshev_polynomial_t = _polynomial(
    "chebyshev_polynomial_t", "Tₙ(x), the Chebyshev polynomial of the first kind: Tₙ(cos θ) = cos nθ.",
    _chebyshev_t_first, _chebyshev_step)
chebyshev_polynomial_u = _polynomial(
    "chebyshev_polynomial_u", "Uₙ(x), the Chebyshev polynomial of the second kind: Uₙ(cos θ) = sin((n + 1)θ)/sin θ.",
    _chebyshev_u_first, _chebyshev_step)
chebyshev_polynomial_v = _polynomial(
    "chebyshev_polynomial_v", "Vₙ(x), the Chebyshev polynomial of the third kind: Vₙ(cos θ) = cos((n + ½)θ)/cos(θ/2).",
    _chebyshev_v_first, _chebyshev_step)
chebyshev_polynomial_w = _polynomial(
    "chebyshev_polynomial_w", "Wₙ(x), the Chebyshev polynomial of the fourth kind: Wₙ(cos θ) = sin((n + ½)θ)/sin(θ/2).",
    _chebyshev_w_first, _chebyshev_step)
shifted_chebyshev_polynomial_t = _polynomial(
    "shifted_chebyshev_polynomial_t", "T*ₙ(x) = Tₙ(2x − 1), orthogonal on [0, 1].",
    _chebyshev_t_first, _chebyshev_step, shifted=True)
shifted_chebyshev_polynomial_u = _polynomial(
    "shifted_chebyshev_polynomial_u", "U*ₙ(x) = Uₙ(2x − 1), orthogonal on [0, 1].",
    _chebyshev_u_first, _chebyshev_step, shifted=True)
shifted_chebyshev_polynomial_v = _polynomial(
    "shifted_chebyshev_polynomial_v", "V*ₙ(x) = Vₙ(2x − 1), orthogonal on [0, 1].",
    _chebyshev_v_first, _chebyshev_step, shifted=True)
shifted_chebyshev_polynomial_w = _polynomial(
    "shifted_chebyshev_polynomial_w", "W*ₙ(x) = Wₙ(2x − 1), orthogonal on [0, 1].",
    _chebyshev_w_first, _chebyshev_step, shifted=True)
hermite_polynomial_h = _polynomial(
    "hermite_polynomial_h", "Hₙ(x), the physicists' Hermite polynomial (weight e^(−x²)).",
    _chebyshev_u_first, _hermite_step)
hermite_polynomial_he = _polynomial(
    "hermite_polynomial_he", "Heₙ(x), the probabilists' Hermite polynomial (weight e^(−x²/2)).",
    _chebyshev_t_first, _hermite_e_step)
laguerre_polynomial_l = _polynomial(
    "laguerre_polynomial_l", "Lₙ(x), the Laguerre polynomial (weight e⁻ˣ on [0, ∞)).",
    _laguerre_first, _laguerre_step)
legendre_polynomial_p = _polynomial(
    "legendre_polynomial_p", "Pₙ(x), the Legendre polynomial (weight 1 on [−1, 1]).",
    _chebyshev_t_first, _legendre_step)
