"""Extremes that PyTorch names apart from max and min: ``fmax`` and ``fmin``, which skip
NaNs, and ``aminmax``, the smallest and largest values in one call."""

from __future__ import annotations

from typing import NamedTuple

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.ops.axes import normalize_axes
from tinygrad_bn.ops.elementwise import isnan, where
from tinygrad_bn.ops.reduce import amax, amin


def _nan_skipping(name: str, a: Tensor, b: Tensor, a_wins: Tensor) -> Tensor:
    """``a`` where ``a_wins`` or ``b`` is NaN, else ``b``: the NaN-skipping extreme. The
    gradient follows the value taken, so at a tie all of it goes to ``a``, as in PyTorch."""
    for word, operand in (("input", a), ("other", b)):
        if not isinstance(operand, Tensor):
            raise TypeError(f"{name} expects two tensors, got {type(operand).__name__} for {word}; "
                            f"wrap a number in tensor(...)")
    return where(a_wins | isnan(b), a, b)


def fmax(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """The elementwise maximum, ignoring NaN: NaN only where both are NaN.

    >>> from tinygrad_bn import tensor
    >>> fmax(tensor([1.0, float("nan"), 2.0]), tensor([3.0, 0.5, float("nan")])).tolist()
    [3.0, 0.5, 2.0]
    """
    return _nan_skipping("fmax", input, other, input >= other)


def fmin(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """The elementwise minimum, ignoring NaN: NaN only where both are NaN.

    >>> from tinygrad_bn import tensor
    >>> fmin(tensor([1.0, float("nan"), 2.0]), tensor([3.0, 0.5, float("nan")])).tolist()
    [1.0, 0.5, 2.0]
    """
    return _nan_skipping("fmin", input, other, input <= other)


class MinMax(NamedTuple):
    """What ``aminmax`` returns, as PyTorch's ``torch.return_types.aminmax``."""

    min: Tensor
    max: Tensor


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> MinMax:  # noqa: A002
    """The smallest and largest values, of all of ``input`` or along ``dim``; tied
    extremes share the gradient equally, as in :func:`amin` and :func:`amax`.

    >>> from tinygrad_bn import tensor
    >>> lowest, highest = aminmax(tensor([[1.0, 5.0], [7.0, 0.0]]), dim=1)
    >>> lowest.tolist(), highest.tolist()
    ([1.0, 0.0], [5.0, 7.0])
    """
    axes = normalize_axes(dim, input.ndim)
    if any(input.shape[axis] == 0 for axis in axes):
        # PyTorch raises an IndexError for an empty dim, a RuntimeError for an empty tensor
        error = ShapeError if dim is None else IndexError
        raise error(f"aminmax expects a non-empty dimension to reduce, got a tensor of shape {input.shape} "
                    f"with dim={dim}")
    reduced = () if dim is None else dim
    return MinMax(amin(input, reduced, keepdim), amax(input, reduced, keepdim))
