"""Products beside ``matmul``, with PyTorch's names: matrix × vector (``mv``), the
products added to a tensor (``addmm``, ``addmv``, ``baddbmm``, ``addbmm``),
contractions over chosen axes (``tensordot``, ``inner``), the Kronecker product
(``kron``) and the cross product (``cross``).

Each is written with :func:`~tinygrad_bn.ops.linalg.matmul`, reshapes and elementwise
ops, so the engine derives its gradients of any order.
"""

from __future__ import annotations

import math
import warnings

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.ops.axes import normalize_axis
from tinygrad_bn.ops.elementwise import scaled
from tinygrad_bn.ops.joins import broadcast_tensors
from tinygrad_bn.ops.layout import select
from tinygrad_bn.ops.linalg import bmm, matmul, mm
from tinygrad_bn.ops.promotion import broadcast_shapes
from tinygrad_bn.ops.shape import stack


def mv(matrix, vector):
    """PyTorch's ``mv``: the product of an (n, m) matrix and an m-vector.

    >>> from tinygrad_bn import tensor
    >>> tensor([[1.0, 2.0], [3.0, 4.0]]).mv(tensor([1.0, -1.0])).tolist()
    [-1.0, -1.0]
    """
    if matrix.ndim != 2 or vector.ndim != 1 or matrix.shape[1] != vector.shape[0]:
        raise ShapeError(f"mv expects an (n, m) matrix and an m-vector, got shapes {matrix.shape} and {vector.shape}")
    return matmul(matrix, vector)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``addmm``: beta·input + alpha·(mat1 @ mat2), ``input`` broadcast to the
    product's shape (and ignored, NaN or not, when beta is 0).

    >>> from tinygrad_bn import ones, tensor
    >>> addmm(tensor([1.0, 2.0]), ones(1, 3), ones(3, 2), beta=2, alpha=0.5).tolist()
    [[3.5, 5.5]]
    """
    return _added("addmm", input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``addmv``: beta·input + alpha·(mat @ vec), as :func:`addmm`.

    >>> from tinygrad_bn import ones, tensor
    >>> addmv(tensor([1.0, 2.0]), ones(2, 3), tensor([1.0, 2.0, 3.0]), alpha=2).tolist()
    [13.0, 14.0]
    """
    return _added("addmv", input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``baddbmm``: beta·input + alpha·(batch1 @ batch2) for batches of
    matrices (B, n, m) and (B, m, p), as :func:`addmm`.

    >>> from tinygrad_bn import ones, zeros
    >>> baddbmm(zeros(2, 1, 1), ones(2, 1, 3), ones(2, 3, 1), alpha=2).tolist()
    [[[6.0]], [[6.0]]]
    """
    return _added("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``addbmm``: beta·input + alpha·Σ_b batch1[b] @ batch2[b], as :func:`addmm`.

    >>> from tinygrad_bn import ones, zeros
    >>> addbmm(zeros(1, 1), ones(3, 1, 2), ones(3, 2, 1)).tolist()
    [[6.0]]
    """
    return _added("addbmm", input, bmm(batch1, batch2).sum(0), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``addr``: beta·input + alpha·(the outer product of vec1 and vec2), as
    :func:`addmm`.

    >>> from tinygrad_bn import ones, tensor
    >>> addr(ones(2, 2), ones(2), tensor([1.0, 2.0]), beta=0.5, alpha=2).tolist()
    [[2.5, 4.5], [2.5, 4.5]]
    """
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise ShapeError(f"addr expects two 1-d vectors, got shapes {vec1.shape} and {vec2.shape}")
    return _added("addr", input, vec1.reshape(-1, 1) * vec2.reshape(1, -1), beta, alpha)


def _added(name: str, input, product, beta, alpha):  # noqa: A002 - PyTorch's argument name
    """beta·input + alpha·product, the ``input`` broadcast to the product's shape; with
    beta = 0 the input is not read, so NaN and ∞ in it do not spread (PyTorch's rule)."""
    if broadcast_shapes(input.shape, product.shape) != product.shape:
        raise ShapeError(f"{name}: input of shape {input.shape} does not broadcast to the product's shape "
                         f"{product.shape}")
    product = scaled(product, alpha, product)
    return product if beta == 0 else scaled(input, beta, input) + product


def tensordot(a, b, dims=2):
    """PyTorch's ``tensordot``: the sum of products over the last ``dims`` axes of ``a``
    and the first ``dims`` of ``b``, or over the axes listed in ``dims = (dims_a, dims_b)``;
    the free axes of ``a`` then those of ``b`` remain.

    >>> from tinygrad_bn import ones
    >>> tensordot(ones(2, 3, 4), ones(3, 4, 5)).shape, tensordot(ones(2, 3), ones(4, 3), dims=([1], [1])).shape
    ((2, 5), (2, 4))
    """
    summed_a, summed_b = _contracted(a, b, dims)
    for i, j in zip(summed_a, summed_b):
        if a.shape[i] != b.shape[j]:
            raise ShapeError(f"tensordot: dim {i} of a {a.shape} and dim {j} of b {b.shape} differ in length")
    free_a = [d for d in range(a.ndim) if d not in summed_a]
    free_b = [d for d in range(b.ndim) if d not in summed_b]
    count = math.prod(a.shape[d] for d in summed_a)
    # (free a, summed) @ (summed, free b): one matrix product
    rows = a.permute(*free_a, *summed_a).reshape(-1, count)
    columns = b.permute(*summed_b, *free_b).reshape(count, -1)
    return matmul(rows, columns).reshape(*(a.shape[d] for d in free_a), *(b.shape[d] for d in free_b))


def _contracted(a, b, dims) -> tuple:
    """The axes of ``a`` and of ``b`` that :func:`tensordot` sums over."""
    if isinstance(dims, int):
        if not 0 <= dims <= min(a.ndim, b.ndim):
            raise ArgumentError(f"tensordot expects dims in [0, {min(a.ndim, b.ndim)}] for shapes {a.shape} and "
                                f"{b.shape}, got {dims}")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise ArgumentError(f"tensordot expects as many dims of a as of b, got {dims_a} and {dims_b}")
    return [normalize_axis(d, a.ndim, "dim") for d in dims_a], [normalize_axis(d, b.ndim, "dim") for d in dims_b]


def inner(a, b):
    """PyTorch's ``inner``: the sums of products over the last axes of ``a`` and ``b``
    (for vectors, their dot product), of shape a.shape[:-1] + b.shape[:-1]; a 0-d
    operand multiplies.

    >>> from tinygrad_bn import tensor
    >>> inner(tensor([[1.0, 2.0], [3.0, 4.0]]), tensor([1.0, 1.0])).tolist()
    [3.0, 7.0]
    """
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"inner expects last dims of one length, got shapes {a.shape} and {b.shape}")
    return tensordot(a, b, ([-1], [-1]))


def kron(a, b):
    """PyTorch's ``kron``: the Kronecker product, each element of ``a`` times all of
    ``b``, of shape a.shape[i]·b.shape[i] (the operand of fewer axes given leading ones).

    >>> from tinygrad_bn import tensor
    >>> kron(tensor([[1, 2]]), tensor([[1], [10]])).tolist()
    [[1, 2], [10, 20]]
    """
    ndim = max(a.ndim, b.ndim)
    a_shape, b_shape = (1,) * (ndim - a.ndim) + a.shape, (1,) * (ndim - b.ndim) + b.shape
    # out[i·m + k, ...] = a[i, ...]·b[k, ...]: a on (n, 1, ...), b on (1, m, ...), then merged
    spread_a = a.reshape(*(n for size in a_shape for n in (size, 1)))
    spread_b = b.reshape(*(n for size in b_shape for n in (1, size)))
    return (spread_a * spread_b).reshape(*(i * k for i, k in zip(a_shape, b_shape)))


def cross(a, b, dim=None):
    """PyTorch's ``cross``: the cross product of the 3-vectors along ``dim`` (the two
    broadcast together); without ``dim``, along the first axis of length 3, with
    PyTorch's warning (``linalg.cross`` takes the last).

    >>> from tinygrad_bn import tensor
    >>> tensor([1.0, 0.0, 0.0]).cross(tensor([0.0, 1.0, 0.0]), dim=0).tolist()
    [0.0, 0.0, 1.0]
    """
    if a.ndim != b.ndim:
        raise ShapeError(f"cross expects tensors of as many dimensions, got shapes {a.shape} and {b.shape}")
    a, b = broadcast_tensors(a, b)
    if dim is None:
        dim = next((d for d, n in enumerate(a.shape) if n == 3), None)
        if dim is None:
            raise ShapeError(f"cross: no dim of length 3 in shape {a.shape}")
        warnings.warn("cross without dim= takes the first dim of length 3, a default PyTorch deprecates; pass dim= "
                      "(linalg.cross takes the last)", UserWarning, stacklevel=2)
    dim = normalize_axis(dim, a.ndim, "dim")
    if a.shape[dim] != 3:
        raise ShapeError(f"cross expects dim {dim} of length 3, got shape {a.shape}")
    (a0, a1, a2), (b0, b1, b2) = ([select(t, dim, i) for i in range(3)] for t in (a, b))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim=dim)
