"""The matrix exponential exp(A) = Σₖ Aᵏ / k!, by scaling and squaring: exp(A) = r(A / 2ˢ)^(2ˢ)
with r = q⁻¹ p the [m/m] Padé approximant of exp (Higham, "The scaling and squaring
method for the matrix exponential revisited", 2005). The degree m is the lowest whose
approximant is exact to the dtype's rounding for ‖A‖₁ ≤ θₘ; past the largest θₘ, each
matrix is divided by the least 2ˢ that brings it under it and the result squared s times.

The gradient Ā = L(Aᵀ, G), the derivative of exp at Aᵀ in the direction G, is the
upper right block of exp([[Aᵀ, G], [0, Aᵀ]]): a matrix exponential too, so it
differentiates again."""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Function
from tinygrad_bn.linalg.matrices import check_matrices, transposed
from tinygrad_bn.ops import cat, zeros_like

# (m, θₘ): the [m/m] Padé approximant of exp is exact to the unit roundoff of the dtype where ‖A‖₁ ≤ θₘ
# (Higham 2005: Table 2.3 for float64; for float32, the degrees up to 7 suffice)
THETAS = {
    "float64": ((3, 1.495585217958292e-2), (5, 2.539398330063230e-1), (7, 9.504178996162932e-1),
                (9, 2.097847961257068), (13, 5.371920351148152)),
    "float32": ((3, 4.258730016922831e-1), (5, 1.880152677804762), (7, 3.925724783138660)),
}


class MatrixExponential(Function):
    def forward(self, A):
        self.save_for_backward(A)
        return exponential(A.xp, A._data, THETAS[str(A.dtype)])

    def backward(self, grad):
        (A,) = self.saved_tensors
        n = A.shape[-1]
        # Ā = L(Aᵀ, G) = c · L(Aᵀ, G / c): the upper right block of exp([[Aᵀ, G / c], [0, Aᵀ]]), times c. L is
        # linear in G; c, a power of two, keeps ‖G / c‖ from making the block need more squarings than Aᵀ needs
        c = _power_of_two_above(_largest_norm(grad._data) / max(_largest_norm(A._data), 1.0))
        At = transposed(A)
        block = cat([cat([At, grad / c], dim=-1), cat([zeros_like(At), At], dim=-1)], dim=-2)
        return matrix_exp(block)[..., :n, n:] * c


def exponential(xp, A, thetas):
    """exp(A) of each (..., n, n) array, by scaling and squaring (see the module docstring)."""
    if A.size == 0:
        return A.copy()
    norms = _one_norms(A)
    largest = float(norms.max())
    m, theta = next(((m, theta) for m, theta in thetas if largest <= theta), thetas[-1])
    ratio = xp.where(xp.isfinite(norms), norms / theta, 1.0)  # NaN and inf give NaN through r, unscaled
    s = xp.ceil(xp.log2(xp.maximum(ratio, 1.0)))  # the least s with ‖A / 2ˢ‖₁ ≤ θₘ, per matrix
    R = pade(xp, A / (2.0**s)[..., None, None], m)
    for step in range(int(s.max())):  # r^(2ˢ): squared s times, each matrix its own s
        R = xp.where((s > step)[..., None, None], R @ R, R)
    return R


def pade(xp, A, m: int):
    """r(A) = q(A)⁻¹ p(A), the [m/m] Padé approximant of exp (m odd): p(A) = V + U and
    q(A) = p(−A) = V − U, with V = Σ b₂ₖ A²ᵏ the even terms and U = A Σ b₂ₖ₊₁ A²ᵏ the odd."""
    b = pade_coefficients(m)
    identity = xp.eye(A.shape[-1], dtype=A.dtype)
    square = A @ A
    power, V, W = identity, b[0] * identity, b[1] * identity
    for k in range(1, (m + 1) // 2):
        power = square if k == 1 else power @ square  # A²ᵏ
        V, W = V + b[2 * k] * power, W + b[2 * k + 1] * power
    U = A @ W
    return xp.linalg.solve(V - U, V + U)


def pade_coefficients(m: int) -> list:
    """bⱼ = (2m − j)! m! / ((2m)! j! (m − j)!), j = 0 … m: p(x) = Σ bⱼ xʲ, the numerator of
    the [m/m] Padé approximant of eˣ (its denominator is p(−x))."""
    f = math.factorial
    return [f(2 * m - j) * f(m) / (f(2 * m) * f(j) * f(m - j)) for j in range(m + 1)]


def _one_norms(A):
    """‖A‖₁, the largest column sum of |A|, of each matrix."""
    return abs(A).sum(axis=-2).max(axis=-1)


def _largest_norm(A) -> float:
    """The largest ‖A‖₁ over a batch of matrices (0 for none)."""
    return float(_one_norms(A).max()) if A.size else 0.0


def _power_of_two_above(x: float) -> float:
    """The least 2ᵏ ≥ x for k ≥ 0 (1 for x not finite: there is nothing to scale)."""
    return 2.0 ** math.ceil(math.log2(x)) if math.isfinite(x) and x > 1 else 1.0


def matrix_exp(A):
    """exp(A) = Σₖ Aᵏ / k! of each (..., n, n) matrix, accurate to the dtype's rounding
    (see the module docstring for the method and the gradient).

    >>> import tinygrad_bn as torch
    >>> torch.linalg.matrix_exp(torch.tensor([[0.0, 1.0], [0.0, 0.0]])).tolist()  # I + A: A² = 0
    [[1.0, 1.0], [0.0, 1.0]]
    >>> import math
    >>> t = 0.5  # exp of t times a quarter turn is the rotation by t radians
    >>> R = torch.linalg.matrix_exp(torch.tensor([[0.0, -t], [t, 0.0]], dtype=torch.float64))
    >>> rotation = [[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]]
    >>> (R - torch.tensor(rotation, dtype=torch.float64)).abs().max().item() < 1e-15
    True
    """
    check_matrices(A, "matrix_exp")
    return MatrixExponential.apply(A)
