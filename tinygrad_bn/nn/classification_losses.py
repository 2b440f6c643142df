"""The classification losses of ``torch.nn.functional``: ``nll_loss`` and
``cross_entropy`` over class indices (or, for cross-entropy, class probabilities),
and ``binary_cross_entropy`` of probabilities or logits.

>>> from tinygrad_bn import Tensor
>>> logits = Tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
>>> round(cross_entropy(logits, [0, 2]).item(), 4)  # (log(1 + 2/e²) + log 3) / 2
0.6691
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.annotations import in_own_region
from tinygrad_bn.autograd import Function, Tensor, is_grad_enabled
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.loss_helpers import (
    apply_reduction,
    broadcastable_operand,
    check_reduction,
    same_shape_target,
    weighted,
)
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.reduce import wider
from tinygrad_bn.ops.shape import ScatterAdd

CLASS_INDEX_DTYPES = ("int64", "uint8")


@in_own_region
def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean"):  # noqa: A002 - PyTorch's name
    """Negative log-likelihood −w[y]·input[n, y], from (N, C) log-probabilities and
    (N,) integer targets y (a Tensor, NumPy array or list), or (N, C, d₁, ...) and
    (N, d₁, ...) with a class per element. ``weight`` (C,) weighs each class;
    elements whose target is ``ignore_index`` count for nothing; ``"mean"`` divides
    by the total weight of the elements counted."""
    check_reduction(reduction, "nll_loss")
    rows, target, elements = _as_rows(input, target)
    target = _class_indices(target, rows, "nll_loss", ignore_index)
    losses = _weighted_nll(rows, target, _class_weights(weight, rows, "nll_loss"), ignore_index, reduction)[0]
    return _per_element(losses, elements, reduction)


@in_own_region
def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction="mean",  # noqa: A002
                  label_smoothing=0.0):
    """−log softmax(input)[n, y] for (N, C) logits and (N,) integer class indices y,
    averaged over the batch; stable for large logits (log-sum-exp is shifted).
    (N, C, d₁, ...) logits take (N, d₁, ...) targets, a class per element; a float
    target of the input's shape holds class probabilities instead
    (−Σ_c w[c]·q[n, c]·log p[n, c]). ``weight`` and ``ignore_index`` as in
    :func:`nll_loss`. With label smoothing ε the target is (1 − ε) on y plus ε/C on
    every class: loss = (1 − ε)·nll + ε/C · Σ_c −w[c]·log p[n, c], both reduced the same way."""
    check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    rows, target, elements = _as_rows(input, target)
    if isinstance(target, Tensor) and target.dtype.kind == "f" and target.shape == rows.shape:
        losses = _soft_cross_entropy(rows, target, weight, reduction, label_smoothing)
    else:
        losses = _hard_cross_entropy(rows, target, weight, ignore_index, reduction, label_smoothing)
    return _per_element(losses, elements, reduction)


def _soft_cross_entropy(logits, target, weight, reduction: str, label_smoothing: float):
    """−Σ_c w[c]·q[n, c]·log p[n, c] for class probabilities q (smoothed to
    (1 − ε)·q + ε/C), reduced; ``"mean"`` divides by the number of rows, as in PyTorch."""
    if label_smoothing:
        target = target * (1.0 - label_smoothing) + label_smoothing / logits.shape[1]
    weighted_target = target
    class_weight = _class_weights(weight, logits, "cross_entropy")
    if class_weight is not None:
        weighted_target = target * Tensor(class_weight, device=logits.device)
    return apply_reduction(-(ops.log_softmax(logits, 1) * weighted_target).sum(1), reduction)


def _hard_cross_entropy(logits, target, weight, ignore_index: int, reduction: str, label_smoothing: float):
    """Cross-entropy of (N, C) logits against (N,) class indices (see :func:`cross_entropy`)."""
    target = _class_indices(target, logits, "cross_entropy", ignore_index)
    class_weight = _class_weights(weight, logits, "cross_entropy")
    log_probs = ops.log_softmax(logits, 1)
    nll, row_weight = _weighted_nll(log_probs, target, class_weight, ignore_index, reduction)
    if label_smoothing == 0.0:
        return nll
    if class_weight is not None:
        log_probs = log_probs * Tensor(class_weight, device=logits.device)
    smooth = -log_probs.sum(1)  # Σ_c −w[c]·log p[n, c]
    if row_weight is None:
        smooth = apply_reduction(smooth, reduction)
    else:
        smooth = smooth * Tensor((target._data != ignore_index).astype(logits.dtype), device=logits.device)
        smooth = _weighted_mean(smooth, row_weight) if reduction == "mean" else apply_reduction(smooth, reduction)
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / logits.shape[1])


def _class_indices(target, log_probs, loss: str, ignore_index: int) -> Tensor:
    """``target`` as integer class indices on ``log_probs``' device, checked against
    its shape; entries equal to ``ignore_index`` are not checked."""
    target = Tensor(target, device=log_probs.device)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{loss} expects targets that are integer class indices, got dtype {target.dtype}")
    if target.dtype not in CLASS_INDEX_DTYPES:  # PyTorch's rule: Long or Byte
        raise RuntimeError(f"{loss} expects class indices of dtype int64 or uint8, as PyTorch does, got "
                           f"{target.dtype}; convert them with .long()")
    if log_probs.ndim != 2 or target.shape != log_probs.shape[:1]:
        raise ShapeError(
            f"{loss} expects input of shape (N, C) and target of shape (N,), or (N, C, d1, ...) and (N, d1, ...), "
            f"got input {log_probs.shape} and target {target.shape}"
        )
    classes, indices = log_probs.shape[1], target._data
    if indices.size and not 0 <= int(indices.min()) <= int(indices.max()) < classes:  # then look past ignore_index
        counted = indices[indices != ignore_index]
        low, high = (int(counted.min()), int(counted.max())) if counted.size else (0, 0)
        if low < 0 or high >= classes:
            raise ValueError(
                f"{loss} expects class indices in [0, {classes}) or ignore_index={ignore_index}, "
                f"got values from {low} to {high}"
            )
    return target


def _class_weights(weight, log_probs, loss: str):
    """The per-class weights as an array of ``log_probs``' dtype, checked (None stays None)."""
    classes = log_probs.shape[1]
    if weight is None:
        return None
    if isinstance(weight, str):
        raise TypeError(f"{loss} expects weight to be one number per class, got {weight!r}; "
                        "pass reduction, ignore_index and label_smoothing by keyword")
    weight = Tensor(weight, dtype=log_probs.dtype, device=log_probs.device)
    if weight.shape != (classes,):
        raise ShapeError(f"{loss} expects a weight of shape ({classes},), one per class, got {weight.shape}")
    return weight._data


def _weighted_nll(log_probs, target: Tensor, class_weight, ignore_index: int, reduction: str):
    """−w[y]·log_probs[n, y] for each row n with target y (0 where y is ignored),
    reduced; ``"mean"`` divides by Σ w[y] over the rows not ignored, as PyTorch
    does. ``class_weight`` is an array from :func:`_class_weights` (None: all 1).
    Returns the loss and the per-row weights w[y] (0 where ignored), or None
    when every row counts with weight 1."""
    xp = log_probs.xp
    counted = target._data != ignore_index
    if class_weight is None and bool(counted.all()):
        nll = NegativeLogLikelihood.apply(log_probs, target=target._data, row_weight=None, reduction=reduction,
                                          denominator=log_probs.shape[0])
        return nll, None
    picked = xp.where(counted, target._data, 0)
    row_weight = counted if class_weight is None else xp.where(counted, class_weight[picked], 0)
    row_weight = row_weight.astype(log_probs.dtype)
    nll = NegativeLogLikelihood.apply(log_probs, target=picked, row_weight=row_weight, reduction=reduction,
                                      denominator=float(row_weight.sum()))
    return nll, row_weight


class NegativeLogLikelihood(Function):
    """ℓ_n = −w_n·log_probs[n, y_n] for (N, C) log-probabilities, each row's ``target``
    y_n and weight w_n (``row_weight``, None for all 1), as one node as PyTorch's
    ``nll_loss``: the losses (``"none"``), their sum, or their sum divided by
    ``denominator`` (``"mean"``: N, or Σ w_n). The gradient is −w_n·g/denominator at
    (n, y_n) and 0 elsewhere. With nothing counted (Σ w_n = 0) the mean is NaN and
    its gradient 0, as in PyTorch. As one node, a cross-entropy step is two nodes
    (LogSoftmax, this) where picking, negating and averaging made four."""

    def forward(self, log_probs, target, row_weight, reduction: str, denominator):
        data = log_probs._data
        self.places = (log_probs.xp.arange(data.shape[0]), target)
        self.input_shape, self.row_weight = data.shape, row_weight
        self.scale = (1.0 / denominator if denominator else 0.0) if reduction == "mean" else 1.0
        losses = -data[self.places]
        if row_weight is not None:
            losses = losses * row_weight
        if reduction == "none":
            return losses
        total = losses.sum(dtype=wider(losses.dtype) or losses.dtype)
        if reduction == "mean":
            total = total / denominator if denominator else total * float("nan")
        return total.astype(data.dtype)

    def backward(self, grad):
        if is_grad_enabled():  # create_graph: a picking node's adjoint, so it is differentiated again
            per_row = grad * (-self.scale)
            if self.row_weight is not None:
                per_row = per_row * constant(self.row_weight, grad)
            rows = per_row.broadcast_to(self.input_shape[:1])
            return ScatterAdd.apply(rows, index=self.places, shape=self.input_shape)
        per_row = grad._data * (-self.scale)
        if self.row_weight is not None:
            per_row = per_row * self.row_weight
        gradient = grad.xp.zeros(self.input_shape, dtype=grad.dtype)
        gradient[self.places] = per_row
        return constant(gradient, grad)

    @property
    def name(self) -> str:
        return "NLLLoss"


def _weighted_mean(losses, row_weight):
    """Σ losses / Σ row_weight; with nothing counted NaN (0/0) with a zero gradient, as in PyTorch."""
    total = float(row_weight.sum())
    if total == 0.0:
        return losses.sum() * 0.0 + float("nan")
    return losses.sum() / total


def _as_rows(scores, target):
    """(N, C, d₁, ...) scores and (N, d₁, ...) targets as (N·d₁·..., C) rows and their
    targets (also (N, C, d₁, ...) probabilities as rows), with the shape a per-element
    loss takes back; (N, C) input is already rows. Shapes that do not fit are left
    for the callers' checks to name."""
    if scores.ndim < 3:
        return scores, target, None
    target = target if isinstance(target, Tensor) else Tensor(target)
    elements = (scores.shape[0], *scores.shape[2:])
    classes_last = (0, *range(2, scores.ndim), 1)
    rows = scores.permute(*classes_last).reshape(-1, scores.shape[1])
    if target.shape == elements:
        return rows, target.reshape(-1), elements
    if target.shape == scores.shape:
        return rows, target.permute(*classes_last).reshape(-1, scores.shape[1]), elements
    return scores, target, None


def _per_element(losses, elements, reduction: str):
    return losses.reshape(elements) if elements is not None and reduction == "none" else losses


@in_own_region
def binary_cross_entropy(input, target, weight=None, *, reduction="mean"):  # noqa: A002 - PyTorch's name
    """−w·(y·log x + (1 − y)·log(1 − x)) for probabilities x and targets y in [0, 1]
    of one shape, each log clamped at −100 as in PyTorch (so x = 0 costs 100, not ∞);
    ``weight`` w broadcasts to the input's shape. Where a log is clamped its
    gradient is 0. For logits use :func:`binary_cross_entropy_with_logits`.

    >>> from tinygrad_bn import Tensor
    >>> binary_cross_entropy(Tensor([0.5, 0.0]), [1.0, 1.0], reduction="none").tolist()  # log 2, 100
    [0.6931471824645996, 100.0]
    """
    check_reduction(reduction, "binary_cross_entropy")
    target = same_shape_target(target, input, "binary_cross_entropy")
    for name, t in (("input", input), ("target", target)):
        low, high = float(t._data.min()), float(t._data.max())
        if low < 0 or high > 1:
            raise ValueError(f"binary_cross_entropy expects {name} values in [0, 1], got values from {low} to "
                             f"{high}; for logits use binary_cross_entropy_with_logits")
    losses = -(target * _log_at_least_minus_100(input) + (1.0 - target) * _log_at_least_minus_100(1.0 - input))
    return apply_reduction(weighted(losses, weight, "binary_cross_entropy"), reduction)


def _log_at_least_minus_100(p):
    """max(log p, −100). Where the clamp holds, log sees 1 instead of p, so no 0/0
    reaches the gradient (which is 0 there) nor its derivative."""
    clamped = p < math.exp(-100)
    return ops.where(clamped, -100.0, ops.where(clamped, 1.0, p).log())


@in_own_region
def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction="mean",  # noqa: A002
                                     pos_weight=None):
    """:func:`binary_cross_entropy` of σ(x) for logits x, computed without overflow:
    ℓ = w·((1 − y)·x + l·log(1 + e^(−x))), with l = 1 + (p − 1)·y for ``pos_weight``
    p (which broadcasts to the input's shape, e.g. one per class on the last axis)
    and l = 1 without; l = 1 gives max(x, 0) − x·y + log(1 + e^(−|x|)).

    >>> from tinygrad_bn import Tensor
    >>> binary_cross_entropy_with_logits(Tensor([1000.0, 0.0]), [0.0, 1.0], reduction="none").tolist()
    [1000.0, 0.6931471824645996]
    """
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = same_shape_target(target, input, "binary_cross_entropy_with_logits")
    # log(1 + e^(−x)) = log(e⁰ + e^(−x)), a log-sum-exp: shifted by max(−x, 0), it never
    # overflows, and its gradient is −σ(−x) everywhere, also at x = 0
    softplus = ops.stack([ops.zeros_like(input), -input]).logsumexp(0)
    if pos_weight is not None:
        pos_weight = broadcastable_operand(pos_weight, input, "binary_cross_entropy_with_logits", "pos_weight")
        softplus = softplus * (1.0 + (pos_weight - 1.0) * target)
    losses = (1.0 - target) * input + softplus
    return apply_reduction(weighted(losses, weight, "binary_cross_entropy_with_logits"), reduction)
