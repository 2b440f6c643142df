"""Stateless layers and losses, named and shaped as in ``torch.nn.functional``.

The layers are here; the losses live by kind (``classification_losses``,
``regression_losses``, ``probabilistic_losses``, ``margin_losses``, ``distance``)
and the activations in ``activation``, all answering to this module's names.

>>> from tinygrad_bn import Tensor
>>> from tinygrad_bn.nn import functional as F
>>> x = Tensor([[1.0, -2.0]])
>>> F.linear(x, Tensor([[1.0, 1.0], [0.0, 2.0]]), Tensor([0.5, 0.0])).tolist()  # x Wᵀ + b
[[-0.5, -4.0]]
>>> F.mse_loss(F.relu(x), Tensor([[0.0, 0.0]])).item()  # (1² + 0²) / 2
0.5
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.batchnorm import batch_norm
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.activation import (
    celu,
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    gumbel_softmax,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu_,
    logsigmoid,
    mish,
    prelu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    silu,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
    threshold_,
)
from tinygrad_bn.nn.adaptive_pooling import (
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
)
from tinygrad_bn.nn.alpha_dropout import alpha_dropout, feature_alpha_dropout
from tinygrad_bn.nn.attention import scaled_dot_product_attention
from tinygrad_bn.nn.bilinear import bilinear
from tinygrad_bn.nn.channel_dropout import dropout1d, dropout3d
from tinygrad_bn.nn.channel_shuffle import channel_shuffle, native_channel_shuffle
from tinygrad_bn.nn.classification_losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    nll_loss,
)
from tinygrad_bn.nn.conv_transpose import conv_transpose1d, conv_transpose2d, conv_transpose3d
from tinygrad_bn.nn.ctc_loss import ctc_loss
from tinygrad_bn.nn.distance import cosine_similarity, pairwise_distance
from tinygrad_bn.nn.dropout import dropout, dropout2d
from tinygrad_bn.nn.embedding import embedding, one_hot
from tinygrad_bn.nn.embedding_bag import embedding_bag
from tinygrad_bn.nn.fractional_pooling import (
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)
from tinygrad_bn.nn.grid_sample import affine_grid, grid_sample
from tinygrad_bn.nn.instance_norm import instance_norm
from tinygrad_bn.nn.interpolate import interpolate
from tinygrad_bn.nn.local_response_norm import local_response_norm
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
from tinygrad_bn.nn.pdist import pdist
from tinygrad_bn.nn.pixel_shuffle import pixel_shuffle, pixel_unshuffle
from tinygrad_bn.nn.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d, max_unpool1d, max_unpool2d
from tinygrad_bn.nn.pooling1d import (
    adaptive_avg_pool1d,
    avg_pool1d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
)
from tinygrad_bn.nn.pooling3d import (
    adaptive_avg_pool3d,
    avg_pool3d,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool3d,
)
from tinygrad_bn.nn.probabilistic_losses import gaussian_nll_loss, kl_div, poisson_nll_loss
from tinygrad_bn.nn.regression_losses import huber_loss, l1_loss, mse_loss, smooth_l1_loss
from tinygrad_bn.nn.rms_norm import rms_norm
from tinygrad_bn.nn.unbatched import also_unbatched
from tinygrad_bn.ops import convolution, relu, sigmoid, tanh, windows
from tinygrad_bn.ops.windows import ints, pair

__all__ = [
    "embedding_bag",
    "instance_norm", "local_response_norm",
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "cross_entropy", "dropout", "dropout2d", "elu",
    "conv_tbc", "embedding", "fold", "gelu", "group_norm",
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
    "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices", "affine_grid", "bilinear", "grid_sample", "pdist", "pixel_shuffle",
    "pixel_unshuffle", "ctc_loss",
    "adaptive_avg_pool1d", "avg_pool1d", "channel_shuffle", "lp_pool1d", "lp_pool2d", "max_pool1d",
    "max_pool1d_with_indices", "native_channel_shuffle",
    "alpha_dropout", "dropout1d", "rms_norm",
    "conv3d", "conv_transpose3d", "adaptive_avg_pool3d", "avg_pool3d", "max_pool3d",
    "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "max_unpool1d", "max_unpool3d",
    "dropout3d", "feature_alpha_dropout", "lp_pool3d",
    "celu_", "elu_", "hardtanh_", "leaky_relu_", "relu_", "rrelu_", "selu_", "threshold_",
    "max_pool2d_with_indices", "max_pool3d_with_indices",
    "fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
]



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


def conv_tbc(input, weight, bias, pad=0):  # noqa: A002 - PyTorch's argument name
    """1-D convolution of (T, B, C_in) sequences, time first, with a (k, C_in, C_out) weight
    and (C_out,) bias, ``pad`` zeros at each end of time: :func:`conv1d` of the (B, C_in, T)
    view with the (C_out, C_in, k) weight, its output put back time first,
    (T + 2·pad − k + 1, B, C_out).

    >>> from tinygrad_bn import ones, zeros
    >>> conv_tbc(ones(5, 2, 3), ones(2, 3, 4), zeros(4), pad=1).shape
    (6, 2, 4)
    """
    if input.ndim != 3 or weight.ndim != 3 or bias.ndim != 1:
        raise ShapeError(f"conv_tbc expects input (T, B, C_in), weight (k, C_in, C_out) and bias (C_out,), "
                         f"got {input.shape}, {weight.shape} and {bias.shape}")
    if input.shape[2] != weight.shape[1] or bias.shape[0] != weight.shape[2]:
        raise ShapeError(f"conv_tbc: input (T, B, C_in) {input.shape}, weight (k, C_in, C_out) {weight.shape} and "
                         f"bias (C_out,) {bias.shape} do not fit")
    output = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)  # (B, C_out, T')
    return output.permute(2, 0, 1)


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


@also_unbatched(4)
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002 - PyTorch's argument name
    """Every ``kernel_size`` window of (N, C, H, W) images, zero-padded by ``padding``, as
    a column of an (N, C·kh·kw, L) tensor (one (C, H, W) image gives (C·kh·kw, L)), as
    PyTorch's ``unfold``; see :func:`tinygrad_bn.ops.windows.unfold`.

    >>> from tinygrad_bn import ones
    >>> unfold(ones(3, 4, 5), 2).shape
    (12, 12)
    """
    return windows.unfold(input, kernel_size, dilation, padding, stride)


@also_unbatched(3)
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002 - PyTorch's name
    """The columns of an (N, C·kh·kw, L) tensor added back into (N, C, H, W) images of
    ``output_size`` (from (C·kh·kw, L), one (C, H, W) image), the adjoint of :func:`unfold`,
    as PyTorch's ``fold``; see :func:`tinygrad_bn.ops.windows.fold`.

    >>> from tinygrad_bn import ones
    >>> fold(ones(12, 12), (4, 5), 2).shape
    (3, 4, 5)
    """
    return windows.fold(input, output_size, kernel_size, dilation, padding, stride)


def normalize(input, p=2.0, dim=1, eps=1e-12):  # noqa: A002 - PyTorch's argument name
    """x / max(‖x‖_p, ε) along ``dim``: unit vectors, as PyTorch's ``normalize``."""
    return input / input.norm(p, dim=dim, keepdim=True).clamp(min=eps)


def leaky_relu(input, negative_slope=0.01):  # noqa: A002 - PyTorch's argument name
    """x where x > 0, negative_slope·x elsewhere (so the gradient at 0 is the slope, as in PyTorch)."""
    return ops.where(input > 0, input, input * negative_slope)


def softmax(input, dim=-1, _stacklevel=3, dtype=None):  # noqa: A002 - PyTorch's argument name
    """exp(x) / Σ exp(x) along ``dim``; with ``dtype`` the input is cast to it first, as in
    PyTorch (``_stacklevel`` is PyTorch's and changes nothing).

    >>> from tinygrad_bn import float64, ones
    >>> softmax(ones(2), 0, dtype=float64).dtype
    dtype('float64')
    """
    return ops.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=-1, _stacklevel=3, dtype=None):  # noqa: A002 - PyTorch's argument name
    """log softmax(x) along ``dim``, computed without overflow; ``dtype`` as in :func:`softmax`."""
    return ops.log_softmax(input, dim, dtype=dtype)


@also_unbatched(5)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002 - PyTorch's name
    """3-D cross-correlation of (N, C, D, H, W) volumes with (O, C/groups, kd, kh, kw) kernels,
    as a sum over the depth taps of 2-D convolutions:

        out[:, :, z] = Σ_t conv2d(xp[:, :, z·sd + t·dd], W[:, :, t])

    with xp the volumes zero-padded in depth. Each tap is one
    :class:`~tinygrad_bn.ops.convolution.Convolution` of all N·OD planes at once, so
    the gradients (and their gradients) are that op's.

    >>> from tinygrad_bn import ones
    >>> conv3d(ones(1, 1, 2, 3, 3), ones(1, 1, 2, 2, 2)).numpy()[0, 0].tolist()
    [[[8.0, 8.0], [8.0, 8.0]]]
    """
    _check_conv_shapes("conv3d", input, weight, bias, groups, kernel_axes="kd, kh, kw", input_axes="D, H, W")
    stride, dilation = ints(stride, 3, "stride"), ints(dilation, 3, "dilation")
    front, back, *sides = conv_padding(padding, weight.shape[2:], stride, dilation, "conv3d")
    volumes = pad(input, (0, 0, 0, 0, front, back))
    n, channels, depth, height, width = volumes.shape
    taps, step, gap = weight.shape[2], stride[0], dilation[0]
    count = (depth - gap * (taps - 1) - 1) // step + 1  # OD
    if count < 1:
        raise ShapeError(f"conv3d: a {tuple(weight.shape[2:])} kernel with dilation {dilation} does not fit in "
                         f"a volume of size {(depth, height, width)} (padding included)")
    output = None
    for t in range(taps):
        planes = volumes[:, :, t * gap: t * gap + step * (count - 1) + 1: step]  # (N, C, OD, H, W)
        images = planes.transpose(1, 2).reshape(n * count, channels, height, width)
        tap = convolution.conv2d(images, weight[:, :, t], None, stride[1:], tuple(sides), dilation[1:], groups)
        output = tap if output is None else output + tap
    output = output.reshape(n, count, *output.shape[1:]).transpose(1, 2)  # (N, O, OD, OH, OW)
    return output if bias is None else output + bias.reshape(-1, 1, 1, 1)
