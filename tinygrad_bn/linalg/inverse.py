"""The inverse, the determinant (and its sign and log), and solving a linear system (also
of tensors read as matrices: tensorinv, tensorsolve),
over (..., n, n) matrices. Each is an op whose backward is written with Tensor ops."""

from __future__ import annotations

import math
from typing import NamedTuple

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.linalg.matrices import Factorization, check_matrices, transposed
from tinygrad_bn.ops import where


class Inverse(Function):
    def forward(self, A):
        X = A.xp.linalg.inv(A._data)
        self.save_output(X)
        return X

    def backward(self, grad):
        X = transposed(self.saved_output())
        return -(X @ grad @ X)  # dA = −Xᵀ G Xᵀ


class Determinant(Function):
    def forward(self, A):
        self.save_for_backward(A)
        d = A.xp.asarray(A.xp.linalg.det(A._data))  # an array also for one matrix
        self.save_output(d)
        return d

    def backward(self, grad):
        (A,) = self.saved_tensors
        return _matrix_scale(grad * self.saved_output()) * transposed(inv(A))  # dA = g · det A · A⁻ᵀ


class SignAndLogDeterminant(Factorization):
    @staticmethod
    def shapes_for(m, n):
        return (), ()

    def factor(self, A):
        sign, logabsdet = A.xp.linalg.slogdet(A._data)
        return A.xp.asarray(sign), A.xp.asarray(logabsdet)  # arrays also for one matrix

    def gradient(self, A, factors, grads):
        _, dlogabsdet = grads
        return _matrix_scale(dlogabsdet) * transposed(inv(A))  # dA = g · A⁻ᵀ (the sign has no gradient)


class PseudoInverse(Function):
    def forward(self, A, atol, rtol, hermitian):
        self.save_for_backward(A)
        xp = A.xp
        if hermitian:  # A = V diag(λ) Vᵀ, A⁺ = V diag(1/λ) Vᵀ
            values, V = xp.linalg.eigh(A._data)
            left, magnitudes, right = V, abs(values), V.swapaxes(-1, -2)
        else:  # A = U diag(s) Vᵀ, A⁺ = V diag(1/s) Uᵀ
            left, values, right = xp.linalg.svd(A._data, full_matrices=False)
            magnitudes = values
        kept = magnitudes > xp.maximum(rtol * magnitudes.max(axis=-1, keepdims=True), atol)
        inverse = xp.where(kept, 1 / xp.where(kept, values, 1), 0)
        X = (right.swapaxes(-1, -2) * inverse[..., None, :]) @ left.swapaxes(-1, -2)
        self.save_output(X)
        return X

    def backward(self, grad):
        (A,) = self.saved_tensors
        X, Gt = self.saved_output(), transposed(grad)
        # Ā = −Xᵀ G Xᵀ + (I − A X) Gᵀ X Xᵀ + Xᵀ X Gᵀ (I − X A),  X = A⁺ (of constant rank near A)
        inner = -(transposed(X) @ grad @ transposed(X))
        return inner + (Gt - A @ (X @ Gt)) @ (X @ transposed(X)) + (transposed(X) @ X) @ (Gt - Gt @ X @ A)


class Solve(Function):
    def forward(self, A, B):
        self.save_for_backward(A)
        X = A.xp.linalg.solve(A._data, B._data)
        self.save_output(X)
        return X

    def backward(self, grad):
        (A,) = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        dB = solve(transposed(A), grad)  # A⁻ᵀ G
        dA = -(dB @ transposed(self.saved_output())) if need_a else None
        return dA, dB if need_b else None


class SlogdetResult(NamedTuple):
    """``torch.return_types.linalg_slogdet``: the ``sign`` of each determinant (−1, 0
    or 1; no gradient) and the log of its absolute value ``logabsdet``."""

    sign: Tensor
    logabsdet: Tensor


def inv(A):
    """A⁻¹ of each (..., n, n) matrix."""
    check_matrices(A, "inv")
    return Inverse.apply(A)


def det(A):
    """The determinant of each (..., n, n) matrix."""
    check_matrices(A, "det")
    return Determinant.apply(A)


def slogdet(A) -> SlogdetResult:
    """The sign and the log of the absolute value of the determinant of each
    (..., n, n) matrix: finite where det itself would overflow or underflow.

    >>> import tinygrad_bn as torch
    >>> sign, logabsdet = torch.linalg.slogdet(torch.tensor([[0.0, 2.0], [3.0, 0.0]]))  # det = −6
    >>> sign.item(), round(logabsdet.exp().item(), 6)
    (-1.0, 6.0)
    """
    check_matrices(A, "slogdet")
    sign, logabsdet = SignAndLogDeterminant.factors(A)
    return SlogdetResult(sign.detach(), logabsdet)


def logdet(A):
    """log det A of each (..., n, n) matrix: NaN where det A < 0, −inf where it is 0,
    as PyTorch's ``logdet``.

    >>> import tinygrad_bn as torch
    >>> torch.linalg.logdet(torch.tensor([[2.0, 0.0], [0.0, 0.5]])).item()
    0.0
    """
    check_matrices(A, "logdet")
    sign, logabsdet = slogdet(A)
    return where(sign < 0, float("nan"), logabsdet)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore–Penrose pseudo-inverse A⁺ = V diag(1/s) Uᵀ of each (..., m, n) matrix,
    singular values at most max(atol, rtol · s₁) taken as zero; rtol is ε · max(m, n)
    when neither tolerance is given, and 0 when only atol is. With ``hermitian``, from
    the eigendecomposition of a symmetric matrix (|λ| in place of s). The gradient
    assumes the rank does not change near A.

    >>> import tinygrad_bn as torch
    >>> torch.linalg.pinv(torch.tensor([[2.0, 0.0], [0.0, 0.0]])).tolist()
    [[0.5, 0.0], [0.0, 0.0]]
    """
    check_matrices(A, "pinv", square=hermitian)
    if rtol is None:
        epsilon = 2.0**-23 if A.dtype == "float32" else 2.0**-52
        rtol = epsilon * max(A.shape[-2:]) if atol is None or atol <= 0 else 0.0
    return PseudoInverse.apply(A, atol=0.0 if atol is None else float(atol), rtol=float(rtol), hermitian=hermitian)


def solve(A, B, *, left=True):
    """X with A X = B, for (..., n, n) A and B of (..., n, k), or of (..., n) (a vector
    per matrix: B is 1-d, or of A's shape without its last axis), as PyTorch's
    ``linalg.solve``; the batch axes broadcast together. With ``left=False``, X with
    X A = B for B of (..., k, n): the transpose of Aᵀ Xᵀ = Bᵀ.

    >>> from tinygrad_bn import tensor
    >>> solve(tensor([[2.0, 0.0], [0.0, 4.0]]), tensor([[1.0, 1.0]]), left=False).tolist()
    [[0.5, 0.25]]
    """
    check_matrices(A, "solve")
    if not left:
        if B.ndim < 2:
            raise ShapeError(f"linalg.solve with left=False expects B of shape (..., k, {A.shape[-1]}), got {B.shape}")
        return transposed(solve(transposed(A), transposed(B)))
    if B.ndim == 1 or B.shape == A.shape[:-1]:
        return solve(A, B.unsqueeze(-1)).squeeze(-1)
    if B.ndim < 2 or B.shape[-2] != A.shape[-1]:
        raise ShapeError(f"solve expects B of shape (..., {A.shape[-1]}, k) or (..., {A.shape[-1]}) for A of shape "
                         f"{A.shape}, got {B.shape}")
    if A.dtype != B.dtype:
        raise ArgumentError(f"solve expects A and B of one dtype, got {A.dtype} and {B.dtype}")
    return Solve.apply(A, B)


def _matrix_scale(g):
    """One number per matrix, shaped to scale the (..., n, n) matrices."""
    return g.unsqueeze(-1).unsqueeze(-1)


def tensorinv(A, ind=2):
    """The inverse of A read as a linear map from its last axes to its first ``ind``:
    ``inv`` of A as a square matrix (the product of the first ``ind`` lengths by that of
    the rest), shaped ``A.shape[ind:] + A.shape[:ind]``, so that
    ``tensordot(tensorinv(A, ind), A, ind)`` is the identity.

    >>> import tinygrad_bn as torch
    >>> torch.linalg.tensorinv(torch.eye(6).reshape(6, 2, 3), ind=1).shape
    (2, 3, 6)
    """
    if isinstance(ind, bool) or not isinstance(ind, int) or ind <= 0:
        raise ArgumentError(f"Expected a strictly positive integer for 'ind', but got {ind!r}")
    rows, columns = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != columns:
        raise ShapeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                         f"prod(self.shape[:ind]), but got {columns} != {rows}")
    return inv(A.reshape(rows, columns)).reshape(*A.shape[ind:], *A.shape[:ind])


def tensorsolve(A, B, dims=None):
    """X with ``tensordot(A, X, X.ndim) == B``: A's first ``B.ndim`` axes meet B, the
    rest are X's (after the axes ``dims`` of A are moved to its end), solved as the
    square system of those two groups of axes flattened.

    >>> import tinygrad_bn as torch
    >>> torch.linalg.tensorsolve(torch.eye(6).reshape(2, 3, 6), torch.ones(2, 3)).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    if dims is not None:
        dims = [d % A.ndim for d in ((dims,) if isinstance(dims, int) else dims)]
        A = A.permute(*(d for d in range(A.ndim) if d not in dims), *dims)
    rows, columns = math.prod(A.shape[:B.ndim]), math.prod(A.shape[B.ndim:])
    if rows != columns or tuple(A.shape[:B.ndim]) != tuple(B.shape):
        raise ShapeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                         f"prod(self.shape[:other.ndim]), but got {columns} != {rows} (A of shape {A.shape}, "
                         f"B of shape {B.shape})")
    return solve(A.reshape(rows, columns), B.reshape(rows)).reshape(*A.shape[B.ndim:])
