"""Margin losses, with PyTorch's names: for pairs and triplets of embeddings
(``cosine_embedding_loss``, ``margin_ranking_loss``, ``hinge_embedding_loss``,
``triplet_margin_loss``, ``triplet_margin_with_distance_loss``) and for class scores
(``soft_margin_loss``, ``multilabel_soft_margin_loss``, ``multi_margin_loss``,
``multilabel_margin_loss``). Their modules are in :mod:`tinygrad_bn.nn.losses`.

A hinge max(0, h) passes its gradient where h ≥ 0 in the losses of embeddings and
where h > 0 in those of class scores, as PyTorch's do.

>>> from tinygrad_bn import Tensor
>>> margin_ranking_loss(Tensor([2.0, 0.0]), Tensor([1.0, 1.0]), [1.0, 1.0], reduction="none").tolist()
[0.0, 1.0]
"""

from __future__ import annotations

from tinygrad_bn.annotations import in_own_region
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.activation import logsigmoid
from tinygrad_bn.nn.distance import pairwise_distance
from tinygrad_bn.nn.loss_helpers import apply_reduction, broadcast_together, check_reduction, operand
from tinygrad_bn.ops import minimum, where

#: ε under the squared norms of cosine_embedding_loss, as PyTorch's.
COSINE_EPS = 1e-12

# Pairs and triplets of embeddings ----------------------------------------------------------


@in_own_region
def cosine_embedding_loss(input1, input2, target, margin=0, *, reduction="mean"):
    """1 − cos(x1, x2) where the target is 1 (alike), max(0, cos(x1, x2) − margin)
    where it is −1 (unlike), 0 for other targets; for the rows of (N, D) inputs with
    (N,) targets, or (D,) vectors with a 0-d target. As in PyTorch
    cos = x1·x2 / √((‖x1‖² + ε)(‖x2‖² + ε)) with ε = 1e-12.

    >>> from tinygrad_bn import Tensor
    >>> cosine_embedding_loss(Tensor([[1.0, 0.0]]), Tensor([[0.0, 1.0]]), [-1.0]).item()  # cos = 0
    0.0
    """
    check_reduction(reduction, "cosine_embedding_loss")
    target = operand(target, input1)
    if target.ndim > 1 or input1.ndim != target.ndim + 1 or input2.ndim != target.ndim + 1:
        raise ShapeError(f"cosine_embedding_loss expects inputs (N, D) with a target (N,), or (D,) with a 0-d "
                         f"target, got {input1.shape}, {input2.shape} and a target {target.shape}")
    axis = target.ndim
    # cos = x1·x2 / √((‖x1‖² + ε)(‖x2‖² + ε))
    squares = ((input1 * input1).sum(axis) + COSINE_EPS) * ((input2 * input2).sum(axis) + COSINE_EPS)
    cos = (input1 * input2).sum(axis) / squares.sqrt()
    losses = where(target == 1, 1.0 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0.0), 0.0)
    return apply_reduction(losses, reduction)


@in_own_region
def margin_ranking_loss(input1, input2, target, margin=0, *, reduction="mean"):
    """max(0, −y·(x1 − x2) + margin): x1 should rank above x2 by ``margin`` where
    y = 1, below it where y = −1. The three broadcast together and have one number
    of axes, as PyTorch asks."""
    check_reduction(reduction, "margin_ranking_loss")
    target = operand(target, input1)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ShapeError(f"margin_ranking_loss expects input1, input2 and target with one number of axes, got "
                         f"{input1.shape}, {input2.shape} and {target.shape}")
    # max(0, −y·(x1 − x2) + margin)
    return apply_reduction((-target * (input1 - input2) + margin).clamp(min=0.0), reduction)


@in_own_region
def hinge_embedding_loss(input, target, margin=1.0, *, reduction="mean"):  # noqa: A002 - PyTorch's name
    """x where y = 1 and max(0, margin − x) where y = −1, for x a distance and y
    whether the pair is alike (other targets get both, as in PyTorch); input and
    target broadcast together.

    >>> from tinygrad_bn import Tensor
    >>> hinge_embedding_loss(Tensor([0.25, 0.25]), [1.0, -1.0], reduction="none").tolist()  # x, 1 − x
    [0.25, 0.75]
    """
    check_reduction(reduction, "hinge_embedding_loss")
    target = operand(target, input)
    broadcast_together("hinge_embedding_loss", input=input, target=target)
    unlike = where(target != 1, (margin - input).clamp(min=0.0), 0.0)
    return apply_reduction(unlike + where(target != -1, input, 0.0), reduction)


@in_own_region
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, *, reduction="mean"):
    """max(0, d(a, p) − d(a, n) + margin), d the :func:`pairwise_distance` with
    ``p`` and ``eps``: the anchor should be closer to the positive than to the
    negative by ``margin``. With ``swap``, d(a, n) is d(p, n) where that is smaller."""
    return _triplet_loss("triplet_margin_loss", lambda x1, x2: pairwise_distance(x1, x2, p, eps),
                         anchor, positive, negative, margin, swap, reduction)


@in_own_region
def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """:func:`triplet_margin_loss` with d = ``distance_function`` (a function or
    module of two tensors; :func:`pairwise_distance` by default)."""
    distance = pairwise_distance if distance_function is None else distance_function
    return _triplet_loss("triplet_margin_with_distance_loss", distance, anchor, positive, negative, margin, swap,
                         reduction)


def _triplet_loss(loss: str, distance, anchor, positive, negative, margin, swap: bool, reduction: str):
    """max(0, margin + d(a, p) − d(a, n)), with d(a, n) ← min(d(a, n), d(p, n)) for ``swap``."""
    check_reduction(reduction, loss)
    if margin <= 0:
        raise ValueError(f"{loss} expects a margin greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ShapeError(f"{loss} expects anchor, positive and negative with one number of axes, got "
                         f"{anchor.shape}, {positive.shape} and {negative.shape}")
    distance_to_negative = distance(anchor, negative)
    if swap:
        distance_to_negative = minimum(distance_to_negative, distance(positive, negative))
    return apply_reduction((margin + distance(anchor, positive) - distance_to_negative).clamp(min=0.0), reduction)


# Class scores ------------------------------------------------------------------------------


@in_own_region
def soft_margin_loss(input, target, *, reduction="mean"):  # noqa: A002 - PyTorch's argument name
    """log(1 + e^(−y·x)), the logistic loss of scores x and labels y = ±1 (which
    broadcast together); finite for any score, where PyTorch's overflows to ∞ past
    −y·x ≈ 89 in float32 (710 in float64).

    >>> from tinygrad_bn import Tensor
    >>> soft_margin_loss(Tensor([0.0, 1000.0]), [1.0, -1.0], reduction="none").tolist()  # log 2, 1000
    [0.6931471824645996, 1000.0]
    """
    check_reduction(reduction, "soft_margin_loss")
    target = operand(target, input)
    broadcast_together("soft_margin_loss", input=input, target=target)
    # log(1 + e^(−y·x)) = −log σ(y·x)
    return apply_reduction(-logsigmoid(target * input), reduction)


@in_own_region
def multilabel_soft_margin_loss(input, target, weight=None, *, reduction="mean"):  # noqa: A002 - PyTorch's name
    """−Σ_c w[c]·(y[c]·log σ(x[c]) + (1 − y[c])·log σ(−x[c])) / C over the C classes on
    the last axis: one loss per sample, for targets y in [0, 1] and scores x (which
    broadcast together, with the weight w too)."""
    check_reduction(reduction, "multilabel_soft_margin_loss")
    if input.ndim == 0:
        raise ShapeError("multilabel_soft_margin_loss expects scores with classes on the last axis, got a 0-d input")
    target = operand(target, input)
    broadcast_together("multilabel_soft_margin_loss", input=input, target=target)
    # −(y·log σ(x) + (1 − y)·log σ(−x))
    losses = -(target * logsigmoid(input) + (1.0 - target) * logsigmoid(-input))
    if weight is not None:
        losses = losses * operand(weight, input)
    return apply_reduction(losses.sum(-1) / input.shape[-1], reduction)


@in_own_region
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, *, reduction="mean"):  # noqa: A002
    """Σ_{j ≠ y} w[y]·max(0, margin − x[y] + x[j])ᵖ / C for each row x of (N, C) scores
    (or one (C,) row) with class y: the target's score should exceed every other by
    ``margin``. p is 1 or 2; ``weight`` w (C,) weighs each target class.

    >>> from tinygrad_bn import Tensor
    >>> round(multi_margin_loss(Tensor([[0.5, 1.0, 0.0]]), [1]).item(), 4)  # (0.5 + 0) / 3
    0.1667
    """
    check_reduction(reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss supports p = 1 or p = 2, got p={p!r}")
    if input.ndim > 2:
        raise ShapeError(f"multi_margin_loss expects scores (N, C) or (C,), got {input.shape}")
    rows = input.reshape(-1, input.shape[-1] if input.ndim else 1)
    count, classes = rows.shape
    target = _class_indices(target, rows, "multi_margin_loss", count)
    y = target.reshape(-1, 1)
    # max(0, margin − x[y] + x[j])ᵖ for every class j ≠ y
    hinge = (margin - rows.gather(1, y) + rows).relu()
    hinge = hinge if p == 1 else hinge * hinge
    j = Tensor(rows.xp.arange(classes), device=rows.device)
    hinge = where(j != y, hinge, 0.0)
    if weight is not None:
        weight = operand(weight, input)
        if weight.shape != (classes,):
            raise ShapeError(f"multi_margin_loss expects a weight of shape ({classes},), one per class, "
                             f"got {weight.shape}")
        hinge = hinge * weight[target].reshape(-1, 1)
    losses = hinge.sum(1) / classes
    return apply_reduction(losses if input.ndim == 2 else losses.reshape(target.shape), reduction)


@in_own_region
def multilabel_margin_loss(input, target, *, reduction="mean"):  # noqa: A002 - PyTorch's argument name
    """Σ_{j ∈ Y} Σ_{i ∉ Y} max(0, 1 − (x[j] − x[i])) / C for each row x of (N, C)
    scores (or one (C,) row): every target class should score above every other
    class by 1. A row's target classes Y are the entries of its target row (of the
    input's shape) before the first −1; a class listed twice counts twice, as in
    PyTorch.

    >>> from tinygrad_bn import Tensor
    >>> round(multilabel_margin_loss(Tensor([0.1, 0.2, 0.4, 0.8]), [3, 0, -1, 1]).item(), 4)  # 3.4 / 4
    0.85
    """
    check_reduction(reduction, "multilabel_margin_loss")
    if input.ndim not in (1, 2):
        raise ShapeError(f"multilabel_margin_loss expects scores (N, C) or (C,), got {input.shape}")
    rows = input.reshape(-1, input.shape[-1])
    counts = _label_counts(target, input)
    # h[n, j, i] = max(0, 1 − x[n, j] + x[n, i]), for j a target class and i not one
    hinge = (1.0 - rows.unsqueeze(2) + rows.unsqueeze(1)).relu()
    pairs = counts[:, :, None] * (counts == 0)[:, None, :]
    losses = (hinge * Tensor(pairs.astype(rows.dtype), device=rows.device)).sum((1, 2)) / rows.shape[1]
    return apply_reduction(losses if input.ndim == 2 else losses.reshape(()), reduction)


def _class_indices(target, rows, loss: str, count: int) -> Tensor:
    """``target`` as ``count`` integer class indices of ``rows`` (N, C), checked."""
    target = Tensor(target, device=rows.device)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{loss} expects targets that are integer class indices, got dtype {target.dtype}")
    if target.ndim > 1 or target.numel() != count:
        raise ShapeError(f"{loss} expects {count} class indices, one per row of scores of shape {rows.shape}, "
                         f"got a target of shape {target.shape}")
    _check_in_range(target._data, rows.shape[1], loss)
    return target


def _label_counts(target, input):  # noqa: A002 - PyTorch's argument name
    """How often each class is listed in each row of ``target`` before its first −1:
    an (N, C) integer array on the input's device, for (N, C) or (C,) scores."""
    target = Tensor(target, device=input.device)
    if target.dtype.kind not in "iu":
        raise TypeError(f"multilabel_margin_loss expects targets that are integer class indices, "
                        f"got dtype {target.dtype}")
    if target.shape != input.shape:
        raise ShapeError(f"multilabel_margin_loss expects a target of the input's shape {input.shape}, "
                         f"got {target.shape}")
    xp, classes = input.xp, input.shape[-1]
    labels = target._data.reshape(-1, classes)
    listed = xp.cumprod(labels != -1, axis=1).astype(bool)  # before the first −1
    _check_in_range(labels[listed], classes, "multilabel_margin_loss")
    return ((labels[:, :, None] == xp.arange(classes)) & listed[:, :, None]).sum(1)


def _check_in_range(indices, classes: int, loss: str):
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= classes):
        raise ValueError(f"{loss} expects class indices in [0, {classes}), got values from {int(indices.min())} "
                         f"to {int(indices.max())}")
