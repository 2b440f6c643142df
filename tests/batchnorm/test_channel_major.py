"""Channel-major memory: a convolution's output lies channel after channel, BatchNorm,
ReLU and max pooling keep that memory forward and backward, and every number equals
what the same values in C order give."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.backend import is_channel_major

SHAPES = [(8, 3, 6, 5), (16, 4, 32), (4, 5, 2, 3, 2)]  # 2-D, 1-D and 3-D images


def _channel_major(a):
    return numpy.ascontiguousarray(a.swapaxes(0, 1)).swapaxes(0, 1)


def _batch_norm_run(x_array, dy, training, channel_major, device="cpu"):
    """y, dx, dγ, dβ and the running statistics of a fused BatchNorm on ``x_array``,
    given to it in C order or channel-major (the transpose of a (C, N, ...) leaf)."""
    channels = x_array.shape[1]
    if channel_major:
        leaf = tg.tensor(numpy.ascontiguousarray(x_array.swapaxes(0, 1)), device=device).requires_grad_()
        x = leaf.transpose(0, 1)
    else:
        leaf = x = tg.tensor(x_array, device=device).requires_grad_()
    assert is_channel_major(x._data) == channel_major
    weight = tg.tensor(numpy.linspace(0.5, 1.5, channels), device=device).requires_grad_()
    bias = tg.tensor(numpy.linspace(-1, 1, channels), device=device).requires_grad_()
    running_mean = tg.tensor(numpy.linspace(-0.2, 0.2, channels), device=device)
    running_var = tg.tensor(numpy.linspace(0.5, 2.0, channels), device=device)
    y = tg.nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training=training)
    assert is_channel_major(y._data) == channel_major  # y keeps the memory order
    y.backward(tg.tensor(dy, device=device))
    dx = leaf.grad.transpose(0, 1) if channel_major else leaf.grad
    return [t.numpy() for t in (y, dx, weight.grad, bias.grad, running_mean, running_var)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_of_channel_major_input_equals_c_order(shape, training):
    rng = numpy.random.default_rng(0)
    x = 3 * rng.standard_normal(shape) + 7
    dy = rng.standard_normal(shape)
    expected = _batch_norm_run(x, dy, training, channel_major=False)
    got = _batch_norm_run(x, dy, training, channel_major=True)
    for name, ours, reference in zip(("y", "dx", "dgamma", "dbeta", "running_mean", "running_var"), got, expected):
        numpy.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12, err_msg=name)


def test_batch_norm_of_channel_major_input_on_the_device(strict_cuda):
    rng = numpy.random.default_rng(1)
    x = rng.standard_normal((6, 3, 4, 4))
    dy = rng.standard_normal(x.shape)
    on_device = _batch_norm_run(x, dy, True, channel_major=True, device="cuda")
    for ours, on_cpu in zip(on_device, _batch_norm_run(x, dy, True, channel_major=True), strict=True):
        numpy.testing.assert_allclose(ours, on_cpu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_bn_relu_pool_keep_channel_major_memory_and_pytorchs_numbers(dtype, torch):
    """The chain of a CNN block: the convolution's output and BatchNorm's are
    channel-major, so is the gradient reaching the convolution; the numbers are PyTorch's."""
    rng = numpy.random.default_rng(2)
    x = rng.standard_normal((8, 3, 32, 32)).astype(dtype)
    kernels = (rng.standard_normal((6, 3, 3, 3)) / 3).astype(dtype)
    upstream = rng.standard_normal((8, 6, 16, 16)).astype(dtype)
    seen = {}

    def block(t, x, weight):
        conv = t.nn.functional.conv2d(x, weight, padding=1)
        conv.register_hook(lambda g: seen.setdefault(t.__name__ + " gradient", g))  # as the convolution gets it
        normalized = t.nn.functional.batch_norm(conv, None, None, training=True)
        seen.setdefault(t.__name__, (conv, normalized))
        return t.nn.functional.max_pool2d(t.relu(normalized), 2)

    results = {}
    for t in (tg, torch):
        xs = t.tensor(x, requires_grad=True)
        weight = t.tensor(kernels, requires_grad=True)
        out = block(t, xs, weight)
        out.backward(t.tensor(upstream))
        results[t.__name__] = [out.detach().numpy(), xs.grad.numpy(), weight.grad.numpy(),
                               seen[t.__name__ + " gradient"].numpy()]
    conv, normalized = seen["tinygrad_bn"]
    assert is_channel_major(conv._data) and is_channel_major(normalized._data)
    assert is_channel_major(seen["tinygrad_bn gradient"]._data)
    tolerance = {"float32": 1e-4, "float64": 1e-10}[dtype]
    for ours, theirs in zip(results["tinygrad_bn"], results["torch"], strict=True):
        numpy.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance * numpy.abs(theirs).max())


def test_contiguous_gives_c_order_and_keeps_the_gradient():
    x = tg.randn(4, 3, 20, 20, requires_grad=True)
    y = tg.nn.functional.conv2d(x, tg.randn(5, 3, 3, 3), padding=1)
    assert is_channel_major(y._data)
    z = y.contiguous()
    assert z._data.flags.c_contiguous and z.contiguous() is z
    numpy.testing.assert_array_equal(z.numpy(), y.numpy())
    z.sum().backward()
    assert x.grad.shape == x.shape
