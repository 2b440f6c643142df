"""Matrix multiplication, vector norms and the distance they give (``dist``)."""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.ops.axes import normalize_axes, normalize_axis
from tinygrad_bn.ops.elementwise import sqrt_flat_at_zero, where
from tinygrad_bn.ops.promotion import broadcast_shapes, lift


class MatMul(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a._data @ b._data

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        # C = A B:  dA = dC Bᵀ,  dB = Aᵀ dC  (batch axes are summed by the engine)
        da = grad @ b.swapaxes(-1, -2) if need_a else None
        db = a.swapaxes(-1, -2) @ grad if need_b else None
        return da, db


class Linear(Function):
    """y = x Wᵀ over the last axis of x (any leading axes), W of shape (out, in): one
    node, as PyTorch's ``linear``, rather than a transpose and a MatMul. Its dW comes
    out in W's own layout, so it becomes ``W.grad`` as it is; through the transpose
    it was a transposed view, which ``.grad`` had to copy (a seventh of an MLP step)."""

    def forward(self, x, weight):
        self.save_for_backward(x, weight)
        return x._data @ weight._data.T

    def backward(self, grad):
        x, weight = self.saved_tensors
        need_x, need_weight = self.needs_input_grad
        # dx = dy W,  dW = Σ over the leading axes of dyᵀ x
        dx = grad @ weight if need_x else None
        dweight = grad.reshape(-1, grad.shape[-1]).T @ x.reshape(-1, x.shape[-1]) if need_weight else None
        return dx, dweight


def linear(x, weight):
    """x Wᵀ (see :class:`Linear`); x of shape (..., in), W of shape (out, in), one dtype."""
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"linear with weight of shape {weight.shape} (out, in) expects input of shape "
            f"(..., {weight.shape[-1]}), got {x.shape}"
        )
    check_one_dtype("linear", x, weight)
    return Linear.apply(x, weight)


def check_one_dtype(name: str, a, b):
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{name} expects both operands of one dtype, got {a.dtype} (shape {a.shape}) and {b.dtype} "
            f"(shape {b.shape}); cast one, e.g. with .float() or .double()"
        )


def matmul(a, b):
    """Matrix product with NumPy's rules: 1-D operands are vectors, leading axes broadcast.
    Both operands must have one dtype, as in PyTorch (a float64 input to a float32
    layer is an error, not a silent float64 result)."""
    a, b = lift(a, b) if isinstance(b, Tensor) else a, lift(b, a) if isinstance(a, Tensor) else b
    check_one_dtype("matmul", a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            f"matmul needs tensors of at least one dimension, got shapes {a.shape} and {b.shape}"
        )
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.shape[-1] != inner_b:
        raise ShapeError(
            f"matmul: shapes {a.shape} and {b.shape} do not match ({a.shape[-1]} != {inner_b})"
        )
    if a.ndim == 1 and b.ndim == 1:
        return (a * b).sum()
    if a.ndim == 1:
        return matmul(a.reshape(1, -1), b).reshape(b.shape[:-2] + b.shape[-1:])
    if b.ndim == 1:
        return matmul(a, b.reshape(-1, 1)).reshape(a.shape[:-1])
    if broadcast_shapes(a.shape[:-2], b.shape[:-2]) is None:
        raise ShapeError(f"matmul: batch shapes of {a.shape} and {b.shape} do not broadcast together")
    return MatMul.apply(a, b)


def mm(a, b):
    """The product of two matrices (2-D tensors only), as PyTorch's ``mm``."""
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"mm expects two matrices, got shapes {a.shape} and {b.shape}; matmul takes any")
    return matmul(a, b)


def bmm(a, b):
    """The products of two batches of matrices, (B, n, m) @ (B, m, p), as PyTorch's ``bmm``."""
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ShapeError(f"bmm expects two batches of matrices (B, n, m) and (B, m, p), got {a.shape} and {b.shape}")
    return matmul(a, b)


def dot(a, b):
    """The inner product of two vectors of one length, as PyTorch's ``dot``."""
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ShapeError(f"dot expects two 1-d tensors of one length, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def vdot(input, other):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``vdot``: the inner product of two vectors of one length (there are no
    complex tensors to conjugate here, so it is :func:`dot`)."""
    if input.ndim != 1 or other.ndim != 1 or input.shape != other.shape:
        raise ShapeError(f"vdot expects two 1-d tensors of one length, got shapes {input.shape} and {other.shape}")
    return matmul(input, other)


def norm(x, p="fro", dim=None, keepdim=False):
    """PyTorch's ``norm``: the vector norm over ``dim`` (an int or a tuple, every axis
    by default): for p = 2 or "fro" √Σx², for a number p (Σ|x|^p)^(1/p), for inf and
    −inf max and min |x|, for 0 the count of nonzero elements (with no gradient).

    Where x = 0 the gradient of the 2-norm is 0, PyTorch's subgradient; tied maxima of
    |x| share it.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[0.0, -2.0], [0.0, 0.0]], requires_grad=True)
    >>> y = x.norm(dim=1)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()
    ([2.0, 0.0], [[0.0, -1.0], [0.0, 0.0]])
    >>> x.norm(1).item(), x.norm(float("inf")).item(), x.norm(0).item()
    (2.0, 2.0, 1.0)
    """
    axes = normalize_axes(dim, x.ndim)
    if p in (2, "fro"):
        return sqrt_flat_at_zero((x * x).sum(axes, keepdim=keepdim))
    if p == 1:
        return x.abs().sum(axes, keepdim=keepdim)
    if p == math.inf:
        return x.abs().amax(axes, keepdim=keepdim)
    if p == -math.inf:
        return x.abs().amin(axes, keepdim=keepdim)
    if p == 0:
        return (x != 0).astype(x.dtype).sum(axes, keepdim=keepdim)
    if isinstance(p, (int, float)) and not isinstance(p, bool):
        return (x.abs() ** p).sum(axes, keepdim=keepdim) ** (1.0 / p)
    raise ValueError(f"norm expects a number p (or 'fro'), got p={p!r}")



def renorm(input, p, dim: int, maxnorm):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``renorm``: each slice ``input.select(dim, i)`` whose p-norm exceeds
    ``maxnorm`` scaled by maxnorm / (norm + 1e-7), the others as they are.

    >>> from tinygrad_bn import tensor
    >>> renorm(tensor([[3.0, 4.0], [0.3, 0.4]]), 2, 0, 1.0).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.30000001192092896, 0.4000000059604645]]
    """
    if not (isinstance(p, (int, float)) and p > 0):
        raise ArgumentError(f"renorm expects a positive norm p, got {p!r}")
    if maxnorm < 0:
        raise ArgumentError(f"renorm expects a non-negative maxnorm, got {maxnorm!r}")
    if input.ndim < 2:
        raise ShapeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    dim = normalize_axis(dim, input.ndim, "dim")
    norms = norm(input, p, tuple(a for a in range(input.ndim) if a != dim), keepdim=True)
    return input * where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)

def dist(a, b, p=2):
    """PyTorch's ``dist``: the p-norm of a − b (broadcast together), as :func:`norm`.

    >>> from tinygrad_bn import tensor
    >>> dist(tensor([1.0, 2.0]), tensor([4.0, 6.0])).item(), tensor([1.0, 2.0]).dist(tensor([4.0, 6.0]), 1).item()
    (5.0, 7.0)
    """
    return norm(a - b, p)
