"""Stateless layers and losses, named and shaped as in ``torch.nn.functional``.

>>> from tinygrad_bn import Tensor
>>> from tinygrad_bn.nn import functional as F
>>> logits = Tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
>>> round(F.cross_entropy(logits, [0, 2]).item(), 4)  # (log(1 + 2/e²) + log 3) / 2
0.6691
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.annotations import in_own_region
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.batchnorm import batch_norm
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.activation import (
    celu,
    elu,
    gelu,
    glu,
    gumbel_softmax,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    prelu,
    relu6,
    rrelu,
    selu,
    silu,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
)
from tinygrad_bn.nn.attention import scaled_dot_product_attention
from tinygrad_bn.nn.conv_transpose import conv_transpose1d, conv_transpose2d
from tinygrad_bn.nn.distance import cosine_similarity, pairwise_distance
from tinygrad_bn.nn.dropout import dropout, dropout2d
from tinygrad_bn.nn.embedding import embedding, one_hot
from tinygrad_bn.nn.interpolate import interpolate
from tinygrad_bn.nn.margin_losses import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from tinygrad_bn.nn.normalization import group_norm, layer_norm
from tinygrad_bn.nn.padding import pad
from tinygrad_bn.nn.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d, max_unpool2d
from tinygrad_bn.nn.probabilistic_losses import gaussian_nll_loss, kl_div, poisson_nll_loss
from tinygrad_bn.nn.unbatched import also_unbatched
from tinygrad_bn.ops import convolution, relu, sigmoid, tanh
from tinygrad_bn.ops.elementwise import broadcast_shapes
from tinygrad_bn.ops.windows import fold, ints, pair, unfold

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "cross_entropy", "dropout", "dropout2d", "elu",
    "embedding", "fold", "gelu", "group_norm",
    "huber_loss", "interpolate", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "max_pool2d",
    "max_unpool2d",
    "mse_loss", "nll_loss", "normalize", "one_hot", "pad", "relu", "softplus",
    "scaled_dot_product_attention", "sigmoid", "silu", "smooth_l1_loss", "softmax", "tanh", "unfold",
    "cosine_embedding_loss", "cosine_similarity", "gaussian_nll_loss", "hinge_embedding_loss", "kl_div",
    "margin_ranking_loss", "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
    "pairwise_distance", "poisson_nll_loss", "soft_margin_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "celu", "glu", "gumbel_softmax", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "logsigmoid", "mish",
    "prelu", "relu6", "rrelu", "selu", "softmin", "softshrink", "softsign", "tanhshrink", "threshold",
]

REDUCTIONS = ("mean", "sum", "none")


# Layers -----------------------------------------------------------------------------


def linear(input, weight, bias=None):  # noqa: A002 - PyTorch's argument name
    """y = x Wᵀ + b, with ``weight`` of shape (out_features, in_features).

    >>> from tinygrad_bn import Tensor
    >>> linear(Tensor([[1.0, 2.0]]), Tensor([[3.0, 4.0]]), Tensor([0.5])).tolist()
    [[11.5]]
    """
    output = ops.linalg.linear(input, weight)
    return output if bias is None else output + bias


@also_unbatched(3)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002 - PyTorch's name
    """1-D cross-correlation of (N, C, L) signals with (O, C/groups, k) kernels:
    :func:`conv2d` of 1 × L images with 1 × k kernels.

    >>> from tinygrad_bn import ones
    >>> conv1d(ones(1, 1, 4), ones(1, 1, 2), padding=1).numpy()[0, 0].tolist()
    [1.0, 2.0, 2.0, 2.0, 1.0]
    """
    _check_conv_shapes("conv1d", input, weight, bias, groups, kernel_axes="k", input_axes="L")
    stride, dilation = ints(stride, 1, "stride"), ints(dilation, 1, "dilation")
    sides = (0, 0, *conv_padding(padding, weight.shape[2:], stride, dilation, "conv1d"))  # none above and below
    output = convolution.conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, *stride), sides, (1, *dilation),
                                groups)
    return output.squeeze(2)


@also_unbatched(4)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002 - PyTorch's name
    """2-D cross-correlation of (N, C, H, W) images with (O, C/groups, kh, kw) kernels.

    The windows are laid out as columns and multiplied by the weight seen as an
    (O, C·kh·kw) matrix, the whole batch in one product
    (:class:`~tinygrad_bn.ops.convolution.Convolution`); with ``groups`` g,
    channels and kernels split into g groups and group k of the output sees group k
    of the input only.

    >>> from tinygrad_bn import ones
    >>> conv2d(ones(1, 1, 3, 3), ones(1, 1, 2, 2), padding=1).numpy()[0, 0].tolist()
    [[1.0, 2.0, 2.0, 1.0], [2.0, 4.0, 4.0, 2.0], [2.0, 4.0, 4.0, 2.0], [1.0, 2.0, 2.0, 1.0]]
    """
    _check_conv_shapes("conv2d", input, weight, bias, groups, kernel_axes="kh, kw", input_axes="H, W")
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    sides = conv_padding(padding, weight.shape[2:], stride, dilation)
    return convolution.conv2d(input, weight, bias, stride, sides, dilation, groups)


def _check_conv_shapes(conv: str, x, weight, bias, groups, kernel_axes: str, input_axes: str):
    """Refuse a ``groups`` that is not a positive int, or a weight (out, in/groups, *kernel),
    input ``x`` (N, in, *spatial) and ``bias`` (out,) that do not fit each other."""
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ArgumentError(f"{conv}: groups must be a positive int, got {groups!r}")
    axes = 2 + len(kernel_axes.split(","))
    if weight.ndim != axes or weight.shape[0] % groups:
        raise ShapeError(f"{conv} expects a weight of shape (out, in/groups, {kernel_axes}) with out divisible by "
                         f"groups={groups}, got {weight.shape}")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ShapeError(f"{conv} expects a bias of shape ({weight.shape[0]},), one per output channel, "
                         f"got {bias.shape}")
    in_channels = weight.shape[1] * groups
    if x.ndim != axes or x.shape[1] != in_channels:
        raise ShapeError(
            f"{conv} with weight of shape {weight.shape} (out, in/groups, {kernel_axes}) and groups={groups} "
            f"expects input of shape (N, {in_channels}, {input_axes}), got {x.shape}"
        )


def conv_padding(padding, kernel_size: tuple, stride: tuple, dilation: tuple, conv: str = "conv2d") -> tuple:
    """The zeros (before, after) on each spatial axis, flattened ((top, bottom, left, right)
    for conv2d), for a convolution's ``padding``: an int or one per axis (each side),
    ``"valid"`` (none) or ``"same"`` (the output keeps the input's size: d·(k − 1) in
    all per axis, the odd one after, at the bottom or right, as in PyTorch; stride 1 only)."""
    if padding == "valid":
        return (0,) * 2 * len(kernel_size)
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ArgumentError(f"{conv}: padding='same' needs stride 1, got stride {stride}")
        totals = [d * (k - 1) for k, d in zip(kernel_size, dilation, strict=True)]
        return tuple(side for total in totals for side in (total // 2, total - total // 2))
    if isinstance(padding, str):
        raise ArgumentError(f"{conv}: padding must be 'same', 'valid', an int or one per axis, got {padding!r}")
    return tuple(side for p in ints(padding, len(kernel_size), "padding", minimum=0) for side in (p, p))


def normalize(input, p=2.0, dim=1, eps=1e-12):  # noqa: A002 - PyTorch's argument name
    """x / max(‖x‖_p, ε) along ``dim``: unit vectors, as PyTorch's ``normalize``."""
    return input / input.norm(p, dim=dim, keepdim=True).clamp(min=eps)


def leaky_relu(input, negative_slope=0.01):  # noqa: A002 - PyTorch's argument name
    """x where x > 0, negative_slope·x elsewhere (so the gradient at 0 is the slope, as in PyTorch)."""
    return ops.where(input > 0, input, input * negative_slope)


def softmax(input, dim=-1):  # noqa: A002 - PyTorch's argument name
    """exp(x) / Σ exp(x) along ``dim``."""
    return ops.softmax(input, dim)


def log_softmax(input, dim=-1):  # noqa: A002 - PyTorch's argument name
    """log softmax(x) along ``dim``, computed without overflow."""
    return ops.log_softmax(input, dim)


# Losses -----------------------------------------------------------------------------


def _reduce(losses, reduction: str):
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _class_indices(target, log_probs, loss: str, ignore_index: int) -> Tensor:
    """``target`` as integer class indices on ``log_probs``' device, checked against
    its shape; entries equal to ``ignore_index`` are not checked."""
    target = Tensor(target, device=log_probs.device)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{loss} expects targets that are integer class indices, got dtype {target.dtype}")
    if log_probs.ndim != 2 or target.shape != log_probs.shape[:1]:
        raise ShapeError(
            f"{loss} expects input of shape (N, C) and target of shape (N,), or (N, C, d1, ...) and (N, d1, ...), "
            f"got input {log_probs.shape} and target {target.shape}"
        )
    classes = log_probs.shape[1]
    counted = target._data[target._data != ignore_index]
    if counted.size:
        low, high = int(counted.min()), int(counted.max())
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
    rows = xp.arange(log_probs.shape[0])
    counted = target._data != ignore_index
    if class_weight is None and bool(counted.all()):
        return _reduce(-log_probs[rows, target._data], reduction), None
    picked = xp.where(counted, target._data, 0)
    row_weight = counted if class_weight is None else xp.where(counted, class_weight[picked], 0)
    row_weight = row_weight.astype(log_probs.dtype)
    losses = -log_probs[rows, picked] * Tensor(row_weight, device=log_probs.device)
    if reduction == "mean":
        return _weighted_mean(losses, row_weight), row_weight
    return _reduce(losses, reduction), row_weight


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
def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean"):  # noqa: A002 - PyTorch's name
    """Negative log-likelihood −w[y]·input[n, y], from (N, C) log-probabilities and
    (N,) integer targets y (a Tensor, NumPy array or list), or (N, C, d₁, ...) and
    (N, d₁, ...) with a class per element. ``weight`` (C,) weighs each class;
    elements whose target is ``ignore_index`` count for nothing; ``"mean"`` divides
    by the total weight of the elements counted."""
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
    weighted = target
    class_weight = _class_weights(weight, logits, "cross_entropy")
    if class_weight is not None:
        weighted = target * Tensor(class_weight, device=logits.device)
    return _reduce(-(log_softmax(logits, dim=1) * weighted).sum(1), reduction)


def _hard_cross_entropy(logits, target, weight, ignore_index: int, reduction: str, label_smoothing: float):
    """Cross-entropy of (N, C) logits against (N,) class indices (see :func:`cross_entropy`)."""
    target = _class_indices(target, logits, "cross_entropy", ignore_index)
    class_weight = _class_weights(weight, logits, "cross_entropy")
    log_probs = log_softmax(logits, dim=1)
    nll, row_weight = _weighted_nll(log_probs, target, class_weight, ignore_index, reduction)
    if label_smoothing == 0.0:
        return nll
    if class_weight is not None:
        log_probs = log_probs * Tensor(class_weight, device=logits.device)
    smooth = -log_probs.sum(1)  # Σ_c −w[c]·log p[n, c]
    if row_weight is None:
        smooth = _reduce(smooth, reduction)
    else:
        smooth = smooth * Tensor((target._data != ignore_index).astype(logits.dtype), device=logits.device)
        smooth = _weighted_mean(smooth, row_weight) if reduction == "mean" else _reduce(smooth, reduction)
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / logits.shape[1])


@in_own_region
def mse_loss(input, target, reduction="mean"):  # noqa: A002 - PyTorch's argument name
    """(input − target)², averaged. The two shapes must be equal."""
    difference = input - _target(target, input, "mse_loss")
    return _reduce(difference * difference, reduction)


@in_own_region
def l1_loss(input, target, *, reduction="mean"):  # noqa: A002 - PyTorch's argument name
    """|input − target|, averaged; where the two are equal the gradient is 0, as in PyTorch.

    >>> from tinygrad_bn import Tensor
    >>> l1_loss(Tensor([1.0, -2.0]), [0.0, 1.0]).item()
    2.0
    """
    return _reduce((input - _target(target, input, "l1_loss")).abs(), reduction)


@in_own_region
def smooth_l1_loss(input, target, *, reduction="mean", beta=1.0):  # noqa: A002 - PyTorch's argument name
    """½·d²/β where |d| < β, |d| − β/2 elsewhere, for d = input − target; β = 0 is :func:`l1_loss`.

    >>> from tinygrad_bn import Tensor
    >>> smooth_l1_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none").tolist()
    [0.125, 2.5]
    """
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    return _reduce(_smooth_l1(input - _target(target, input, "smooth_l1_loss"), beta), reduction)


@in_own_region
def huber_loss(input, target, *, reduction="mean", delta=1.0):  # noqa: A002 - PyTorch's argument name
    """½·d² where |d| < δ, δ·(|d| − δ/2) elsewhere, for d = input − target: δ times
    :func:`smooth_l1_loss` with β = δ.

    >>> from tinygrad_bn import Tensor
    >>> huber_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none", delta=2.0).tolist()
    [0.125, 4.0]
    """
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    return _reduce(_smooth_l1(input - _target(target, input, "huber_loss"), delta) * delta, reduction)


def _smooth_l1(d, beta: float):
    """½·d²/β where |d| < β, |d| − β/2 elsewhere; both pieces meet with slope ±1.
    With β = 0 only |d| is left (and no 0/0 from the unused piece reaches the gradient)."""
    size = d.abs()
    if beta == 0:
        return size
    return ops.where(size < beta, 0.5 * d * d / beta, size - 0.5 * beta)


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
    target = _target(target, input, "binary_cross_entropy")
    for name, t in (("input", input), ("target", target)):
        low, high = float(t._data.min()), float(t._data.max())
        if low < 0 or high > 1:
            raise ValueError(f"binary_cross_entropy expects {name} values in [0, 1], got values from {low} to "
                             f"{high}; for logits use binary_cross_entropy_with_logits")
    losses = -(target * _log_at_least_minus_100(input) + (1.0 - target) * _log_at_least_minus_100(1.0 - input))
    return _reduce(_weighted(losses, weight, "binary_cross_entropy"), reduction)


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
    target = _target(target, input, "binary_cross_entropy_with_logits")
    # log(1 + e^(−x)) = log(e⁰ + e^(−x)), a log-sum-exp: shifted by max(−x, 0), it never
    # overflows, and its gradient is −σ(−x) everywhere, also at x = 0
    softplus = ops.stack([ops.zeros_like(input), -input]).logsumexp(0)
    if pos_weight is not None:
        pos_weight = _broadcastable(pos_weight, input, "binary_cross_entropy_with_logits", "pos_weight")
        softplus = softplus * (1.0 + (pos_weight - 1.0) * target)
    losses = (1.0 - target) * input + softplus
    return _reduce(_weighted(losses, weight, "binary_cross_entropy_with_logits"), reduction)


def _target(target, input, loss: str) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """``target`` as a Tensor (others in ``input``'s dtype, on its device), of ``input``'s shape."""
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=input.dtype, device=input.device)
    if input.shape != target.shape:
        raise ShapeError(f"{loss} expects input and target of one shape, got {input.shape} and {target.shape}")
    return target


def _broadcastable(value, like, loss: str, name: str) -> Tensor:
    """``value`` as a Tensor (others in ``like``'s dtype, on its device) that broadcasts to ``like``'s shape."""
    if not isinstance(value, Tensor):
        value = Tensor(value, dtype=like.dtype, device=like.device)
    if broadcast_shapes(value.shape, like.shape) != like.shape:
        raise ShapeError(f"{loss} expects a {name} that broadcasts to the input's shape {like.shape}, "
                         f"got {value.shape}")
    return value


def _weighted(losses, weight, loss: str):
    """w·losses, for a ``weight`` w that broadcasts to their shape (None: the losses)."""
    return losses if weight is None else losses * _broadcastable(weight, losses, loss, "weight")
