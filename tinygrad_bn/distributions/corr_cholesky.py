"""PyTorch's ``CorrCholeskyTransform``: from ℝⁿ, n = D(D − 1)/2, onto the Cholesky factors
L of D × D correlation matrices L Lᵀ (lower-triangular, positive diagonal, rows of unit
length), one-to-one.

The vector fills the strict lower triangle row by row, through tanh, as partial
correlations zᵢⱼ ∈ (−1, 1); each row is then a stick broken among its entries:

    Lᵢⱼ = zᵢⱼ·√(Πₖ₍ₖ<ⱼ₎ (1 − zᵢₖ²))   (j < i),    Lᵢᵢ = √(Πₖ₍ₖ<ᵢ₎ (1 − zᵢₖ²))

so that Σⱼ Lᵢⱼ² = 1. The inverse reads zᵢⱼ = Lᵢⱼ/√(1 − Σₖ₍ₖ<ⱼ₎ Lᵢₖ²) and x = atanh z. The
Jacobian is triangular: with the stick-breaking part ½ Σᵢⱼ₍ⱼ<ᵢ₎ log(1 − Σₖ₍ₖ<ⱼ₎ Lᵢₖ²) and
the tanh part Σ log(1 − tanh²x) = Σ 2(log 2 − x − softplus(−2x)),

    log|J| = ½ Σᵢ Σⱼ₍ⱼ<ᵢ₎ log(1 − Σₖ₍ₖ<ⱼ₎ Lᵢₖ²) + Σ 2(log 2 − x − softplus(−2x))
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.transforms import Transform
from tinygrad_bn.distributions.utils import softplus

__all__ = ["CorrCholeskyTransform", "tril_matrix_to_vec", "vec_to_tril_matrix"]


def _tril_positions(n: int, diag: int) -> numpy.ndarray:
    """The flat positions i·n + j of the lower triangle j ≤ i + ``diag`` of an n × n matrix,
    row by row."""
    rows, cols = numpy.tril_indices(n, diag)
    return rows * n + cols


def _side(entries: int, diag: int) -> int:
    """The n with as many entries on and below diagonal ``diag`` ≤ 0 as ``entries``."""
    # entries = (n + diag)(n + diag + 1)/2
    m = round((math.sqrt(8 * entries + 1) - 1) / 2)
    if m * (m + 1) // 2 != entries:
        raise ValueError(f"a vector of {entries} entries does not fill a lower triangle")
    return m - diag


def vec_to_tril_matrix(vec, diag: int = 0):
    """The n × n lower-triangular matrices (on and below diagonal ``diag`` ≤ 0) whose
    triangle, row by row, is the last axis of ``vec``; zeros elsewhere."""
    n = _side(vec.shape[-1], diag)
    # gather from the vector with a 0 in front: position p of the matrix takes entry index[p]
    index = numpy.zeros(n * n, dtype=numpy.int64)
    index[_tril_positions(n, diag)] = numpy.arange(1, vec.shape[-1] + 1)
    padded = vec.pad(((0, 0),) * (vec.ndim - 1) + ((1, 0),), value=0.0)
    return padded[..., index].reshape(*vec.shape[:-1], n, n)


def tril_matrix_to_vec(mat, diag: int = 0):
    """The entries on and below diagonal ``diag`` of the matrices ``mat``, row by row."""
    n = mat.shape[-1]
    return mat.reshape(*mat.shape[:-2], n * n)[..., _tril_positions(n, diag)]


class CorrCholeskyTransform(Transform):
    """From real vectors of D(D − 1)/2 entries onto Cholesky factors of D × D correlation
    matrices.

    >>> import tinygrad_bn as torch
    >>> t = CorrCholeskyTransform()
    >>> L = t(torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64))
    >>> L.shape, [round(v, 12) for v in (L @ L.mT).diagonal().tolist()], t.forward_shape((4, 3))
    ((3, 3), [1.0, 1.0, 1.0], (4, 3, 3))
    """

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def __eq__(self, other):
        return isinstance(other, CorrCholeskyTransform)

    def _call(self, x):
        eps = float(numpy.finfo(x.dtype).eps)
        z = vec_to_tril_matrix(x.tanh().clamp(-1 + eps, 1 - eps), diag=-1)  # partial correlations
        # √Π(1 − z²) of the entries before each column: the stick left for it
        left = (1 - z.square()).sqrt().cumprod(-1)
        left = left[..., :-1].pad(((0, 0),) * (x.ndim - 1) + ((0, 0), (1, 0)), value=1.0)
        identity = ops.eye(z.shape[-1], dtype=z.dtype, device=z.device)
        return (z + identity) * left

    def _inverse(self, y):
        # 1 − Σₖ₍ₖ<ⱼ₎ Lᵢₖ², the stick left before column j
        left = 1 - y.square().cumsum(-1)
        left = left[..., :-1].pad(((0, 0),) * (y.ndim - 2) + ((0, 0), (1, 0)), value=1.0)
        z = tril_matrix_to_vec(y, diag=-1) / tril_matrix_to_vec(left, diag=-1).sqrt()
        return (z.log1p() - (-z).log1p()) / 2  # atanh z

    def log_abs_det_jacobian(self, x, y):
        left = tril_matrix_to_vec(1 - y.square().cumsum(-1), diag=-2)
        stick_breaking = 0.5 * left.log().sum(-1)
        tanh = 2 * (math.log(2.0) - x - softplus(-2 * x)).sum(-1)
        return stick_breaking + tanh

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        D = round(math.sqrt(0.25 + 2 * shape[-1]) + 0.5)
        if D * (D - 1) // 2 != shape[-1]:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return tuple(shape[:-1]) + (D, D)

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        D = shape[-1]
        return tuple(shape[:-2]) + (D * (D - 1) // 2,)
