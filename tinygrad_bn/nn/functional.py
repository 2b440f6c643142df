"""Stateless layers and losses, named and shaped as in ``torch.nn.functional``.

>>> from tinygrad_bn import Tensor
>>> from tinygrad_bn.nn import functional as F
>>> logits = Tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
>>> round(F.cross_entropy(logits, [0, 2]).item(), 4)  # (log(1 + 2/e²) + log 3) / 2
0.6691
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.batchnorm import batch_norm
from tinygrad_bn.nn.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d, max_unpool2d
from tinygrad_bn.nn.windows import fold, pad_images, pair, unfold, windows_per_axis
from tinygrad_bn.ops import generator, relu, sigmoid, tanh

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "conv2d", "cross_entropy", "dropout", "fold",
    "leaky_relu", "linear", "log_softmax", "max_pool2d", "max_unpool2d", "mse_loss", "nll_loss", "relu",
    "sigmoid", "softmax", "tanh", "unfold",
]

REDUCTIONS = ("mean", "sum", "none")


# Layers -----------------------------------------------------------------------------


def linear(input, weight, bias=None):  # noqa: A002 - PyTorch's argument name
    """y = x Wᵀ + b, with ``weight`` of shape (out_features, in_features).

    >>> from tinygrad_bn import Tensor
    >>> linear(Tensor([[1.0, 2.0]]), Tensor([[3.0, 4.0]]), Tensor([0.5])).tolist()
    [[11.5]]
    """
    if weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear with weight of shape {weight.shape} (out, in) expects input of shape "
            f"(..., {weight.shape[-1]}), got {input.shape}"
        )
    output = input @ weight.T
    return output if bias is None else output + bias


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002 - PyTorch's name
    """2-D cross-correlation of (N, C, H, W) images with (O, C/groups, kh, kw) kernels.

    The windows are laid out as columns (:func:`unfold`) and multiplied by the
    weight seen as an (O, C·kh·kw) matrix; with ``groups`` g, channels and
    kernels split into g groups and group k of the output sees group k of the
    input only (one batched matrix product).

    >>> from tinygrad_bn import ones
    >>> conv2d(ones(1, 1, 3, 3), ones(1, 1, 2, 2), padding=1).numpy()[0, 0].tolist()
    [[1.0, 2.0, 2.0, 1.0], [2.0, 4.0, 4.0, 2.0], [2.0, 4.0, 4.0, 2.0], [1.0, 2.0, 2.0, 1.0]]
    """
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    if weight.ndim != 4 or weight.shape[0] % groups:
        raise ValueError(f"conv2d expects a weight of shape (out, in/groups, kh, kw) with out divisible by "
                         f"groups={groups}, got {weight.shape}")
    in_channels = weight.shape[1] * groups
    if input.ndim != 4 or input.shape[1] != in_channels:
        raise ValueError(
            f"conv2d with weight of shape {weight.shape} (out, in/groups, kh, kw) and groups={groups} expects "
            f"input of shape (N, {in_channels}, H, W), got {input.shape}"
        )
    out_channels, _, kh, kw = weight.shape
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    sides = conv_padding(padding, (kh, kw), stride, dilation)
    padded = pad_images(input, sides)
    n = input.shape[0]
    counts = windows_per_axis(padded.shape[2:], (kh, kw), stride, dilation)
    windows = counts[0] * counts[1]
    columns = unfold(padded, (kh, kw), dilation=dilation, stride=stride)
    # out[n, g, o, l] = Σ_k W[g, o, k] · columns[n, g, k, l],  k running over (c, i, j) of group g
    if groups == 1:
        output = weight.reshape(out_channels, -1) @ columns
    else:
        kernels = weight.reshape(groups, out_channels // groups, -1)
        output = (kernels @ columns.reshape(n, groups, -1, windows)).reshape(n, out_channels, windows)
    if bias is not None:
        output = output + bias.reshape(out_channels, 1)
    return output.reshape(n, out_channels, *counts)


def conv_padding(padding, kernel_size: tuple, stride: tuple, dilation: tuple) -> tuple:
    """(top, bottom, left, right) zeros for conv2d's ``padding``: an int or pair
    (each side), ``"valid"`` (none) or ``"same"`` (the output keeps the input's
    size: d·(k − 1) in all per axis, the odd one at the bottom or right, as in
    PyTorch; stride 1 only)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"conv2d: padding='same' needs stride 1, got stride {stride}")
        totals = [d * (k - 1) for k, d in zip(kernel_size, dilation, strict=True)]
        return (totals[0] // 2, totals[0] - totals[0] // 2, totals[1] // 2, totals[1] - totals[1] // 2)
    if isinstance(padding, str):
        raise ValueError(f"conv2d: padding must be 'same', 'valid', an int or a pair of ints, got {padding!r}")
    ph, pw = pair(padding, "padding", minimum=0)
    return (ph, ph, pw, pw)


def dropout(input, p=0.5, training=True):  # noqa: A002 - PyTorch's argument name
    """Inverted dropout: in training, zero each element with probability ``p`` and
    scale the rest by 1/(1 − p); the identity otherwise. The mask is drawn from the
    seeded host generator (:func:`tinygrad_bn.manual_seed`)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = generator().random(input.shape) >= p
    mask = Tensor(keep.astype(input.dtype) / (1.0 - p), dtype=input.dtype, device=input.device)
    return input * mask


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
        raise ValueError(
            f"{loss} expects input of shape (N, C) and target of shape (N,), "
            f"got input {log_probs.shape} and target {target.shape}"
        )
    classes = log_probs.shape[1]
    counted = target.data[target.data != ignore_index]
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
        raise ValueError(f"{loss} expects a weight of shape ({classes},), one per class, got {weight.shape}")
    return weight.data


def _weighted_nll(log_probs, target: Tensor, class_weight, ignore_index: int, reduction: str):
    """−w[y]·log_probs[n, y] for each row n with target y (0 where y is ignored),
    reduced; ``"mean"`` divides by Σ w[y] over the rows not ignored, as PyTorch
    does. ``class_weight`` is an array from :func:`_class_weights` (None: all 1).
    Returns the loss and the per-row weights w[y] (0 where ignored), or None
    when every row counts with weight 1."""
    xp = log_probs.xp
    rows = xp.arange(log_probs.shape[0])
    counted = target.data != ignore_index
    if class_weight is None and bool(counted.all()):
        return _reduce(-log_probs[rows, target.data], reduction), None
    picked = xp.where(counted, target.data, 0)
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


def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean"):  # noqa: A002 - PyTorch's name
    """Negative log-likelihood −w[y]·input[n, y], from (N, C) log-probabilities and
    (N,) integer targets y (a Tensor, NumPy array or list). ``weight`` (C,) weighs
    each class; rows whose target is ``ignore_index`` count for nothing; ``"mean"``
    divides by the total weight of the rows counted."""
    target = _class_indices(target, input, "nll_loss", ignore_index)
    return _weighted_nll(input, target, _class_weights(weight, input, "nll_loss"), ignore_index, reduction)[0]


def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction="mean",  # noqa: A002
                  label_smoothing=0.0):
    """−log softmax(input)[n, y] for (N, C) logits and (N,) integer class indices y,
    averaged over the batch; stable for large logits (log-sum-exp is shifted).
    ``weight`` and ``ignore_index`` as in :func:`nll_loss`. With label smoothing ε
    the target is (1 − ε) on y plus ε/C on every class:
    loss = (1 − ε)·nll + ε/C · Σ_c −w[c]·log p[n, c], both reduced the same way."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    target = _class_indices(target, input, "cross_entropy", ignore_index)
    class_weight = _class_weights(weight, input, "cross_entropy")
    log_probs = log_softmax(input, dim=1)
    nll, row_weight = _weighted_nll(log_probs, target, class_weight, ignore_index, reduction)
    if label_smoothing == 0.0:
        return nll
    if class_weight is not None:
        log_probs = log_probs * Tensor(class_weight, device=input.device)
    smooth = -log_probs.sum(axis=1)  # Σ_c −w[c]·log p[n, c]
    if row_weight is None:
        smooth = _reduce(smooth, reduction)
    else:
        smooth = smooth * Tensor((target.data != ignore_index).astype(input.dtype), device=input.device)
        smooth = _weighted_mean(smooth, row_weight) if reduction == "mean" else _reduce(smooth, reduction)
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / input.shape[1])


def mse_loss(input, target, reduction="mean"):  # noqa: A002 - PyTorch's argument name
    """(input − target)², averaged. The two shapes must be equal."""
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=input.dtype, device=input.device)
    if input.shape != target.shape:
        raise ValueError(
            f"mse_loss expects input and target of one shape, got {input.shape} and {target.shape}"
        )
    difference = input - target
    return _reduce(difference * difference, reduction)
