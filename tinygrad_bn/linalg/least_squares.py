"""Least squares: ``lstsq``, X minimizing ‖A X − B‖ (of least norm among those), and
``vander``, the Vandermonde matrix of fitting a polynomial by least squares."""

from __future__ import annotations

from typing import NamedTuple

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.linalg.inverse import pinv
from tinygrad_bn.linalg.matrices import check_matrices, transposed
from tinygrad_bn.ops import cat, ones_like
from tinygrad_bn.ops.promotion import broadcast_shapes, constant

DRIVERS = ("gels", "gelsy", "gelsd", "gelss")  # LAPACK's names, which PyTorch's driver takes


class LeastSquares(Function):
    def forward(self, A, B, rcond):
        self.rcond = rcond
        self.save_for_backward(A, B)
        xp = A.xp
        U, s, Vh = xp.linalg.svd(A._data, full_matrices=False)  # A = U diag(s) Vᵀ
        kept = s > rcond * s[..., :1]
        inverse = xp.where(kept, 1 / xp.where(kept, s, 1), 0)
        X = Vh.swapaxes(-1, -2) @ (inverse[..., :, None] * (U.swapaxes(-1, -2) @ B._data))  # V diag(1/s) Uᵀ B
        self.independent_columns = A.shape[-1] <= A.shape[-2] and bool(kept.all())  # A⁺ A = I
        self.save_output(X)
        return X

    def backward(self, grad):
        (A, B), X = self.saved_tensors, self.saved_output()
        P = pinv(A, rtol=self.rcond)  # A⁺, of the rank the solution was found with
        dB = transposed(P) @ grad  # B̄ = A⁺ᵀ G
        # Ā = −B̄ Xᵀ + R (A⁺ B̄)ᵀ + A⁺ᵀ X ((I − A⁺ A) G)ᵀ,  R = B − A X: the residual
        dA = None
        if self.needs_input_grad[0]:
            dA = -(dB @ transposed(X)) + (B - A @ X) @ transposed(P @ dB)
            if not self.independent_columns:  # else A⁺ A = I near A and the last term is zero
                dA = dA + (transposed(P) @ X) @ transposed(grad - P @ (A @ grad))
        return dA, dB if self.needs_input_grad[1] else None


class LstsqResult(NamedTuple):
    """``torch.return_types.linalg_lstsq``: the ``solution``; the squared ``residuals``
    ‖A X − B‖² of each column, the ``rank`` of each A and its ``singular_values``,
    each empty where the driver does not give it (see :func:`lstsq`)."""

    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


def lstsq(A, B, rcond=None, *, driver=None) -> LstsqResult:
    """X minimizing ‖A X − B‖ for (..., m, n) A and B (..., m, k), or (..., m) when
    B.ndim = A.ndim − 1 (a vector per matrix), their batch axes broadcast together; of
    these X the one of least norm, where A has dependent columns. Singular values at
    most ``rcond`` · s₁ count as zero (rcond defaults to ε · max(m, n)).

    X = V diag(1/s) Uᵀ B from the SVD A = U diag(s) Vᵀ: the solution of LAPACK's gelsd
    and gelss, and of PyTorch's CPU default gelsy where A has full rank. The rank is
    the number of singular values kept, for every driver but ``gels``, which has none;
    gels assumes A of full rank, and where it is not, PyTorch's gels solution is not
    the least-norm one that this one is. The other outputs are those of PyTorch's CPU
    drivers: ``residuals`` (with a gradient) where m > n, except for gelsy, and for
    gelsd and gelss only where every A has rank n; ``singular_values`` from gelsd and
    gelss; each an empty tensor otherwise.

    The gradient, through ``solution`` and ``residuals``, is that of A⁺ B, of the rank
    found (constant near A): with full column rank (m ≥ n), of the least squares
    solution; with full row rank, of the least-norm solution of A X = B.

    >>> import tinygrad_bn as torch
    >>> A = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])  # a line through (0, 1), (1, 2), (2, 2)
    >>> result = torch.linalg.lstsq(A, torch.tensor([1.0, 2.0, 2.0]))
    >>> [round(v, 6) for v in result.solution.tolist()], result.rank.item()  # y = 7/6 + x/2
    ([1.166667, 0.5], 2)
    """
    check_matrices(A, "lstsq", square=False)
    if driver is not None and driver not in DRIVERS:
        raise ArgumentError(f"linalg.lstsq expects driver None, 'gels', 'gelsy', 'gelsd' or 'gelss', got {driver!r}")
    m, n = A.shape[-2:]
    vector = B.ndim == A.ndim - 1  # a vector per matrix
    if not (vector or B.ndim == A.ndim) or B.shape[-1 if vector else -2] != m:
        raise ShapeError(f"linalg.lstsq expects B of shape (..., {m}, k) or (..., {m}) for A of shape {A.shape}, "
                         f"got {B.shape}")
    if A.dtype != B.dtype:
        raise DtypeError(f"linalg.lstsq expects A and B of one dtype, got {A.dtype} and {B.dtype}")
    B = B.unsqueeze(-1) if vector else B
    batch = broadcast_shapes(A.shape[:-2], B.shape[:-2])
    if batch is None:
        raise ShapeError(f"linalg.lstsq expects batch shapes that broadcast, got A of shape {A.shape} and B of shape "
                         f"{B.shape[:-1] if vector else B.shape}")
    epsilon = 2.0**-23 if A.dtype == "float32" else 2.0**-52
    rcond = epsilon * max(m, n) if rcond is None else epsilon if rcond < 0 else float(rcond)  # < 0: LAPACK's rule
    driver = driver or "gelsy"
    X = LeastSquares.apply(A.broadcast_to(batch + (m, n)), B.broadcast_to(batch + B.shape[-2:]), rcond=rcond)
    s = A.xp.linalg.svd(A._data, compute_uv=False)  # the rank and the singular values are of A's own batch
    rank = (s > rcond * s[..., :1]).sum(axis=-1).astype(A.xp.int64)
    empty = constant(A.xp.zeros((0,), dtype=A._data.dtype), A)
    has_residuals = m > n and (driver == "gels" or driver in ("gelsd", "gelss") and bool((rank == n).all()))
    return LstsqResult(
        solution=X.squeeze(-1) if vector else X,
        residuals=((A @ X - B) ** 2).sum(-2) if has_residuals else empty,
        rank=constant(A.xp.zeros((0,), dtype=A.xp.int64) if driver == "gels" else rank, A),
        singular_values=constant(s, A) if driver in ("gelsd", "gelss") else empty,
    )


def vander(x, *, N=None):  # noqa: N803 - PyTorch's argument name
    """The Vandermonde matrix of each (..., n) vector x: (..., n, N) with columns
    x⁰, x¹, …, x^(N−1) (N = n by default), as PyTorch's ``linalg.vander``. A least
    squares fit of y ≈ Σⱼ cⱼ xʲ is ``lstsq(vander(x, N=d + 1), y)``.

    >>> import tinygrad_bn as torch
    >>> torch.linalg.vander(torch.tensor([1, 2, 3]), N=4).tolist()
    [[1, 1, 1, 1], [1, 2, 4, 8], [1, 3, 9, 27]]
    """
    if x.ndim < 1:
        raise ShapeError(f"linalg.vander expects x of at least 1 dimension, got shape {x.shape}")
    if x.dtype == "bool":
        raise DtypeError("linalg.vander expects a floating point or integer x, got dtype bool")
    N = x.shape[-1] if N is None else N
    if isinstance(N, bool) or not isinstance(N, int) or N <= 1:
        raise ArgumentError(f"linalg.vander expects N, the number of columns, greater than 1, got {N!r}")
    powers = [ones_like(x), x]
    while len(powers) < N:  # xʲ = xʲ⁻¹ · x
        powers.append(powers[-1] * x)
    return cat([p.unsqueeze(-1) for p in powers], dim=-1)
