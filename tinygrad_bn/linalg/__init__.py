"""PyTorch's ``torch.linalg``: norms, the inverse, the determinant, solving a linear
system (also a triangular one, one given a Cholesky factor, and least squares), the
decompositions (Cholesky, eigh, QR, SVD, LU) and the matrix exponential, over the last
two axes of (..., m, n) matrices (leading axes are a batch); and the ``_ex`` forms,
which report a matrix they cannot take in an ``info`` tensor instead of raising.

The matrix functions are ops whose backwards are written with Tensor ops, so they
differentiate again. With G the gradient of the output (Ḡ of a factor, written
L̄, λ̄, Q̄ ...):

    X = A⁻¹:            Ā = −Xᵀ G Xᵀ
    d = det A:          Ā = g · d · A⁻ᵀ
    log|det A|:         Ā = g · A⁻ᵀ
    X = A⁻¹ B:          B̄ = A⁻ᵀ G,   Ā = −B̄ Xᵀ
    X = A⁺:             Ā = −Xᵀ G Xᵀ + (I − A X) Gᵀ X Xᵀ + Xᵀ X Gᵀ (I − X A)   (rank constant near A)
    X = T⁻¹ B:          B̄ = T⁻ᵀ G,   T̄ = −tri(B̄ Xᵀ)   T triangular, tri: the triangle T is read from
    X = (L Lᵀ)⁻¹ B:     B̄ = (L Lᵀ)⁻¹ G,   L̄ = −(B̄ Xᵀ + X B̄ᵀ) L
    X = A⁺ B:           B̄ = A⁺ᵀ G,   Ā = −B̄ Xᵀ + (B − A X)(A⁺ B̄)ᵀ + A⁺ᵀ X ((I − A⁺ A) G)ᵀ   (lstsq)
    Y = exp A:          Ā = the upper right block of exp([[Aᵀ, G], [0, Aᵀ]])   (exp's derivative at Aᵀ along G)
    A = L Lᵀ:           Ā = L⁻ᵀ sym(Φ(Lᵀ L̄)) L⁻¹     Φ: the lower triangle, its diagonal halved
    A = V diag(λ) Vᵀ:   Ā = V (diag(λ̄) + K ⊘ E) Vᵀ   K = ½(VᵀV̄ − V̄ᵀV),  E_ij = λj − λi
    A = QR (m ≥ n):     Ā = (Q̄ + Q copyltu(M)) R⁻ᵀ   M = R R̄ᵀ − Q̄ᵀ Q,  copyltu(M) = tril(M) + tril(M, −1)ᵀ
    A = U diag(s) Vᵀ:   Ā = U J Vᵀ + (I − UUᵀ) Ū S⁻¹ Vᵀ + U S⁻¹ V̄ᵀ (I − VVᵀ)
                        J = (skew(UᵀŪ) S + S skew(VᵀV̄)) ⊘ E + diag(s̄),  E_ij = s_j² − s_i²

with sym(X) = ½(X + Xᵀ) and skew(X) = X − Xᵀ; the gradients of symmetric inputs
(cholesky, eigh) are symmetric and those of triangular ones (solve_triangular)
triangular, as PyTorch's; cholesky_solve's L̄ fills both triangles, as PyTorch's
does. A wide QR (m < n) splits A = [X | Y] and R = [U | W]: X̄ is the square case
with Q̄ + Y W̄ᵀ, and Ȳ = Q W̄. In the quotients ⊘ and S⁻¹, 0/0 is 0: a factor
that gets no gradient adds nothing, so gradients through eigenvalues or singular
values alone are finite even where they repeat.
Through eigenvectors or singular vectors they are finite only where the values are
distinct (and non-zero, for the vectors of a non-square SVD), as in PyTorch. The
determinant's gradient needs A⁻¹, so at a singular matrix it is not finite here
(PyTorch's goes through an SVD there).

>>> import tinygrad_bn as torch
>>> A = torch.tensor([[4.0, 0.0], [2.0, 2.0]])
>>> torch.linalg.det(A).item(), torch.linalg.inv(A).tolist()  # 4·2 − 0·2; [[2, 0], [−2, 4]] / 8
(8.0, [[0.25, 0.0], [-0.25, 0.5]])
>>> torch.linalg.vector_norm(torch.tensor([3.0, -4.0])).item(), torch.linalg.matrix_norm(A, ord=1).item()  # |col| 6, 2
(5.0, 6.0)
"""

from tinygrad_bn.linalg.decompositions import (
    EighResult,
    QRResult,
    SVDResult,
    cholesky,
    eigh,
    eigvalsh,
    qr,
    svd,
    svdvals,
)
from tinygrad_bn.linalg.ex import CholeskyExResult, InvExResult, SolveExResult, cholesky_ex, inv_ex, solve_ex
from tinygrad_bn.linalg.exponential import matrix_exp
from tinygrad_bn.linalg.inverse import SlogdetResult, det, inv, logdet, pinv, slogdet, solve, tensorinv, tensorsolve
from tinygrad_bn.linalg.least_squares import LstsqResult, lstsq, vander
from tinygrad_bn.linalg.matrices import LinAlgError
from tinygrad_bn.linalg.norms import cond, matrix_norm, norm, vector_norm
from tinygrad_bn.linalg.pivoted_lu import (
    LUFactorExResult,
    LUFactorResult,
    LUResult,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_solve,
)
from tinygrad_bn.linalg.products import cross, diagonal, matmul, matrix_power, vecdot
from tinygrad_bn.linalg.triangular import cholesky_solve, solve_triangular

__all__ = [
    "EighResult", "LinAlgError", "LstsqResult", "QRResult", "SVDResult", "SlogdetResult", "cholesky",
    "cholesky_solve", "cross", "det", "eigh", "eigvalsh", "inv", "logdet", "lstsq", "matrix_exp", "matrix_norm",
    "matrix_power", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vander",
    "vector_norm",
    "CholeskyExResult", "InvExResult", "LUFactorExResult", "LUFactorResult", "SolveExResult", "cholesky_ex", "inv_ex",
    "lu_factor", "lu_factor_ex", "solve_ex", "LUResult", "lu", "lu_solve",
    "cond", "diagonal", "matmul", "vecdot", "tensorinv", "tensorsolve",
]

from tinygrad_bn.linalg.chain import multi_dot  # noqa: E402
from tinygrad_bn.linalg.householder import householder_product  # noqa: E402
from tinygrad_bn.linalg.rank import matrix_rank  # noqa: E402

__all__ += ["householder_product", "matrix_rank", "multi_dot"]
