"""Triangular systems: ``solve_triangular``, and ``cholesky_solve``, which solves
A X = B given a Cholesky factor of A. Both solve by substitution, reading only the
triangle that holds the factor, so a zero on its diagonal gives inf and NaN rather
than an error, as in PyTorch; each is an op whose backward is written with Tensor ops."""

from __future__ import annotations

from tinygrad_bn.autograd import Function
from tinygrad_bn.errors import DtypeError, ShapeError
from tinygrad_bn.linalg.matrices import check_matrices, transposed
from tinygrad_bn.ops.promotion import broadcast_shapes

BLOCK = 32  # a triangle of at most this many rows is solved row by row; a larger one is split in four blocks


class TriangularSolve(Function):
    def forward(self, A, B, upper, unitriangular):
        self.upper, self.unitriangular = upper, unitriangular
        self.save_for_backward(A)
        X = substitute(A.xp, A._data, B._data, upper, unitriangular)
        self.save_output(X)
        return X

    def backward(self, grad):
        (A,) = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        dB = solve_triangular(transposed(A), grad, upper=not self.upper, unitriangular=self.unitriangular)  # A⁻ᵀ G
        dA = None
        if need_a:  # Ā = −B̄ Xᵀ in the triangle A is read from
            dA = triangle(-(dB @ transposed(self.saved_output())), self.upper, self.unitriangular)
        return dA, dB if need_b else None


class CholeskySolve(Function):
    def forward(self, B, L, upper):
        self.upper = upper
        self.save_for_backward(L)
        xp, F = L.xp, transposed(L._data) if upper else L._data  # A = F Fᵀ, F lower triangular
        X = substitute(xp, transposed(F), substitute(xp, F, B._data, False, False), True, False)  # F⁻ᵀ (F⁻¹ B)
        self.save_output(X)
        return X

    def backward(self, grad):
        (L,) = self.saved_tensors
        need_b, need_l = self.needs_input_grad
        X = self.saved_output()
        dB = cholesky_solve(grad, L, upper=self.upper)  # A⁻¹ G
        dL = None
        if need_l:  # Ā = −B̄ Xᵀ, and A = L Lᵀ gives L̄ = (Ā + Āᵀ) L (U (Ā + Āᵀ) for A = Uᵀ U)
            S = dB @ transposed(X) + X @ transposed(dB)
            dL = -(L @ S) if self.upper else -(S @ L)
        return dB if need_b else None, dL


def substitute(xp, A, B, upper: bool, unitriangular: bool):
    """X with A X = B for (..., n, n) arrays A, read from their upper or lower triangle
    (a diagonal of ones when ``unitriangular``), and B (..., n, k) of the same batch."""
    if upper:  # reversing the order of the rows and of the columns turns an upper triangle into a lower one
        return _forward_substitute(xp, A[..., ::-1, ::-1], B[..., ::-1, :], unitriangular)[..., ::-1, :]
    return _forward_substitute(xp, A, B, unitriangular)


def _forward_substitute(xp, L, B, unitriangular):
    n = L.shape[-1]
    if n > BLOCK:  # [L₁₁ 0; L₂₁ L₂₂] [X₁; X₂] = [B₁; B₂]:  X₁ = L₁₁⁻¹ B₁,  X₂ = L₂₂⁻¹ (B₂ − L₂₁ X₁)
        h = n // 2
        X1 = _forward_substitute(xp, L[..., :h, :h], B[..., :h, :], unitriangular)
        X2 = _forward_substitute(xp, L[..., h:, h:], B[..., h:, :] - L[..., h:, :h] @ X1, unitriangular)
        return xp.concatenate([X1, X2], axis=-2)
    X = B.copy()
    for i in range(n):  # xᵢ = (bᵢ − Σ_{j<i} lᵢⱼ xⱼ) / lᵢᵢ
        row = B[..., i, :] - (L[..., i:i + 1, :i] @ X[..., :i, :])[..., 0, :] if i else B[..., i, :]
        X[..., i, :] = row if unitriangular else row / L[..., i, i:i + 1]
    return X


def triangle(M, upper: bool, unitriangular: bool = False):
    """The triangle of M that a triangular factor is read from (without the diagonal
    when the diagonal is taken to be ones)."""
    offset = 1 if unitriangular else 0
    return M.triu(offset) if upper else M.tril(-offset)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (or X A = B when not ``left``) for triangular (..., n, n) A and
    B (..., n, k) (or (..., k, n)), their batch axes broadcast together. A is read from
    its upper triangle when ``upper``, else from its lower one, its diagonal taken to
    be ones when ``unitriangular``; the other entries are never read, and its gradient
    is zero there, as PyTorch's.

    >>> import tinygrad_bn as torch
    >>> A = torch.tensor([[2.0, 0.0], [1.0, 4.0]])
    >>> torch.linalg.solve_triangular(A, torch.tensor([[2.0], [9.0]]), upper=False).tolist()  # x₁ = 1, x₂ = (9 − 1)/4
    [[1.0], [2.0]]
    >>> torch.linalg.solve_triangular(A, torch.tensor([[4.0, 8.0]]), upper=False, left=False).tolist()  # x A = b
    [[1.0, 2.0]]
    """
    check_matrices(A, "solve_triangular")
    n, equation = A.shape[-1], "A X = B" if left else "X A = B"
    if B.ndim < 2 or (B.shape[-2] if left else B.shape[-1]) != n:
        wanted = f"(..., {n}, k)" if left else f"(..., k, {n})"
        raise ShapeError(f"linalg.solve_triangular expects B of shape {wanted} for {equation} with A of shape "
                         f"{A.shape}, got {B.shape}")
    A, B = _broadcast_batches("linalg.solve_triangular", A, B)
    if not left:  # X A = B is Aᵀ Xᵀ = Bᵀ, with the triangle of Aᵀ on the other side
        return transposed(solve_triangular(transposed(A), transposed(B), upper=not upper, unitriangular=unitriangular))
    return TriangularSolve.apply(A, B, upper=bool(upper), unitriangular=bool(unitriangular))


def cholesky_solve(B, L, upper=False):
    """X with A X = B for A = L Lᵀ given its Cholesky factor L (..., n, n), read from its
    lower triangle (A = Uᵀ U with U read from the upper one when ``upper``), and B
    (..., n, k), their batch axes broadcast together: PyTorch's ``torch.cholesky_solve``.

    L's gradient is PyTorch's: that of (L Lᵀ)⁻¹ B for every entry of L, so it is not
    zero in the triangle that is not read (compose with ``tril`` or ``triu`` for the
    gradient of the entries read alone).

    >>> import tinygrad_bn as torch
    >>> from tinygrad_bn.linalg import cholesky_solve
    >>> L = torch.tensor([[2.0, 0.0], [1.0, 1.0]])  # A = L Lᵀ = [[4, 2], [2, 2]]
    >>> cholesky_solve(torch.tensor([[6.0], [4.0]]), L).tolist()
    [[1.0], [1.0]]
    """
    if L.ndim < 2 or L.shape[-1] != L.shape[-2]:
        raise ShapeError(f"cholesky_solve expects square factors L (..., n, n), got shape {L.shape}")
    if L.dtype not in ("float32", "float64"):
        raise DtypeError(f"cholesky_solve expects float32 or float64 factors, got dtype {L.dtype}")
    n = L.shape[-1]
    if B.ndim < 2 or B.shape[-2] != n:
        raise ShapeError(f"cholesky_solve expects B of shape (..., {n}, k) for L of shape {L.shape}, got {B.shape}")
    L, B = _broadcast_batches("cholesky_solve", L, B, names=("L", "B"))
    return CholeskySolve.apply(B, L, upper=bool(upper))


def _broadcast_batches(name: str, A, B, names=("A", "B")):
    """A and B with their batch axes (all but the last two) broadcast together; the
    gradients of broadcast inputs are summed back by the broadcast."""
    if A.dtype != B.dtype:
        raise DtypeError(f"{name} expects {names[0]} and {names[1]} of one dtype, got {A.dtype} and {B.dtype}")
    batch = broadcast_shapes(A.shape[:-2], B.shape[:-2])
    if batch is None:
        raise ShapeError(f"{name} expects batch shapes that broadcast, got {names[0]} of shape {A.shape} and "
                         f"{names[1]} of shape {B.shape}")
    return A.broadcast_to(batch + A.shape[-2:]), B.broadcast_to(batch + B.shape[-2:])
