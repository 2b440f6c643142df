"""PyTorch's older decompositions at the top level, still common in scripts: ``torch.svd``
(which returns V, not Vh), ``torch.qr`` (with ``some``) and ``torch.cholesky`` (with
``upper``), each the :mod:`tinygrad_bn.linalg` function it became. ``qr`` and ``cholesky``
warn that they are deprecated, as PyTorch's do; ``svd`` does not, as PyTorch's does not.

>>> import tinygrad_bn as torch
>>> U, S, V = torch.svd(torch.tensor([[0.0, 2.0], [-3.0, 0.0]]))
>>> S.tolist(), (U @ torch.diag(S) @ V.T).abs().tolist()
([3.0, 2.0], [[0.0, 2.0], [3.0, 0.0]])
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.linalg.decompositions import QRResult, svdvals
from tinygrad_bn.linalg.decompositions import cholesky as _cholesky
from tinygrad_bn.linalg.decompositions import qr as _qr
from tinygrad_bn.linalg.decompositions import svd as _svd
from tinygrad_bn.linalg.matrices import check_matrices, transposed
from tinygrad_bn.ops.promotion import constant


class SVD(NamedTuple):
    """``torch.return_types.svd``: ``U``, the singular values ``S`` in descending order,
    and ``V``, with A = U diag(S) Vᵀ."""

    U: Tensor
    S: Tensor
    V: Tensor


def svd(input, some=True, compute_uv=True) -> SVD:  # noqa: A002 - PyTorch's argument name
    """A = U diag(S) Vᵀ of each (..., m, n) matrix, k = min(m, n): U (m, k) and V (n, k) when
    ``some``, else U (m, m) and V (n, n). Without ``compute_uv``, U and V are zeros of the
    full shapes and only S carries a gradient."""
    if not compute_uv:
        check_matrices(input, "svd", square=False)
        m, n = input.shape[-2], input.shape[-1]
        zeros = input.xp.zeros
        batch, dtype = input.shape[:-2], input._data.dtype
        return SVD(constant(zeros((*batch, m, m), dtype=dtype), input), svdvals(input),
                   constant(zeros((*batch, n, n), dtype=dtype), input))
    U, S, Vh = _svd(input, full_matrices=not some)
    return SVD(U, S, transposed(Vh))


def qr(input, some=True) -> QRResult:  # noqa: A002 - PyTorch's argument name
    """Q R of each (..., m, n) matrix: ``linalg.qr(input, "reduced" if some else "complete")``."""
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr: Q, R = torch.qr(A, some) is "
                  "torch.linalg.qr(A, 'reduced' if some else 'complete')", UserWarning, stacklevel=2)
    return _qr(input, "reduced" if some else "complete")


def cholesky(input, upper=False):  # noqa: A002 - PyTorch's argument name
    """The Cholesky factor L of each symmetric positive-definite matrix (Lᵀ when ``upper``)."""
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky: torch.cholesky(A) is "
                  "torch.linalg.cholesky(A), and torch.cholesky(A, upper=True) is torch.linalg.cholesky(A).mH",
                  UserWarning, stacklevel=2)
    return _cholesky(input, upper=upper)
