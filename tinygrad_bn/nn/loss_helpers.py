"""What the losses and distances of :mod:`~tinygrad_bn.nn.distance`,
:mod:`~tinygrad_bn.nn.probabilistic_losses` and :mod:`~tinygrad_bn.nn.margin_losses`
share: the ``reduction`` argument, operands given as Tensors, arrays or numbers,
and a clamp that holds values without touching gradients.

>>> from tinygrad_bn import Tensor
>>> apply_reduction(Tensor([1.0, 2.0, 6.0]), "mean").item()
3.0
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.ops.promotion import broadcast_shapes

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction, loss: str, allowed: tuple = REDUCTIONS):
    """Refuse a ``reduction`` that is not one of ``allowed``, naming the ``loss``."""
    if reduction not in allowed:
        raise ValueError(f"{loss}: reduction must be one of {allowed}, got {reduction!r}")


def apply_reduction(losses, reduction: str):
    """The mean or the sum of ``losses``, or the losses themselves for ``"none"``
    (``reduction`` checked already)."""
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def operand(value, like: Tensor) -> Tensor:
    """``value`` as a Tensor: a Tensor as it is, a number, list or array in ``like``'s
    dtype on its device."""
    return value if isinstance(value, Tensor) else Tensor(value, dtype=like.dtype, device=like.device)


def broadcast_together(loss: str, **tensors) -> tuple:
    """The shape that the named ``tensors`` broadcast to, or a ShapeError naming them."""
    shape = ()
    for t in tensors.values():
        shape = shape if shape is None else broadcast_shapes(shape, t.shape)
    if shape is None:
        given = ", ".join(f"{name} {t.shape}" for name, t in tensors.items())
        raise ShapeError(f"{loss} expects {' and '.join(tensors)} that broadcast together, got {given}")
    return shape


def clamp_value_only(x, minimum: float):
    """max(x, minimum) in value, with the gradient of x itself, also where the clamp
    holds: x − x̄ + max(x̄, minimum) for x̄ = x.detach(), where x − x̄ is exactly 0 and
    carries x's gradient. PyTorch clamps so (in place, under no_grad) the variance
    of ``gaussian_nll_loss`` and the norms of ``cosine_similarity``.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([0.0, 2.0], requires_grad=True)
    >>> y = clamp_value_only(x, 1.0)
    >>> (y * y).sum().backward()
    >>> y.tolist(), x.grad.tolist()  # 2y at the held value
    ([1.0, 2.0], [2.0, 4.0])
    """
    fixed = x.detach()
    return (x - fixed) + fixed.clamp(min=minimum)


def same_shape_target(target, input, loss: str) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """``target`` as a Tensor (others in ``input``'s dtype, on its device), of ``input``'s shape."""
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=input.dtype, device=input.device)
    if input.shape != target.shape:
        raise ShapeError(f"{loss} expects input and target of one shape, got {input.shape} and {target.shape}")
    return target


def broadcastable_operand(value, like, loss: str, name: str) -> Tensor:
    """``value`` as a Tensor (others in ``like``'s dtype, on its device) that broadcasts to ``like``'s shape."""
    if not isinstance(value, Tensor):
        value = Tensor(value, dtype=like.dtype, device=like.device)
    if broadcast_shapes(value.shape, like.shape) != like.shape:
        raise ShapeError(f"{loss} expects a {name} that broadcasts to the input's shape {like.shape}, "
                         f"got {value.shape}")
    return value


def weighted(losses, weight, loss: str):
    """w·losses, for a ``weight`` w that broadcasts to their shape (None: the losses)."""
    return losses if weight is None else losses * broadcastable_operand(weight, losses, loss, "weight")
