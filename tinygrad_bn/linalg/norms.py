"""Vector and matrix norms, from Tensor ops (their gradients are those of the ops)."""

from __future__ import annotations

import math

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.linalg.decompositions import svdvals
from tinygrad_bn.ops import norm as _norm
from tinygrad_bn.ops.axes import normalize_axes, normalize_axis
from tinygrad_bn.ops.layout import movedim


def vector_norm(x, ord=2, dim=None, keepdim=False):  # noqa: A002 - PyTorch's argument name
    """(Σ|x|^ord)^(1/ord) over ``dim`` (every axis by default); ord inf and −inf are
    max and min |x|, ord 0 counts the non-zero elements (a count, with no gradient)."""
    if ord in (2, 1, math.inf):
        return _norm(x, ord, dim, keepdim)
    axes = normalize_axes(dim, x.ndim)
    if ord == -math.inf:
        return x.abs().amin(axes, keepdim=keepdim)
    if ord == 0:
        return (x != 0).astype(x.dtype).sum(axes, keepdim=keepdim)
    if isinstance(ord, (int, float)) and not isinstance(ord, bool):
        return (x.abs() ** ord).sum(axes, keepdim=keepdim) ** (1.0 / ord)
    raise ArgumentError(f"vector_norm expects a number for ord, got {ord!r}")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False):  # noqa: A002 - PyTorch's argument name
    """The Frobenius norm (``"fro"``), the largest (ord 1, inf) or smallest (−1, −inf)
    column or row sum of |A|, the largest (2) or smallest (−2) singular value or their
    sum (``"nuc"``), over the two axes ``dim``.

    >>> from tinygrad_bn import tensor
    >>> A = tensor([[3.0, 0.0], [4.0, 5.0]])  # singular values 3√5 and √5
    >>> [round(matrix_norm(A, ord).item(), 4) for ord in (2, -2, "nuc")]
    [6.7082, 2.2361, 8.9443]
    """
    rows, columns = _matrix_axes(A, dim, "matrix_norm")
    if ord == "fro":
        return _norm(A, 2, (rows, columns), keepdim)
    if ord in (2, -2, "nuc"):
        return _of_singular_values(A, ord, rows, columns, keepdim)
    sums = {1: rows, -1: rows, math.inf: columns, -math.inf: columns}  # ord 1: down each column
    if ord not in sums:
        raise ArgumentError(f"matrix_norm supports ord 'fro', 'nuc', 1, -1, 2, -2, inf and -inf, got {ord!r}")
    other = columns if sums[ord] == rows else rows
    totals = A.abs().sum(sums[ord], keepdim=True)
    extreme = totals.amax(other, keepdim=True) if ord > 0 else totals.amin(other, keepdim=True)
    return extreme if keepdim else extreme.squeeze(max(rows, columns)).squeeze(min(rows, columns))


def _of_singular_values(A, which, rows: int, columns: int, keepdim: bool):
    """σ_max (``which`` 2), σ_min (−2) or Σσ ("nuc") of the matrices over axes ``rows``, ``columns``."""
    singular_values = svdvals(movedim(A, (rows, columns), (-2, -1)))
    if which == "nuc":
        value = singular_values.sum(-1)
    else:
        value = singular_values.amax(-1) if which == 2 else singular_values.amin(-1)
    if keepdim:
        for axis in sorted((rows, columns)):
            value = value.unsqueeze(axis)
    return value


def norm(A, ord=None, dim=None, keepdim=False):  # noqa: A002 - PyTorch's argument name
    """``vector_norm`` or ``matrix_norm`` as PyTorch's ``linalg.norm`` chooses: without
    ``ord``, the 2-norm of the flattened tensor (or over ``dim``); with it, a vector
    norm of a 1-d tensor or over one dim, a matrix norm of a 2-d one or over two dims."""
    axes = None if dim is None else (dim if isinstance(dim, (tuple, list)) else (dim,))
    if ord is None:
        return vector_norm(A, 2, dim, keepdim)
    if (axes is None and A.ndim == 2) or (axes is not None and len(axes) == 2):
        return matrix_norm(A, ord, (-2, -1) if axes is None else tuple(axes), keepdim)
    if (axes is None and A.ndim == 1) or (axes is not None and len(axes) == 1):
        return vector_norm(A, ord, dim, keepdim)
    raise ArgumentError(f"linalg.norm with ord={ord!r} needs a 1-d or 2-d tensor or a dim of one or two axes, "
                        f"got shape {A.shape} and dim={dim!r}")


def cond(A, p=None):
    """The condition number of each (..., m, n) matrix in the norm ``p``: s₁/sₖ of the
    singular values for None or 2 (sₖ/s₁ for −2; any shape), else ‖A‖ₚ ‖A⁻¹‖ₚ for the
    other matrix norms ("fro", "nuc", ±1, ±inf; square invertible matrices).

    >>> import tinygrad_bn as torch
    >>> torch.linalg.cond(torch.tensor([[2.0, 0.0], [0.0, 0.5]])).item()
    4.0
    """
    if p is None or p in (2, -2):
        values = svdvals(A)
        largest, smallest = values[..., 0], values[..., -1]
        return largest / smallest if p != -2 else smallest / largest
    if p not in ("fro", "nuc", 1, -1, math.inf, -math.inf):
        raise ArgumentError(f"linalg.cond expects p to be None, 2, -2, 'fro', 'nuc', 1, -1, inf or -inf, got {p!r}")
    from tinygrad_bn.linalg.inverse import inv

    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def _matrix_axes(A, dim, name: str) -> tuple:
    """The (rows, columns) axes ``dim`` names, in its order."""
    if A.ndim < 2 or len(dim) != 2:
        raise ShapeError(f"{name} expects two axes of a tensor of at least 2 dimensions, got dim={dim!r} "
                         f"for shape {A.shape}")
    rows, columns = (normalize_axis(d, A.ndim, "dim") for d in dim)
    if rows == columns:
        raise ShapeError(f"{name} expects two different axes, got dim={dim!r}")
    return rows, columns
