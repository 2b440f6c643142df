"""The regression losses of ``torch.nn.functional``: squared error, absolute error,
and the two losses between them, smooth L1 and Huber.

>>> from tinygrad_bn import Tensor
>>> mse_loss(Tensor([1.0, 3.0]), [0.0, 0.0]).item()  # (1 + 9) / 2
5.0
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.annotations import in_own_region
from tinygrad_bn.nn.loss_helpers import apply_reduction, check_reduction, same_shape_target


@in_own_region
def mse_loss(input, target, reduction="mean"):  # noqa: A002 - PyTorch's argument name
    """(input − target)², averaged. The two shapes must be equal."""
    check_reduction(reduction, "mse_loss")
    difference = input - same_shape_target(target, input, "mse_loss")
    return apply_reduction(difference * difference, reduction)


@in_own_region
def l1_loss(input, target, *, reduction="mean"):  # noqa: A002 - PyTorch's argument name
    """|input − target|, averaged; where the two are equal the gradient is 0, as in PyTorch.

    >>> from tinygrad_bn import Tensor
    >>> l1_loss(Tensor([1.0, -2.0]), [0.0, 1.0]).item()
    2.0
    """
    check_reduction(reduction, "l1_loss")
    return apply_reduction((input - same_shape_target(target, input, "l1_loss")).abs(), reduction)


@in_own_region
def smooth_l1_loss(input, target, *, reduction="mean", beta=1.0):  # noqa: A002 - PyTorch's argument name
    """½·d²/β where |d| < β, |d| − β/2 elsewhere, for d = input − target; β = 0 is :func:`l1_loss`.

    >>> from tinygrad_bn import Tensor
    >>> smooth_l1_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none").tolist()
    [0.125, 2.5]
    """
    check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    return apply_reduction(_smooth_l1(input - same_shape_target(target, input, "smooth_l1_loss"), beta), reduction)


@in_own_region
def huber_loss(input, target, *, reduction="mean", delta=1.0):  # noqa: A002 - PyTorch's argument name
    """½·d² where |d| < δ, δ·(|d| − δ/2) elsewhere, for d = input − target: δ times
    :func:`smooth_l1_loss` with β = δ.

    >>> from tinygrad_bn import Tensor
    >>> huber_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none", delta=2.0).tolist()
    [0.125, 4.0]
    """
    check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    return apply_reduction(_smooth_l1(input - same_shape_target(target, input, "huber_loss"), delta) * delta, reduction)


def _smooth_l1(d, beta: float):
    """½·d²/β where |d| < β, |d| − β/2 elsewhere; both pieces meet with slope ±1.
    With β = 0 only |d| is left (and no 0/0 from the unused piece reaches the gradient)."""
    size = d.abs()
    if beta == 0:
        return size
    return ops.where(size < beta, 0.5 * d * d / beta, size - 0.5 * beta)
