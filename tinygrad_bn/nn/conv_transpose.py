"""Transposed convolution, PyTorch's ``conv_transpose1d``/``2d``/``3d`` and
``nn.ConvTranspose1d``/``2d``/``3d``: the adjoint of a convolution with the same
stride, padding and dilation, the map a convolution's gradient takes from its output
back to its input.

Each input pixel spreads its C_in values through the (C_in, C_out/g, kh, kw) weight
onto a kh × kw window of the output, windows ``stride`` apart, overlaps adding up:
the columns Wᵀ x, one per input pixel, folded into the output (``F.fold``, the
adjoint of ``unfold``), then ``padding`` cut from each side. Along each axis

    out = (in − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1,

``output_padding`` rows and columns added at the bottom and right. Written with Tensor
ops, so the engine derives every gradient.

>>> from tinygrad_bn import ones
>>> up = ConvTranspose2d(4, 2, kernel_size=2, stride=2)  # doubles the size
>>> up(ones(1, 4, 3, 3)).shape
(1, 2, 6, 6)
"""

from __future__ import annotations

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn import init
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.padding import pad
from tinygrad_bn.nn.parameter import conv_channels, zero_parameter
from tinygrad_bn.nn.unbatched import also_unbatched
from tinygrad_bn.ops.windows import fold, ints


def output_sizes(size: tuple, kernel_size, stride, padding, dilation, output_padding) -> tuple:
    """The output's size along each axis."""
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + extra + 1
                 for n, k, s, p, d, extra in zip(size, kernel_size, stride, padding, dilation, output_padding))


@also_unbatched(4)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,  # noqa: A002
                     dilation=1):
    """(N, C_in, H, W) images and (C_in, C_out/groups, kh, kw) kernels -> (N, C_out, H', W').

    >>> from tinygrad_bn import ones
    >>> conv_transpose2d(ones(1, 1, 2, 2), ones(1, 1, 2, 2)).numpy()[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    stride, padding, dilation, output_padding = _arguments("conv_transpose2d", input, weight, bias, groups, stride,
                                                           padding, dilation, output_padding, axes=2)
    n, channels, height, width = input.shape
    kernel_size = weight.shape[2:]
    sizes = output_sizes((height, width), kernel_size, stride, padding, dilation, output_padding)
    if min(sizes) < 1:
        raise ShapeError(f"conv_transpose2d of {input.shape} images gives an output of size {sizes}, "
                         "which is empty: lower the padding")
    # columns Wᵀ x: (N, g, C_out/g·kh·kw, H·W), one column per input pixel
    kernels = weight.reshape(groups, channels // groups, -1)
    columns = kernels.swapaxes(-1, -2) @ input.reshape(n, groups, channels // groups, height * width)
    windows = tuple((count - 1) * s + d * (k - 1) + 1
                    for count, k, s, d in zip((height, width), kernel_size, stride, dilation))
    image = fold(columns.reshape(n, -1, height * width), windows, kernel_size, dilation=dilation, stride=stride)
    (top, left), (extra_h, extra_w) = padding, output_padding
    image = pad(image, (-left, extra_w - left, -top, extra_h - top))  # padding cut, output_padding added
    return image if bias is None else image + bias.reshape(-1, 1, 1)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,  # noqa: A002
                     dilation=1):
    """(N, C_in, L) signals and (C_in, C_out/groups, k) kernels -> (N, C_out, L'):
    :func:`conv_transpose2d` of 1 × L images."""
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise ShapeError(f"conv_transpose1d expects input (N, C_in, L) or (C_in, L) and a weight "
                         f"(C_in, C_out/groups, k), got {input.shape} and {weight.shape}")
    along = {name: ints(value, 1, name, minimum) for name, value, minimum in
             (("stride", stride, 1), ("padding", padding, 0), ("output_padding", output_padding, 0),
              ("dilation", dilation, 1))}
    output = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, (1, *along["stride"]),
                              (0, *along["padding"]), (0, *along["output_padding"]), groups, (1, *along["dilation"]))
    return output.squeeze(-2)


@also_unbatched(5)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,  # noqa: A002
                     dilation=1):
    """(N, C_in, D, H, W) volumes and (C_in, C_out/groups, kd, kh, kw) kernels -> (N, C_out, D', H', W'),
    the adjoint of ``conv3d``: input plane z, through the weight's depth tap t, lands on
    output plane z·sd + t·dd,

        full[:, :, z·sd + t·dd] += conv_transpose2d(x[:, :, z], W[:, :, t]),

    then ``padding`` is cut from the depth's ends and ``output_padding`` added at the back.
    Each tap is one :func:`conv_transpose2d` of all N·D planes at once.

    >>> from tinygrad_bn import ones
    >>> conv_transpose3d(ones(1, 1, 2, 1, 1), ones(1, 1, 2, 1, 1), stride=2).numpy().ravel().tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    stride, padding, dilation, output_padding = _arguments("conv_transpose3d", input, weight, bias, groups, stride,
                                                           padding, dilation, output_padding, axes=3)
    n, channels, depth, height, width = input.shape
    sizes = output_sizes((depth, height, width), weight.shape[2:], stride, padding, dilation, output_padding)
    if min(sizes) < 1:
        raise ShapeError(f"conv_transpose3d of {input.shape} volumes gives an output of size {sizes}, "
                         "which is empty: lower the padding")
    images = input.transpose(1, 2).reshape(n * depth, channels, height, width)
    taps, step, gap = weight.shape[2], stride[0], dilation[0]
    span = (depth - 1) * step + 1  # the input planes, step apart
    full = None
    for t in range(taps):
        planes = conv_transpose2d(images, weight[:, :, t], None, stride[1:], padding[1:], output_padding[1:], groups,
                                  dilation[1:])  # (N·D, C_out, H', W')
        planes = planes.reshape(n, depth, 1, *planes.shape[1:])
        spread = pad(planes, (0, 0, 0, 0, 0, 0, 0, step - 1)).reshape(n, depth * step, *planes.shape[3:])[:, :span]
        placed = pad(spread, (0, 0, 0, 0, 0, 0, t * gap, (taps - 1 - t) * gap))  # plane z at z·sd + t·dd
        full = placed if full is None else full + placed
    output = pad(full, (0, 0, 0, 0, 0, 0, -padding[0], output_padding[0] - padding[0])).transpose(1, 2)
    return output if bias is None else output + bias.reshape(-1, 1, 1, 1)


def _arguments(name, x, weight, bias, groups, stride, padding, dilation, output_padding, axes: int) -> tuple:
    """The arguments as tuples, after refusing what does not fit."""
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ArgumentError(f"{name}: groups must be a positive int, got {groups!r}")
    if weight.ndim != 2 + axes or x.ndim != 2 + axes or weight.shape[0] != x.shape[1] or x.shape[1] % groups:
        raise ShapeError(f"{name} expects input (N, C_in, ...) and a weight (C_in, C_out/groups, ...) of "
                         f"{2 + axes} axes each, with C_in divisible by groups={groups}; got {x.shape} and "
                         f"{weight.shape}")
    if bias is not None and bias.shape != (weight.shape[1] * groups,):
        raise ShapeError(f"{name} expects a bias of shape ({weight.shape[1] * groups},), one per output channel, "
                         f"got {bias.shape}")
    stride, dilation = ints(stride, axes, "stride"), ints(dilation, axes, "dilation")
    padding = ints(padding, axes, "padding", minimum=0)
    output_padding = ints(output_padding, axes, "output_padding", minimum=0)
    if any(extra >= max(s, d) for extra, s, d in zip(output_padding, stride, dilation)):
        raise ArgumentError(f"{name}: output_padding must be smaller than the stride or the dilation, got "
                            f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    return stride, padding, dilation, output_padding


class _ConvTransposeNd(Module):
    """What the transposed convolutions share: arguments, the weight (C_in, C_out/groups,
    *kernel_size) and bias (C_out,), PyTorch's default initialisation and repr."""

    axes: int
    input_axes: str

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None):
        super().__init__()
        name = type(self).__name__
        self.in_channels, self.out_channels, self.groups = conv_channels(name, in_channels, out_channels, groups)
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        self.kernel_size = ints(kernel_size, self.axes, "kernel_size")
        self.stride = ints(stride, self.axes, "stride")
        self.padding = ints(padding, self.axes, "padding", minimum=0)
        self.output_padding = ints(output_padding, self.axes, "output_padding", minimum=0)
        self.dilation = ints(dilation, self.axes, "dilation")
        self.weight = zero_parameter((in_channels, out_channels // groups, *self.kernel_size), device, dtype)
        self.register_parameter("bias", zero_parameter((out_channels,), device, dtype) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_(self.weight, self.bias)

    def forward(self, input, output_size=None):  # noqa: A002 - PyTorch's argument name
        """``output_size`` (the last ``axes`` of it) picks the output padding that gives it."""
        if input.ndim not in (1 + self.axes, 2 + self.axes) or input.shape[-1 - self.axes] != self.in_channels:
            raise ShapeError(f"{self!r} expects input of shape (N, {self.in_channels}, {self.input_axes}) or "
                             f"({self.in_channels}, {self.input_axes}), got {input.shape}")
        output_padding = self.output_padding if output_size is None else self._output_padding(input, output_size)
        return self.convolve(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                             self.dilation)

    def _output_padding(self, input, output_size) -> tuple:  # noqa: A002
        wanted = tuple(int(n) for n in output_size)[-self.axes:]
        size = tuple(input.shape[-self.axes:])
        smallest = output_sizes(size, self.kernel_size, self.stride, self.padding, self.dilation, (0,) * self.axes)
        largest = tuple(n + max(s, d) - 1 for n, s, d in zip(smallest, self.stride, self.dilation))
        if len(wanted) != self.axes or not all(low <= n <= high for low, n, high in zip(smallest, wanted, largest)):
            raise ValueError(f"{type(self).__name__}: output_size {list(output_size)} is out of reach; for an input "
                             f"of size {list(size)} it must lie between {list(smallest)} and {list(largest)}")
        return tuple(n - low for n, low in zip(wanted, smallest))

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        for name, default in (("padding", 0), ("dilation", 1), ("output_padding", 0)):
            if getattr(self, name) != (default,) * self.axes:
                text += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution of (N, C_in, L) signals; weight (C_in, C_out/groups, k)."""

    axes, input_axes = 1, "L"
    convolve = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution of (N, C_in, H, W) images; weight (C_in, C_out/groups, kh, kw)."""

    axes, input_axes = 2, "H, W"
    convolve = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution of (N, C_in, D, H, W) volumes; weight (C_in, C_out/groups, kd, kh, kw).

    >>> from tinygrad_bn import ones
    >>> up = ConvTranspose3d(4, 2, kernel_size=2, stride=2)
    >>> up
    ConvTranspose3d(4, 2, kernel_size=(2, 2, 2), stride=(2, 2, 2))
    >>> up(ones(1, 4, 2, 3, 3)).shape
    (1, 2, 4, 6, 6)
    """

    axes, input_axes = 3, "D, H, W"
    convolve = staticmethod(conv_transpose3d)
