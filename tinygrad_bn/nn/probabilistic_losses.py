"""Losses of probability distributions, with PyTorch's names: ``kl_div`` (the
Kullback–Leibler divergence of a target distribution from a predicted one), and the
negative log-likelihoods ``poisson_nll_loss`` and ``gaussian_nll_loss`` of a target
under a predicted Poisson or Gaussian distribution. Their modules are in
:mod:`tinygrad_bn.nn.losses`.

>>> from tinygrad_bn import Tensor
>>> log_q = Tensor([[0.5, 0.5]]).log()
>>> round(kl_div(log_q, [[1.0, 0.0]], reduction="batchmean").item(), 4)  # 1·log(1/0.5) + 0
0.6931
"""

from __future__ import annotations

import math
import warnings

from tinygrad_bn.annotations import in_own_region
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.loss_helpers import (
    REDUCTIONS,
    apply_reduction,
    broadcast_together,
    check_reduction,
    clamp_value_only,
    operand,
)
from tinygrad_bn.ops import full_like, where, xlogy

KL_REDUCTIONS = (*REDUCTIONS, "batchmean")


@in_own_region
def kl_div(input, target, *, reduction="mean", log_target=False):  # noqa: A002 - PyTorch's argument name
    """KL(target ‖ q) pointwise, for log-probabilities ``input`` = log q: target·(log
    target − input), with 0·log 0 = 0; for a ``log_target`` t, eᵗ·(t − input). The two
    broadcast together. ``"batchmean"`` divides the sum by the batch size
    input.shape[0], which gives the divergence per sample; ``"mean"`` divides by the
    number of elements, and warns so, as PyTorch does.

    Where the target is 0 its gradient is −input here (the t·log t term is flat
    there), NaN in PyTorch.
    """
    check_reduction(reduction, "kl_div", KL_REDUCTIONS)
    target = operand(target, input)
    broadcast_together("kl_div", input=input, target=target)
    if log_target:
        # eᵗ·(t − x)
        pointwise = target.exp() * (target - input)
    else:
        # t·log t − t·x, with 0·log 0 = 0 (and a log that sees 1 there, so no NaN in the gradient)
        pointwise = xlogy(target, target) - target * input
    if reduction == "batchmean":
        return pointwise.sum() / input.shape[0] if input.ndim else pointwise.sum()
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the sum by the number of elements, not by the batch size; "
                      "reduction='batchmean' gives the KL divergence per sample", UserWarning, stacklevel=3)
    return apply_reduction(pointwise, reduction)


@in_own_region
def poisson_nll_loss(input, target, log_input=True, full=False, *, eps=1e-8,  # noqa: A002 - PyTorch's name
                     reduction="mean"):
    """The negative log-likelihood of ``target`` under a Poisson distribution of
    rate λ, without the constant log(target!): e^x − target·x for the log-rate x
    (``log_input``), else λ − target·log(λ + ε) for the rate λ. With ``full`` the
    Stirling approximation of log(target!) is added where target > 1 (0 elsewhere,
    as in PyTorch). Input and target broadcast together.

    >>> from tinygrad_bn import Tensor
    >>> poisson_nll_loss(Tensor([0.0]), [3.0]).item()  # e⁰ − 3·0
    1.0
    """
    check_reduction(reduction, "poisson_nll_loss")
    target = operand(target, input)
    broadcast_together("poisson_nll_loss", input=input, target=target)
    if log_input:
        # e^x − t·x
        losses = input.exp() - target * input
    else:
        # λ − t·log(λ + ε)
        losses = input - target * (input + eps).log()
    if full:
        losses = losses + _stirling(target)
    return apply_reduction(losses, reduction)


def _stirling(t):
    """log t! ≈ t·log t − t + ½·log(2πt) where t > 1, 0 elsewhere; the logs see only
    t > 1 (1 elsewhere), so no NaN reaches a gradient."""
    counted = t > 1
    t = where(counted, t, 1.0)
    return where(counted, t * t.log() - t + 0.5 * (2 * math.pi * t).log(), 0.0)


@in_own_region
def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):  # noqa: A002 - PyTorch's name
    """The negative log-likelihood of ``target`` under a Gaussian of mean ``input``
    and variance ``var``, ½·(log var + (input − target)²/var), plus ½·log 2π with
    ``full``.

    ``var`` is a number, or has the input's shape, that shape without its last axis,
    or that shape with one axis of size 1 (a variance shared along that axis). It
    must be ≥ 0; below ``eps`` it is held at ``eps`` in value only: as in PyTorch
    the gradient is taken at the held value and passed to ``var`` unchanged.

    >>> from tinygrad_bn import Tensor
    >>> gaussian_nll_loss(Tensor([1.0, 3.0]), [1.0, 1.0], 1.0, reduction="none").tolist()  # ½·(0 + d²)
    [0.0, 2.0]
    """
    check_reduction(reduction, "gaussian_nll_loss")
    target = operand(target, input)
    var = clamp_value_only(_variance(var, input), eps)
    broadcast_together("gaussian_nll_loss", input=input, target=target, var=var)
    # ½·(log σ² + (μ − y)²/σ²)
    losses = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return apply_reduction(losses, reduction)


def _variance(var, input):  # noqa: A002 - PyTorch's argument name
    """``var`` as a Tensor that broadcasts to the input's shape (a variance per
    element, per row, or shared along one axis), checked to be ≥ 0."""
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"gaussian_nll_loss expects var >= 0, got {var}")
        return full_like(input, var)
    var = operand(var, input)
    if bool((var._data < 0).any()):
        raise ValueError(f"gaussian_nll_loss expects var >= 0 everywhere, got values down to {float(var._data.min())}")
    if var.shape == input.shape:
        return var
    if var.shape == input.shape[:-1]:
        return var.unsqueeze(-1)
    mismatched = [v for i, v in zip(input.shape, var.shape) if i != v]
    if var.ndim != input.ndim or mismatched != [1]:
        raise ShapeError(f"gaussian_nll_loss expects var of the input's shape {input.shape}, that shape without its "
                         f"last axis {input.shape[:-1]}, or with one axis of size 1, got {var.shape}")
    return var
