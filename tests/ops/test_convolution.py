"""The Convolution op against its definition, in both of its layouts, and its two backwards.

Gradients, PyTorch parity and the strict device are covered by the conv2d cases of
conftest.py; here: the sum that defines a convolution, the layout each image size
takes, and that the fast backward and the create_graph one give the same gradients.
"""

from __future__ import annotations

import itertools

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad
from tinygrad_bn.backend import CPU
from tinygrad_bn.ops.convolution import Convolution, Windows, conv2d

# (x shape, weight shape, stride, dilation, (top, bottom, left, right), groups, batch last?)
CASES = [
    ((2, 3, 4, 5), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 1, True),
    ((2, 2, 3, 18), (3, 2, 2, 3), (1, 1), (1, 1), (0, 0, 0, 0), 1, False),
    ((1, 4, 5, 36), (6, 2, 3, 3), (1, 2), (2, 1), (1, 1, 2, 2), 2, False),
    ((3, 4, 6, 7), (2, 4, 2, 3), (2, 1), (1, 2), (0, 1, 2, 0), 1, True),
    ((2, 6, 5, 20), (6, 1, 3, 2), (1, 1), (1, 1), (1, 0, 0, 1), 6, False),
    ((9, 2, 3, 3), (3, 2, 3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 1, True),  # more images than windows a row
    ((2, 4, 7, 24), (4, 2, 2, 3), (1, 1), (2, 3), (1, 0, 2, 1), 2, False),  # dilated, folded as shifted runs
]
IDS = [f"{x}x{w}-stride{s}-dilation{d}-pad{p}-groups{g}" for x, w, s, d, p, g, _ in CASES]


def defined_by_the_sum(x, weight, bias, stride, dilation, padding, groups):
    """out[n, o, y, x] = b[o] + Σ_{c in o's group, i, j} W[o, c, i, j] · xp[n, c, y·sh + i·dh, x·sw + j·dw],
    one output pixel at a time."""
    top, bottom, left, right = padding
    padded = numpy.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    (n, _, height, width), (out_channels, per_group, kh, kw) = padded.shape, weight.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh, ow = (height - dh * (kh - 1) - 1) // sh + 1, (width - dw * (kw - 1) - 1) // sw + 1
    out = numpy.zeros((n, out_channels, oh, ow))
    for o in range(out_channels):
        first = o // (out_channels // groups) * per_group
        for y in range(oh):
            for x_ in range(ow):
                window = padded[:, first: first + per_group, y * sh: y * sh + dh * (kh - 1) + 1: dh,
                                x_ * sw: x_ * sw + dw * (kw - 1) + 1: dw]
                out[:, o, y, x_] = bias[o] + (window * weight[o]).sum(axis=(1, 2, 3))
    return out


@pytest.mark.parametrize("x_shape, w_shape, stride, dilation, padding, groups, batch_last", CASES, ids=IDS)
def test_the_forward_is_the_sum_that_defines_a_convolution(x_shape, w_shape, stride, dilation, padding, groups,
                                                          batch_last):
    rng = numpy.random.default_rng(0)
    x, weight, bias = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    expected = defined_by_the_sum(x, weight, bias, stride, dilation, padding, groups)
    out = conv2d(Tensor(x), Tensor(weight), Tensor(bias), stride, padding, dilation, groups)
    numpy.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    out = conv2d(Tensor(x), Tensor(weight), None, stride, padding, dilation, groups)
    numpy.testing.assert_allclose(out.numpy(), expected - bias.reshape(-1, 1, 1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, dilation, padding, groups, batch_last", CASES, ids=IDS)
def test_the_batch_goes_last_for_rows_of_fewer_than_16_windows_that_are_folded(x_shape, w_shape, stride, dilation,
                                                                                padding, groups, batch_last):
    windows = Windows(x_shape, w_shape[2:], stride, dilation, padding, CPU, folded=True)
    assert windows.batch_last == batch_last
    assert windows.batch_last == (windows.counts[1] < 16)
    assert not Windows(x_shape, w_shape[2:], stride, dilation, padding, CPU, folded=False).batch_last


@pytest.mark.parametrize("x_shape, w_shape, stride, dilation, padding, groups, batch_last", CASES, ids=IDS)
def test_the_fast_backward_and_the_differentiable_one_agree(x_shape, w_shape, stride, dilation, padding, groups,
                                                           batch_last):
    rng = numpy.random.default_rng(1)
    x = Tensor(rng.standard_normal(x_shape), requires_grad=True)
    weight = Tensor(rng.standard_normal(w_shape), requires_grad=True)
    bias = Tensor(rng.standard_normal(w_shape[0]), requires_grad=True)
    out = conv2d(x, weight, bias, stride, padding, dilation, groups)
    upstream = Tensor(rng.standard_normal(out.shape))
    fast = grad(out, (x, weight, bias), upstream, retain_graph=True)
    differentiable = grad(out, (x, weight, bias), upstream, create_graph=True)
    numpy.testing.assert_allclose(fast[2].numpy(), upstream.numpy().sum(axis=(0, 2, 3)), rtol=1e-12)
    assert all(g.grad_fn is None for g in fast)
    assert all(g.grad_fn is not None for g in differentiable[:2])  # dbias = Σ upstream depends on neither
    for a, b in zip(fast, differentiable, strict=True):
        numpy.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, dilation, padding, groups, batch_last", CASES, ids=IDS)
def test_the_input_gradient_is_the_fold_of_the_transposed_product(x_shape, w_shape, stride, dilation, padding,
                                                                  groups, batch_last):
    rng = numpy.random.default_rng(3)
    windows = Windows(x_shape, w_shape[2:], stride, dilation, padding, CPU, folded=True)
    kernels = rng.standard_normal((groups, w_shape[0] // groups, w_shape[1] * w_shape[2] * w_shape[3]))
    dy = rng.standard_normal((groups, w_shape[0] // groups, x_shape[0] * windows.counts[0] * windows.counts[1]))
    folded = windows.fold(kernels.swapaxes(1, 2) @ dy, x_shape[1])
    numpy.testing.assert_allclose(windows.input_gradient(kernels, dy, x_shape[1]), folded, rtol=1e-12, atol=1e-12)
    # every pixel sums the products of the windows that cover it, and only those
    (sh, sw), (dh, dw), (top, _, left, _) = stride, dilation, padding
    columns = (kernels.swapaxes(1, 2) @ dy).reshape(x_shape[1], *w_shape[2:], *windows.shape(1, windows.counts)[1:])
    if batch_last:  # (C, kh, kw, OH, OW, N) -> (C, kh, kw, N, OH, OW)
        columns = columns.transpose(0, 1, 2, 5, 3, 4)
    expected = numpy.zeros((x_shape[1], x_shape[0], *windows.padded_size))
    for i, j, y, x in itertools.product(*(range(n) for n in (*w_shape[2:], *windows.counts))):
        expected[:, :, y * sh + i * dh, x * sw + j * dw] += columns[:, i, j, :, y, x]
    expected = expected[:, :, top: top + x_shape[2], left: left + x_shape[3]].transpose(1, 0, 2, 3)
    numpy.testing.assert_allclose(folded, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_an_infinite_weight_reaches_only_the_pixels_its_windows_cover():
    rng = numpy.random.default_rng(4)
    windows = Windows((2, 1, 3, 16), (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), CPU, folded=True)
    kernels = rng.standard_normal((1, 1, 9))
    kernels[0, 0, 8] = numpy.inf  # the bottom-right tap: it never sees the first row and column
    dy = rng.standard_normal((1, 1, 2 * 3 * 16))
    dx = windows.input_gradient(kernels, dy, 1)
    assert numpy.isfinite(dx[:, :, 0, :]).all() and numpy.isfinite(dx[:, :, :, 0]).all()
    assert not numpy.isfinite(dx[:, :, 1:, 1:]).any()
    numpy.testing.assert_array_equal(dx, windows.fold(kernels.swapaxes(1, 2) @ dy, 1))


@pytest.mark.parametrize("needs", ["x", "weight"])
def test_only_the_gradients_asked_for_are_computed(needs):
    rng = numpy.random.default_rng(2)
    x = Tensor(rng.standard_normal((2, 3, 5, 5)), requires_grad=needs == "x")
    weight = Tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=needs == "weight")
    out = conv2d(x, weight, None, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    assert isinstance(out.grad_fn, Convolution)
    out.sum().backward()
    assert (x.grad is None) == (needs != "x") and (weight.grad is None) == (needs != "weight")


def test_input_and_weight_of_two_dtypes_are_refused():
    with pytest.raises(RuntimeError, match=r"conv2d expects both operands of one dtype, got float32"):
        tg.nn.functional.conv2d(tg.zeros(1, 2, 4, 4), tg.zeros(3, 2, 3, 3, dtype="float64"))


@pytest.mark.parametrize("x_shape, w_shape, stride, dilation, padding, groups, batch_last", CASES, ids=IDS)
def test_dw_is_the_same_with_and_without_a_fold(x_shape, w_shape, stride, dilation, padding, groups, batch_last):
    # without dx there is no fold and short rows keep the batch first: the other layout, the same dW
    rng = numpy.random.default_rng(3)
    x_data, w_data = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    dweights = []
    for x_needs_grad in (True, False):
        x = Tensor(x_data, requires_grad=x_needs_grad)
        weight = Tensor(w_data, requires_grad=True)
        out = conv2d(x, weight, None, stride, padding, dilation, groups)
        out.backward(Tensor(numpy.linspace(-1.0, 1.0, out.numel()).reshape(out.shape)))
        dweights.append(weight.grad.numpy())
    numpy.testing.assert_allclose(dweights[0], dweights[1], rtol=1e-12, atol=1e-12)
