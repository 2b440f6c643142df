"""``torch.nn.grad``: the gradients of a convolution with respect to its input and to its
weight, given the gradient ``grad_output`` of its output, as functions of their own.

A convolution y = conv(x, W) is linear in x and in W, so with g = ``grad_output``

    conv_input  = ∂⟨g, conv(x, W)⟩/∂x   (any x of ``input_size``: it does not depend on x)
    conv_weight = ∂⟨g, conv(x, W)⟩/∂W   (any W of ``weight_size``)

Both are computed by the engine's backward pass through the library's own convolutions,
with ``create_graph`` when recording, so they are differentiable in W, x and g again.

>>> from tinygrad_bn import ones
>>> conv1d_input((1, 1, 4), ones(1, 1, 2), ones(1, 1, 3)).tolist()  # each entry in this many windows
[[[1.0, 2.0, 2.0, 1.0]]]
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.autograd import enable_grad, grad, is_grad_enabled
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.functional import conv1d, conv2d, conv3d

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of :func:`~tinygrad_bn.nn.functional.conv1d` with respect to its
    (N, C, L) input of ``input_size``.

    >>> from tinygrad_bn import ones
    >>> conv1d_input((1, 1, 3), ones(1, 1, 2), ones(1, 1, 2)).tolist()
    [[[1.0, 2.0, 1.0]]]
    """
    return _input_gradient(conv1d, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """The gradient of :func:`~tinygrad_bn.nn.functional.conv1d` with respect to its weight of ``weight_size``.

    >>> from tinygrad_bn import tensor
    >>> conv1d_weight(tensor([[[1.0, 2.0, 3.0]]]), (1, 1, 2), tensor([[[1.0, 1.0]]])).tolist()
    [[[3.0, 5.0]]]
    """
    return _weight_gradient(conv1d, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of :func:`~tinygrad_bn.nn.functional.conv2d` with respect to its
    (N, C, H, W) input of ``input_size``.

    >>> from tinygrad_bn import ones
    >>> conv2d_input((1, 1, 3, 3), ones(1, 1, 2, 2), ones(1, 1, 2, 2)).tolist()
    [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    return _input_gradient(conv2d, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """The gradient of :func:`~tinygrad_bn.nn.functional.conv2d` with respect to its weight of ``weight_size``.

    >>> from tinygrad_bn import ones
    >>> conv2d_weight(ones(2, 1, 3, 3), (1, 1, 2, 2), ones(2, 1, 2, 2)).tolist()  # 2 images × 4 windows
    [[[[8.0, 8.0], [8.0, 8.0]]]]
    """
    return _weight_gradient(conv2d, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of :func:`~tinygrad_bn.nn.functional.conv3d` with respect to its
    (N, C, D, H, W) input of ``input_size``.

    >>> from tinygrad_bn import ones
    >>> conv3d_input((1, 1, 2, 2, 2), ones(1, 1, 2, 2, 2), ones(1, 1, 1, 1, 1)).sum().item()
    8.0
    """
    return _input_gradient(conv3d, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """The gradient of :func:`~tinygrad_bn.nn.functional.conv3d` with respect to its weight of ``weight_size``.

    >>> from tinygrad_bn import ones
    >>> conv3d_weight(ones(1, 1, 2, 2, 2), (1, 1, 1, 1, 1), ones(1, 1, 2, 2, 2)).tolist()
    [[[[[8.0]]]]]
    """
    return _weight_gradient(conv3d, input, weight_size, grad_output, stride, padding, dilation, groups)


def _input_gradient(conv, input_size, weight, grad_output, stride, padding, dilation, groups):
    """∂⟨g, conv(x, W)⟩/∂x at x = 0, x of ``input_size``."""
    return _gradient_at_zero(conv, "input_size", input_size, weight, grad_output, (stride, padding, dilation, groups),
                             of_input=True)


def _weight_gradient(conv, x, weight_size, grad_output, stride, padding, dilation, groups):
    """∂⟨g, conv(x, W)⟩/∂W at W = 0, W of ``weight_size``."""
    return _gradient_at_zero(conv, "weight_size", weight_size, x, grad_output, (stride, padding, dilation, groups),
                             of_input=False)


def _gradient_at_zero(conv, name: str, size, other, grad_output, options: tuple, of_input: bool):
    """∂⟨g, conv(x, W)⟩ with respect to x (``of_input``) or W, taken at zeros of ``size``,
    ``other`` being the operand given; differentiable again when grad mode is on (the
    gradient is linear in g and in ``other``, so its value does not depend on the zeros)."""
    _check_size(name, size, other.ndim)
    recording = is_grad_enabled()
    with enable_grad():
        zeros = ops.zeros(tuple(size), dtype=other.dtype, device=other.device, requires_grad=True)
        x, weight = (zeros, other) if of_input else (other, zeros)
        y = conv(x, weight, None, *options)
        _check_output(y, grad_output)
        (gradient,) = grad(y, zeros, grad_output, create_graph=recording)
    return gradient


def _check_size(name: str, size, axes: int):
    if len(size) != axes:
        raise ShapeError(f"{name} must have {axes} entries (N or out, C, then the spatial axes), got {tuple(size)}")


def _check_output(y, grad_output):
    if tuple(grad_output.shape) != y.shape:
        raise ShapeError(f"grad_output of shape {grad_output.shape} does not match the convolution's output, "
                         f"of shape {y.shape} for these sizes")
