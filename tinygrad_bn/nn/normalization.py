"""LayerNorm and GroupNorm: BatchNorm's standardization, over each sample instead of each channel.

BatchNorm takes a channel's μ and σ² over the batch; LayerNorm takes them over
each sample's trailing ``normalized_shape`` axes, GroupNorm over each sample's
group of C/G channels and all their positions. Both use the two-pass, biased
(F1)–(F4) of docs/batchnorm.md (:func:`~tinygrad_bn.ops.statistics.standardize`)
on public Tensor ops, so the engine derives first and second derivatives. They
keep no running statistics: training and eval compute the same thing. Float16
input is standardized in float32, as in BatchNorm, and returned as float16.

>>> from tinygrad_bn import Tensor
>>> y = layer_norm(Tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]]), 3)
>>> [[round(v, 3) for v in row] for row in y.tolist()]
[[-1.225, 0.0, 1.225], [-0.707, -0.707, 1.414]]
"""

from __future__ import annotations

import math
import numbers

from tinygrad_bn.annotations import region
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import Parameter
from tinygrad_bn.ops import ones, zeros
from tinygrad_bn.ops.statistics import in_compute_precision, standardize


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002 - PyTorch's name
    """y = γ·(x − μ)/√(σ² + ε) + β, with μ and σ² taken over the trailing axes of
    ``input`` that make up ``normalized_shape`` (an int or a tuple of ints), one
    pair per leading index; ``weight`` γ and ``bias`` β have ``normalized_shape``.

    >>> from tinygrad_bn import Tensor
    >>> layer_norm(Tensor([[0.0, 2.0]]), (2,), bias=Tensor([10.0, 20.0]), eps=0.0).tolist()
    [[9.0, 21.0]]
    """
    normalized_shape = _shape(normalized_shape, "layer_norm")
    _check_floating(input, "layer_norm")
    _check_trailing_shape(input, normalized_shape, f"layer_norm with normalized_shape {normalized_shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        _check_parameter("layer_norm", name, t, normalized_shape)
    axes = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    with region("layer_norm"):
        x_hat = standardize(in_compute_precision(input), axes, eps)[0]
        return _scale_and_shift(x_hat, weight, bias, normalized_shape, input.dtype)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002 - PyTorch's name
    """y = γ·(x − μ)/√(σ² + ε) + β for (N, C, *) input, with μ and σ² taken per
    sample over each of ``num_groups`` groups of C/num_groups consecutive channels
    (and all their positions); ``weight`` γ and ``bias`` β have shape (C,).

    >>> from tinygrad_bn import Tensor
    >>> group_norm(Tensor([[[1.0], [3.0], [4.0], [8.0]]]), 2, eps=0.0).reshape(4).tolist()
    [-1.0, 1.0, -1.0, 1.0]
    """
    if not _is_positive_int(num_groups):
        raise ValueError(f"group_norm: num_groups must be a positive int, got {num_groups!r}")
    _check_floating(input, "group_norm")
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ShapeError(f"group_norm with num_groups={num_groups} expects input of shape (N, C, *) with C "
                         f"divisible by {num_groups}, got {input.shape}")
    n, channels = input.shape[:2]
    if n * channels // num_groups * math.prod(input.shape[2:]) == 1:  # PyTorch's test, N·C/G·∏spatial
        raise ShapeError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        _check_parameter("group_norm", name, t, (channels,))
    grouped = (n, num_groups, channels // num_groups * math.prod(input.shape[2:]))
    per_channel = (1, channels) + (1,) * (input.ndim - 2)
    with region("group_norm"):
        x_hat = standardize(in_compute_precision(input).reshape(grouped), (2,), eps)[0]
        return _scale_and_shift(x_hat.reshape(input.shape), weight, bias, per_channel, input.dtype)


def _scale_and_shift(x_hat, weight, bias, shape: tuple, dtype):
    """(F5) y = γ·x̂ + β, with γ and β seen as ``shape`` (either may be None), in ``dtype``."""
    y = x_hat
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y.astype(dtype)


def _check_floating(x, function: str):
    if x.dtype.kind != "f":
        raise TypeError(f"{function} expects a floating point input, got dtype {x.dtype}; "
                        "convert it with .astype('float32')")


def _check_trailing_shape(x, normalized_shape: tuple, who: str):
    """Raise unless the last axes of ``x`` are ``normalized_shape``; ``who`` names the caller."""
    if x.shape[x.ndim - len(normalized_shape):] != normalized_shape:
        trailing = ", ".join(str(n) for n in normalized_shape)
        raise ShapeError(f"{who} expects input of shape (*, {trailing}), got {x.shape}")


def _check_parameter(function: str, name: str, t, shape: tuple):
    if t is not None and t.shape != shape:
        raise ShapeError(f"{function}: {name} must have shape {shape}, got {t.shape}")


def _shape(normalized_shape, who: str) -> tuple:
    """``normalized_shape`` as a tuple of positive ints (an int n is (n,))."""
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    if not shape or not all(_is_positive_int(n) for n in shape):
        raise ValueError(f"{who}: normalized_shape must be a positive int or a non-empty tuple of them, "
                         f"got {normalized_shape!r}")
    return tuple(int(n) for n in shape)


def _is_positive_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


class _Normalization(Module):
    """γ (ones) and β (zeros) of ``shape`` when ``affine``; β only with ``bias`` too,
    as in PyTorch: an absent one is a parameter slot holding None."""

    def __init__(self, shape: tuple, affine: bool, bias: bool, device, dtype):
        super().__init__()
        self.register_parameter("weight", Parameter(ones(*shape, dtype=dtype, device=device)) if affine else None)
        has_bias = affine and bias
        self.register_parameter("bias", Parameter(zeros(*shape, dtype=dtype, device=device)) if has_bias else None)

    def reset_parameters(self):
        """γ = 1 and β = 0, as when built."""
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0


class LayerNorm(_Normalization):
    """:func:`layer_norm` over the trailing ``normalized_shape`` axes; γ and β of
    that shape (``elementwise_affine``; β only with ``bias``).

    >>> from tinygrad_bn import randn
    >>> norm = LayerNorm(4)
    >>> norm
    LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
    >>> norm(randn(2, 3, 4)).shape, list(norm.state_dict())
    ((2, 3, 4), ['weight', 'bias'])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        shape = _shape(normalized_shape, "LayerNorm")
        super().__init__(shape, elementwise_affine, bias, device, dtype)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        _check_trailing_shape(input, self.normalized_shape, f"LayerNorm({self.normalized_shape})")
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(_Normalization):
    """:func:`group_norm` of (N, ``num_channels``, *) input in ``num_groups`` groups;
    γ and β of shape (num_channels,) (``affine``; β only with ``bias``).

    >>> from tinygrad_bn import randn
    >>> norm = GroupNorm(2, 6)
    >>> norm
    GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)
    >>> norm(randn(4, 6, 5, 5)).shape
    (4, 6, 5, 5)
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        for name, value in (("num_groups", num_groups), ("num_channels", num_channels)):
            if not _is_positive_int(value):
                raise ValueError(f"GroupNorm: {name} must be a positive int, got {value!r}")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        super().__init__((num_channels,), affine, bias, device, dtype)
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ShapeError(f"GroupNorm({self.num_groups}, {self.num_channels}) expects input of shape "
                             f"(N, {self.num_channels}, *), got {input.shape}")
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
