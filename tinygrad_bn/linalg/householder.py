"""Householder reflectors: ``householder_product``, the first n columns of
H₁ H₂ ⋯ H_k with Hᵢ = I − τᵢ vᵢ vᵢᵀ, and ``geqrf``, the QR decomposition kept as
those reflectors, as LAPACK (and PyTorch's ``torch.geqrf``) keep it.

The reflector vᵢ is column i of the (..., m, n) input below its diagonal, with an
implicit 1 on the diagonal and zeros above: vᵢ = (0, …, 0, 1, A[i+1:, i]). The
product is applied to the first n columns of the identity, last reflector first,

    Q ← Q − τᵢ vᵢ (vᵢᵀ Q),   i = k, …, 1,

each step a product of Tensor ops, so the gradient (with respect to A's strictly
lower part and to τ) and its gradient come from the chain rule; A's diagonal and
upper part are not read, and get a zero gradient, as in PyTorch.

``geqrf`` reflects column j of what is left of A onto a multiple of e₁ (LAPACK's
``larfg``): with α its top entry and x the entries below, β = −sign(α)·‖(α, x)‖,
τ = (β − α)/β and v = x / (α − β); a column already zero below its top (x = 0)
gets τ = 0, the identity. R (β on its diagonal) fills the upper triangle and v
the part below."""

from __future__ import annotations

from typing import NamedTuple

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import DtypeError, ShapeError
from tinygrad_bn.linalg.matrices import check_matrices
from tinygrad_bn.ops import eye
from tinygrad_bn.ops.promotion import constant


def _check_reflectors(A, tau):
    """Refuse what PyTorch's ``householder_product`` refuses, in its words."""
    name = "linalg.householder_product"
    if A.ndim < 2:
        raise ShapeError(f"{name} expects input matrices (..., m, n) of at least 2 dimensions, got shape {A.shape}")
    if A.shape[-2] < A.shape[-1]:
        raise ShapeError(f"{name} expects input.shape[-2] >= input.shape[-1] (m >= n), got shape {A.shape}")
    if tau.ndim != A.ndim - 1:
        raise ShapeError(f"{name} expects tau with one dimension less than the input's {A.ndim}, "
                         f"got tau of shape {tau.shape}")
    if tau.shape[:-1] != A.shape[:-2] or tau.shape[-1] > A.shape[-1]:
        raise ShapeError(f"{name} expects tau of shape (*{A.shape[:-2]}, k) with k <= {A.shape[-1]}, "
                         f"got {tau.shape}")
    if tau.dtype != A.dtype:
        raise DtypeError(f"{name} expects tau of the input's dtype {A.dtype}, got {tau.dtype}")
    check_matrices(A, "householder_product", square=False)


def householder_product(A, tau):
    """The first n columns of H₁ ⋯ H_k, Hᵢ = I − τᵢ vᵢ vᵢᵀ, for (..., m, n) ``A`` (m ≥ n)
    holding the reflectors vᵢ below its diagonal (unit diagonal implied) and ``tau``
    (..., k), k ≤ n: PyTorch's ``linalg.householder_product`` (LAPACK's ``orgqr``).
    Differentiable in A's strictly lower part and in tau, twice and more.

    >>> from tinygrad_bn import float64, tensor
    >>> v = tensor([[1.0], [1.0]])  # v = (1, 1), τ = 2/‖v‖² = 1: the mirror along (1, −1) takes e₁ to −e₂
    >>> householder_product(v, tensor([1.0])).tolist()
    [[0.0], [-1.0]]
    >>> A, tau = geqrf(tensor([[3.0, 1.0], [4.0, 2.0]], dtype=float64))
    >>> Q = householder_product(A, tau)  # the Q of the QR decomposition
    >>> [[round(q, 12) for q in row] for row in Q.tolist()]
    [[-0.6, -0.8], [-0.8, 0.6]]
    """
    A = A if isinstance(A, Tensor) else Tensor(A)
    tau = tau if isinstance(tau, Tensor) else Tensor(tau, dtype=A.dtype, device=A.device)
    _check_reflectors(A, tau)
    m, n = A.shape[-2:]
    identity = eye(m, n, dtype=A.dtype, device=A.device)
    V = A.tril(-1) + identity  # column i is vᵢ
    Q = identity.expand(A.shape)
    for i in reversed(range(tau.shape[-1])):
        v = V[..., :, i:i + 1]
        tau_i = tau[..., i].reshape(*tau.shape[:-1], 1, 1)
        # Q ← Hᵢ Q = Q − τᵢ vᵢ (vᵢᵀ Q)
        Q = Q - (tau_i * v) @ (v.mT @ Q)
    return Q


class GeqrfResult(NamedTuple):
    """``torch.return_types.geqrf``: R in the upper triangle of ``a`` and the reflectors
    below it, with their factors ``tau``."""

    a: Tensor
    tau: Tensor


def geqrf(input):  # noqa: A002 - PyTorch's argument name
    """The QR decomposition of each (..., m, n) matrix as LAPACK's ``geqrf`` keeps it
    (see the module docstring): R in the upper triangle, the Householder reflectors
    below the diagonal and their factors τ (..., min(m, n)); Q is
    :func:`householder_product` of the two. As PyTorch's ``geqrf``, it has no gradient.

    >>> from tinygrad_bn import float64, tensor
    >>> a, tau = geqrf(tensor([[3.0, 1.0], [4.0, 2.0]], dtype=float64))
    >>> [[round(x, 12) for x in row] for row in a.tolist()], tau.tolist()  # β = −5, τ = 8/5, v = 4/8
    ([[-5.0, -2.2], [0.5, 0.4]], [1.6, 0.0])
    """
    check_matrices(input, "geqrf", square=False)
    xp = input.xp
    a = input._data.copy()
    m, n = a.shape[-2:]
    tau = xp.zeros((*a.shape[:-2], min(m, n)), dtype=a.dtype)
    for j in range(min(m, n)):
        alpha, below = a[..., j, j], a[..., j + 1:, j]
        x_norm = xp.sqrt((below * below).sum(axis=-1))
        reflects = x_norm != 0
        # β = −sign(α)·‖(α, x)‖ (sign(0) = +), τ = (β − α)/β, v = x / (α − β); τ = 0 where x = 0
        beta = xp.where(reflects, -xp.copysign(xp.hypot(alpha, x_norm), xp.where(alpha == 0, 1.0, alpha)), alpha)
        safe_beta = xp.where(reflects, beta, 1.0)
        tau[..., j] = xp.where(reflects, (beta - alpha) / safe_beta, 0.0)
        v = xp.where(reflects[..., None], below / xp.where(reflects, alpha - beta, 1.0)[..., None], below)
        a[..., j + 1:, j], a[..., j, j] = v, beta
        # the columns to the right: C ← H C = C − τ w (wᵀ C), w = (1, v)
        rest = a[..., j:, j + 1:]
        w = xp.concatenate([xp.ones((*v.shape[:-1], 1), dtype=a.dtype), v], axis=-1)
        rest -= tau[..., j, None, None] * w[..., :, None] * (w[..., None, :] @ rest)
    return GeqrfResult(constant(a, input), constant(tau, input))
