"""Layers: Linear, Conv1d, Conv2d, MaxPool2d, the activations, Flatten, Dropout, Dropout2d, Identity.

Parameter layouts and default initialisations are PyTorch's, so a state dict
moves between the two frameworks unchanged (see docs/nn.md).
"""

from __future__ import annotations

from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn import functional as F
from tinygrad_bn.nn import init
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import conv_channels, positive_int, zero_parameter
from tinygrad_bn.nn.pooling import _MaxUnpoolNd
from tinygrad_bn.ops.windows import ints


class Linear(Module):
    """y = x Wᵀ + b, with ``weight`` of shape (out_features, in_features).

    Weight and bias start as U(−1/√in_features, 1/√in_features), as in PyTorch.

    >>> from tinygrad_bn import ones
    >>> layer = Linear(4, 3)
    >>> layer
    Linear(in_features=4, out_features=3, bias=True)
    >>> layer.weight.shape, layer(ones(2, 4)).shape
    ((3, 4), (2, 3))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        self.weight = zero_parameter((out_features, in_features), device, dtype)
        self.register_parameter("bias", zero_parameter((out_features,), device, dtype) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        has_bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={has_bias}"


class _ConvNd(Module):
    """What the convolutions share: arguments, the weight (C_out, C_in/groups, *kernel_size)
    and bias (C_out,), PyTorch's default initialisation and repr. A subclass gives the
    number of spatial ``axes``, their names in the input and its ``convolve`` function."""

    axes: int
    input_axes: str

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.in_channels, self.out_channels, self.groups = conv_channels(name, in_channels, out_channels, groups)
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"{name}: padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', "
                             f"got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.kernel_size = ints(kernel_size, self.axes, "kernel_size")
        self.stride = ints(stride, self.axes, "stride")
        self.padding = padding if padding in ("same", "valid") else ints(padding, self.axes, "padding", minimum=0)
        self.dilation = ints(dilation, self.axes, "dilation")
        # bad padding fails here already
        F.conv_padding(self.padding, self.kernel_size, self.stride, self.dilation, name.lower())
        self.weight = zero_parameter((out_channels, in_channels // groups, *self.kernel_size), device, dtype)
        self.register_parameter("bias", zero_parameter((out_channels,), device, dtype) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_(self.weight, self.bias)

    def forward(self, x):
        batched = x.ndim == 2 + self.axes  # or one sample, (C, ...), as PyTorch takes it
        if x.ndim not in (1 + self.axes, 2 + self.axes) or x.shape[int(batched)] != self.in_channels:
            raise ShapeError(
                f"{self!r} expects input of shape (N, {self.in_channels}, {self.input_axes}) or "
                f"({self.in_channels}, {self.input_axes}), got {x.shape}"
            )
        if self.padding_mode == "zeros":
            return self.convolve(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        # (before, after) per axis, first axis first -> F.pad's order, last axis first
        sides = F.conv_padding(self.padding, self.kernel_size, self.stride, self.dilation, type(self).__name__.lower())
        pairs = [sides[i:i + 2] for i in range(0, len(sides), 2)]
        padded = F.pad(x, [side for pair in reversed(pairs) for side in pair], mode=self.padding_mode)
        return self.convolve(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, "
        text += f"kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self.axes:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.axes:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation) of (N, C_in, L) signals, with ``weight``
    of shape (C_out, C_in/groups, k) and PyTorch's default initialisation.

    >>> from tinygrad_bn import ones
    >>> conv = Conv1d(3, 8, kernel_size=5, padding="same")
    >>> conv
    Conv1d(3, 8, kernel_size=(5,), stride=(1,), padding=same)
    >>> conv(ones(2, 3, 10)).shape
    (2, 8, 10)
    """

    axes, input_axes = 1, "L"
    convolve = staticmethod(F.conv1d)


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) of (N, C_in, H, W) images, with ``weight``
    of shape (C_out, C_in/groups, kh, kw) and PyTorch's default initialisation.

    >>> from tinygrad_bn import ones
    >>> conv = Conv2d(3, 8, kernel_size=3, padding=1)
    >>> conv
    Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> conv(ones(2, 3, 5, 5)).shape
    (2, 8, 5, 5)
    """

    axes, input_axes = 2, "H, W"
    convolve = staticmethod(F.conv2d)


class MaxPool2d(Module):
    """The maximum of each window; ``stride`` defaults to ``kernel_size``.

    >>> from tinygrad_bn import ones
    >>> MaxPool2d(2)(ones(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = bool(return_indices)
        self.ceil_mode = bool(ceil_mode)

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxUnpool2d(_MaxUnpoolNd):
    """Put pooled maxima back at the pixels :class:`MaxPool2d` (``return_indices=True``)
    took them from; zeros elsewhere (:func:`~tinygrad_bn.nn.pooling.max_unpool2d`).

    >>> from tinygrad_bn import randn
    >>> pooled, where = MaxPool2d(2, return_indices=True)(randn(1, 2, 4, 6))
    >>> MaxUnpool2d(2)(pooled, where).shape
    (1, 2, 4, 6)
    """

    dims = 2
    unpool = staticmethod(F.max_unpool2d)


class AvgPool2d(Module):
    """The mean of each window; ``stride`` defaults to ``kernel_size``.

    >>> from tinygrad_bn import ones
    >>> pool = AvgPool2d(2)
    >>> pool, pool(ones(1, 3, 8, 6)).shape
    (AvgPool2d(kernel_size=2, stride=2, padding=0), (1, 3, 4, 3))
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = bool(ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average each image down to ``output_size``; ``AdaptiveAvgPool2d(1)`` is global
    average pooling.

    >>> from tinygrad_bn import ones
    >>> AdaptiveAvgPool2d((1, 1))(ones(2, 8, 5, 5)).shape
    (2, 8, 1, 1)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class ReLU(Module):
    """max(x, 0), elementwise. ``inplace=True`` is accepted and gives a new tensor all
    the same (docs/porting.md).

    >>> from tinygrad_bn import tensor
    >>> ReLU(inplace=True)(tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x):
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + e^(−x)), elementwise."""

    def forward(self, x):
        return F.sigmoid(x)


class LeakyReLU(Module):
    """x where x > 0, ``negative_slope``·x elsewhere."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Softmax(Module):
    """softmax along ``dim``, which must be given (PyTorch's guess for ``dim=None``
    is deprecated there and not made here)."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = _softmax_dim(dim, type(self).__name__)

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log softmax along ``dim``, which must be given."""

    def forward(self, x):
        return F.log_softmax(x, self.dim)


def _softmax_dim(dim, name: str) -> int:
    if dim is None:
        raise ValueError(f"{name} needs the axis to normalize over, e.g. {name}(dim=1) for (N, C) scores")
    return dim


class Identity(Module):
    """Returns its input (a placeholder, e.g. where a model has no normalisation). As
    PyTorch's, it takes any arguments and ignores them, so it can stand in for a layer
    built with arguments.

    >>> from tinygrad_bn import ones
    >>> layer = Identity(54, unused=0.1)
    >>> layer, layer(ones(2, 3)).shape
    (Identity(), (2, 3))
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge axes ``start_dim`` .. ``end_dim`` into one.

    >>> from tinygrad_bn import ones
    >>> Flatten()(ones(2, 3, 4, 5)).shape
    (2, 60)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        try:
            return x.flatten(self.start_dim, self.end_dim)
        except ValueError as error:
            raise ShapeError(f"{self!r} cannot flatten an input of shape {x.shape}: {error}") from None

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout: in training mode each element is zeroed with probability
    ``p`` and the others are scaled by 1/(1 − p); in eval mode it is the identity."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p, self.inplace = p, inplace  # inplace=True is accepted and gives a new tensor, as ReLU's

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Channel dropout of (N, C, H, W) input: in training mode each channel is zeroed
    whole with probability ``p`` and the others are scaled by 1/(1 − p); in eval mode
    it is the identity."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)
