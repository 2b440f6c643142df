"""The decompositions: Cholesky, the symmetric eigendecomposition, QR and the SVD.
Each is an op whose backward is written with Tensor ops (the formulas are in the
package docstring, and above each step). The factors are unique up to the signs of
eigenvectors and singular vectors, so gradients are meaningful for losses that do
not depend on those signs."""

from __future__ import annotations

from typing import NamedTuple

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.errors import ArgumentError
from tinygrad_bn.linalg.inverse import solve
from tinygrad_bn.linalg.matrices import Factorization, check_matrices, lapack, ratio, transposed
from tinygrad_bn.ops import cat
from tinygrad_bn.ops.promotion import constant


class Cholesky(Function):
    def forward(self, A):
        L = lapack("cholesky", "symmetric positive-definite matrices", A.xp.linalg.cholesky, A._data)
        self.save_output(L)
        return L

    def backward(self, grad):
        L = self.saved_output()
        # Ā = L⁻ᵀ sym(Φ(Lᵀ L̄)) L⁻¹,  Φ: the lower triangle with its diagonal halved, sym(X) = ½(X + Xᵀ)
        P = _lower_half_diagonal(transposed(L) @ grad)
        X = solve(transposed(L), (P + transposed(P)) / 2)  # L⁻ᵀ sym(P), a triangular system
        return transposed(solve(transposed(L), transposed(X)))  # X L⁻¹ = (L⁻ᵀ Xᵀ)ᵀ


class SymmetricEigen(Factorization):
    @staticmethod
    def shapes_for(m, n, UPLO):
        return (n,), (n, n)

    def factor(self, A, UPLO):
        return lapack("eigh", "matrices of finite values", A.xp.linalg.eigh, A._data, UPLO=UPLO)

    def gradient(self, A, factors, grads):
        (w, V), (dw, dV) = factors, grads
        # Ā = V (diag(λ̄) + K ⊘ E) Vᵀ,  K = ½(VᵀV̄ − V̄ᵀV),  E_ij = λj − λi
        VtdV = transposed(V) @ dV
        K = (VtdV - transposed(VtdV)) / 2
        E = w.unsqueeze(-2) - w.unsqueeze(-1)
        return V @ (dw.diag_embed() + ratio(K, E)) @ transposed(V)


class QRFactors(Factorization):
    @staticmethod
    def shapes_for(m, n, mode):
        k = min(m, n)
        if mode == "r":
            return ((k, n),)
        columns = m if mode == "complete" else k
        return (m, columns), (columns, n)

    def factor(self, A, mode):
        self.mode = mode
        factors = A.xp.linalg.qr(A._data, mode=mode)
        return (factors,) if mode == "r" else factors

    def gradient(self, A, factors, grads):
        m, n = A.shape[-2:]
        if self.mode == "r":
            raise RuntimeError("linalg.qr with mode='r' has no Q, which its gradient needs; "
                               "use mode='reduced' to differentiate through linalg.qr")
        if self.mode == "complete" and m > n:
            raise RuntimeError(f"linalg.qr with mode='complete' is not differentiable for matrices with more rows "
                               f"than columns (its last {m - n} columns of Q are any basis), got {m} × {n}; "
                               "use mode='reduced'")
        (Q, R), (dQ, dR) = factors, grads
        if m >= n:
            return _square_r_gradient(Q, R, dQ, dR)
        # A = [X | Y] with X = Q U (a square QR) and Y = Q W, where R = [U | W]
        U, W, dU, dW = R[..., :m], R[..., m:], dR[..., :m], dR[..., m:]
        dX = _square_r_gradient(Q, U, dQ + Q @ W @ transposed(dW), dU)  # Q̄ + Y W̄ᵀ: Q reaches W = Qᵀ Y too
        return cat([dX, Q @ dW], dim=-1)  # Ȳ = Q W̄


class SingularValueDecomposition(Factorization):
    @staticmethod
    def shapes_for(m, n, full_matrices):
        k = min(m, n)
        return ((m, m), (k,), (n, n)) if full_matrices else ((m, k), (k,), (k, n))

    def factor(self, A, full_matrices):
        return lapack("svd", "matrices of finite values", A.xp.linalg.svd, A._data, full_matrices=full_matrices)

    def gradient(self, A, factors, grads):
        (U, S, Vh), (dU, dS, dVh) = _reduced(*factors), _reduced(*grads)  # the extra vectors: any basis
        m, n, k = *A.shape[-2:], S.shape[-1]
        # J = (skew(UᵀŪ) S + S skew(VᵀV̄)) ⊘ E + diag(S̄),  E_ij = s_j² − s_i²,  skew(X) = X − Xᵀ
        squares = S * S
        E = squares.unsqueeze(-2) - squares.unsqueeze(-1)
        coupled = _skew(transposed(U) @ dU) * S.unsqueeze(-2) + S.unsqueeze(-1) * _skew(Vh @ transposed(dVh))
        dA = U @ (ratio(coupled, E) + dS.diag_embed()) @ Vh  # Ā = U J Vᵀ
        if m > k:  # + (I − UUᵀ) Ū S⁻¹ Vᵀ
            dA = dA + ratio(dU - U @ (transposed(U) @ dU), S.unsqueeze(-2)) @ Vh
        if n > k:  # + U S⁻¹ V̄ᵀ (I − VVᵀ)
            dA = dA + U @ ratio(dVh - dVh @ transposed(Vh) @ Vh, S.unsqueeze(-1))
        return dA


def _lower_half_diagonal(X):
    """Φ(X): the lower triangle of X with its diagonal halved."""
    return X.tril() - X.diagonal(0, -2, -1).diag_embed() / 2


def _square_r_gradient(Q, R, dQ, dR):
    """Ā for A = QR with R square (m ≥ n)."""
    # M = R R̄ᵀ − Q̄ᵀ Q,  Ā = (Q̄ + Q copyltu(M)) R⁻ᵀ,  copyltu(M) = tril(M) + tril(M, −1)ᵀ
    M = R @ transposed(dR) - transposed(dQ) @ Q
    B = dQ + Q @ (M.tril() + transposed(M.tril(-1)))
    return transposed(solve(R, transposed(B)))  # B R⁻ᵀ = (R⁻¹ Bᵀ)ᵀ, a triangular system


def _skew(X):
    return X - transposed(X)


def _reduced(U, S, Vh):
    """The first k = min(m, n) singular vectors of a full SVD (all of a reduced one)."""
    k = S.shape[-1]
    return U[..., :k], S, Vh[..., :k, :]


class EighResult(NamedTuple):
    """``torch.return_types.linalg_eigh``: the ``eigenvalues`` in ascending order and the
    ``eigenvectors`` as columns."""

    eigenvalues: Tensor
    eigenvectors: Tensor


class QRResult(NamedTuple):
    """``torch.return_types.linalg_qr``: orthonormal columns ``Q`` and upper triangular ``R``."""

    Q: Tensor
    R: Tensor


class SVDResult(NamedTuple):
    """``torch.return_types.linalg_svd``: ``U``, the singular values ``S`` in descending
    order, and ``Vh`` = Vᵀ, with A = U diag(S) Vh."""

    U: Tensor
    S: Tensor
    Vh: Tensor


def cholesky(A, *, upper=False):
    """L, lower triangular with a positive diagonal, with A = L Lᵀ, for each symmetric
    positive-definite (..., n, n) matrix (only its lower triangle is read); Lᵀ when
    ``upper``. A matrix that is not positive-definite raises :class:`LinAlgError`.

    >>> import tinygrad_bn as torch
    >>> torch.linalg.cholesky(torch.tensor([[4.0, 2.0], [2.0, 5.0]])).tolist()  # [[2, 0], [1, 2]]
    [[2.0, 0.0], [1.0, 2.0]]
    """
    check_matrices(A, "cholesky")
    L = Cholesky.apply(A)
    return transposed(L) if upper else L


def eigh(A, UPLO="L") -> EighResult:
    """The eigenvalues (ascending) and orthonormal eigenvectors of each symmetric
    (..., n, n) matrix, A = V diag(λ) Vᵀ, reading its lower (``UPLO="L"``) or upper
    (``"U"``) triangle. Each eigenvector's sign is arbitrary.

    The gradient through the eigenvectors divides by λj − λi: it is finite only for
    distinct eigenvalues, and unstable when two are close. The gradient through the
    eigenvalues alone is finite always.

    >>> import tinygrad_bn as torch
    >>> torch.linalg.eigh(torch.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues.tolist()  # 2 ∓ 1
    [1.0, 3.0]
    """
    check_matrices(A, "eigh")
    if UPLO not in ("L", "U"):
        raise ArgumentError(f"linalg.eigh expects UPLO 'L' or 'U', got {UPLO!r}")
    return EighResult(*SymmetricEigen.factors(A, UPLO=UPLO))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of each symmetric (..., n, n) matrix, ascending (see :func:`eigh`).

    >>> import tinygrad_bn as torch
    >>> torch.linalg.eigvalsh(torch.tensor([[0.0, 1.0], [1.0, 0.0]])).tolist()
    [-1.0, 1.0]
    """
    return eigh(A, UPLO).eigenvalues


def qr(A, mode="reduced") -> QRResult:
    """A = Q R for each (..., m, n) matrix, k = min(m, n): Q (m, k) with orthonormal
    columns and R (k, n) upper triangular (``mode="reduced"``); Q (m, m) and R (m, n)
    (``"complete"``); or R alone, Q empty (``"r"``, which has no gradient). Complete with
    m > n has no gradient either: Q's last m − n columns are any basis.

    >>> import tinygrad_bn as torch
    >>> Q, R = torch.linalg.qr(torch.tensor([[3.0, 1.0], [4.0, 2.0]]))
    >>> [round(v, 6) for v in R.abs().flatten().tolist()]  # |R₁₁| = ‖(3, 4)‖
    [5.0, 2.2, 0.0, 0.4]
    """
    check_matrices(A, "qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise ArgumentError(f"linalg.qr expects mode 'reduced', 'complete' or 'r', got {mode!r}")
    factors = QRFactors.factors(A, mode=mode)
    if mode == "r":
        return QRResult(constant(A.xp.empty((0,), dtype=A._data.dtype), A), factors[0])
    return QRResult(*factors)


def svd(A, full_matrices=True) -> SVDResult:
    """A = U diag(S) Vh for each (..., m, n) matrix, k = min(m, n): S (k,) descending,
    U (m, m) and Vh (n, n) (``full_matrices``), or U (m, k) and Vh (k, n). Each pair of
    singular vectors has an arbitrary sign; the gradient ignores the vectors past the
    k-th, and is finite only for distinct non-zero singular values when it goes
    through U or Vh. Through S alone it is finite always.

    >>> import tinygrad_bn as torch
    >>> torch.linalg.svd(torch.tensor([[0.0, 2.0], [-3.0, 0.0]])).S.tolist()
    [3.0, 2.0]
    """
    check_matrices(A, "svd", square=False)
    return SVDResult(*SingularValueDecomposition.factors(A, full_matrices=bool(full_matrices)))


def svdvals(A):
    """The singular values of each (..., m, n) matrix, descending (see :func:`svd`).

    >>> import tinygrad_bn as torch
    >>> torch.linalg.svdvals(torch.tensor([[0.0, 3.0, 0.0], [4.0, 0.0, 0.0]])).tolist()
    [4.0, 3.0]
    """
    return svd(A, full_matrices=False).S
