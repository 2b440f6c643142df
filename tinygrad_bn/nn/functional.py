"""Stateless layers and losses, named and shaped as in ``torch.nn.functional``.

>>> from tinygrad_bn import Tensor
>>> from tinygrad_bn.nn import functional as F
>>> logits = Tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
>>> round(F.cross_entropy(logits, [0, 2]).item(), 4)  # (log(1 + 2/e²) + log 3) / 2
0.6691
"""

from __future__ import annotations

import numpy

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.batchnorm import batch_norm
from tinygrad_bn.nn.windows import fold, pair, unfold, windows_per_axis
from tinygrad_bn.ops import generator, relu, sigmoid, tanh
from tinygrad_bn.ops.reduce import Max

__all__ = [
    "batch_norm", "conv2d", "cross_entropy", "dropout", "fold", "linear", "log_softmax",
    "max_pool2d", "mse_loss", "nll_loss", "relu", "sigmoid", "softmax", "tanh", "unfold",
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


def conv2d(input, weight, bias=None, stride=1, padding=0):  # noqa: A002 - PyTorch's argument name
    """2-D cross-correlation of (N, C, H, W) images with (O, C, kh, kw) kernels.

    The windows are laid out as columns (:func:`unfold`) and multiplied by the
    weight seen as an (O, C·kh·kw) matrix.

    >>> from tinygrad_bn import ones
    >>> conv2d(ones(1, 1, 3, 3), ones(1, 1, 2, 2), padding=1).numpy()[0, 0].tolist()
    [[1.0, 2.0, 2.0, 1.0], [2.0, 4.0, 4.0, 2.0], [2.0, 4.0, 4.0, 2.0], [1.0, 2.0, 2.0, 1.0]]
    """
    if weight.ndim != 4 or input.ndim != 4 or input.shape[1] != weight.shape[1]:
        raise ValueError(
            f"conv2d with weight of shape {weight.shape} (out, in, kh, kw) expects input of shape "
            f"(N, {weight.shape[1] if weight.ndim == 4 else 'C'}, H, W), got {input.shape}"
        )
    out_channels, _, kh, kw = weight.shape
    stride, padding = pair(stride, "stride"), pair(padding, "padding", minimum=0)
    padded = _pad_images(input, padding, 0.0)
    counts = windows_per_axis(padded.shape[2:], (kh, kw), stride)
    # out[n, o, l] = Σ_k W[o, k] · columns[n, k, l],  k running over (c, i, j)
    output = weight.reshape(out_channels, -1) @ unfold(padded, (kh, kw), stride)
    if bias is not None:
        output = output + bias.reshape(out_channels, 1)
    return output.reshape(input.shape[0], out_channels, *counts)


def max_pool2d(input, kernel_size, stride=None, padding=0):  # noqa: A002 - PyTorch's argument name
    """The maximum of each ``kernel_size`` window of (N, C, H, W) images; ``stride``
    defaults to ``kernel_size``. Padding is −∞. As in PyTorch, the gradient of a
    window goes to its first maximum (in row-major order) when several tie.

    >>> from tinygrad_bn import arange
    >>> max_pool2d(arange(16, dtype="float32").reshape(1, 1, 4, 4), 2).numpy()[0, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    if input.ndim != 4:
        raise ValueError(f"max_pool2d expects input of shape (N, C, H, W), got {input.shape}")
    kernel_size = pair(kernel_size, "kernel_size")
    stride = kernel_size if stride is None else pair(stride, "stride")
    padding = pair(padding, "padding", minimum=0)
    if any(2 * p > k for p, k in zip(padding, kernel_size, strict=True)):
        raise ValueError(f"padding {padding} must be at most half of kernel_size {kernel_size}")
    n, c, h, w = input.shape
    # every channel pooled on its own: (N·C, 1, H, W)
    padded = _pad_images(input.reshape(n * c, 1, h, w), padding, -numpy.inf)
    counts = windows_per_axis(padded.shape[2:], kernel_size, stride)
    windows = unfold(padded, kernel_size, stride)  # (N·C, kh·kw, windows), a window's elements row-major
    return Max.apply(windows, axes=(1,), keepdims=False, ties="first").reshape(n, c, *counts)


def _pad_images(images, padding: tuple, value: float):
    if padding == (0, 0):
        return images
    (ph, pw) = padding
    return images.pad(((0, 0), (0, 0), (ph, ph), (pw, pw)), value=value)


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


def _class_indices(target, log_probs, loss: str) -> Tensor:
    """``target`` as integer class indices on ``log_probs``' device, checked against its shape."""
    target = Tensor(target, device=log_probs.device)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{loss} expects targets that are integer class indices, got dtype {target.dtype}")
    if log_probs.ndim != 2 or target.shape != log_probs.shape[:1]:
        raise ValueError(
            f"{loss} expects input of shape (N, C) and target of shape (N,), "
            f"got input {log_probs.shape} and target {target.shape}"
        )
    classes = log_probs.shape[1]
    if target.size:
        low, high = int(target.data.min()), int(target.data.max())
        if low < 0 or high >= classes:
            raise ValueError(
                f"{loss} expects class indices in [0, {classes}), got values from {low} to {high}"
            )
    return target


def _negative_picked(log_probs, target: Tensor, reduction: str):
    """−log_probs[n, target[n]] for every row n, reduced."""
    rows = log_probs.xp.arange(log_probs.shape[0])
    return _reduce(-log_probs[rows, target.data], reduction)


def nll_loss(input, target, reduction="mean"):  # noqa: A002 - PyTorch's argument name
    """Negative log-likelihood: −input[n, target[n]], from (N, C) log-probabilities
    and (N,) integer targets (a Tensor, NumPy array or list)."""
    return _negative_picked(input, _class_indices(target, input, "nll_loss"), reduction)


def cross_entropy(input, target, reduction="mean"):  # noqa: A002 - PyTorch's argument name
    """−log softmax(input)[n, target[n]], averaged over the batch: (N, C) logits and
    (N,) integer class indices. Stable for large logits (log-sum-exp is shifted)."""
    target = _class_indices(target, input, "cross_entropy")
    return _negative_picked(log_softmax(input, dim=1), target, reduction)


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
