"""unfold and fold: PyTorch's layout, adjointness, first and second derivatives."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.ops.windows import fold, unfold

# (image shape (N, C, H, W), kernel_size, dilation, padding, stride): overlapping, tiling,
# uneven and rectangular windows, dilated and padded ones
CASES = [
    ((2, 3, 5, 5), 3, 1, 0, 1),
    ((1, 2, 4, 6), 2, 1, 0, 2),
    ((2, 1, 7, 5), (3, 2), 1, 0, (2, 1)),
    ((1, 2, 5, 4), (2, 3), 1, 0, (3, 2)),
    ((1, 2, 7, 6), 2, (2, 3), 0, 1),
    ((2, 1, 5, 6), 3, 2, 1, (2, 1)),
    ((1, 1, 4, 4), (3, 2), 1, (1, 2), 2),
]


def rng_array(shape, seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape)


def as_pair(value):
    return (value, value) if isinstance(value, int) else value


def columns_shape(shape, kernel_size, dilation, padding, stride):
    n, c, h, w = shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(as_pair, (kernel_size, dilation, padding, stride))
    rows = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    cols = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    return (n, c * kh * kw, rows * cols)


@pytest.mark.parametrize("shape, kernel_size, dilation, padding, stride", CASES)
def test_unfold_and_fold_match_pytorch(shape, kernel_size, dilation, padding, stride):
    torch = pytest.importorskip("torch")
    args = (kernel_size, dilation, padding, stride)  # PyTorch's order, positional
    x = rng_array(shape)
    expected = torch.nn.functional.unfold(torch.from_numpy(x), *args).numpy()
    numpy.testing.assert_array_equal(unfold(Tensor(x), *args).numpy(), expected)
    columns = rng_array(columns_shape(shape, *args), seed=1)
    expected = torch.nn.functional.fold(torch.from_numpy(columns), shape[2:], *args)
    numpy.testing.assert_allclose(fold(Tensor(columns), shape[2:], *args).numpy(),
                                  expected.numpy(), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("shape, kernel_size, dilation, padding, stride", CASES)
def test_fold_is_the_adjoint_of_unfold(shape, kernel_size, dilation, padding, stride):
    args = (kernel_size, dilation, padding, stride)
    x = rng_array(shape)
    y = rng_array(columns_shape(shape, *args), seed=1)
    # ⟨unfold(x), y⟩ = ⟨x, fold(y)⟩
    left = numpy.sum(unfold(Tensor(x), *args).numpy() * y)
    right = numpy.sum(x * fold(Tensor(y), shape[2:], *args).numpy())
    assert left == pytest.approx(right, rel=1e-12)


@pytest.mark.parametrize("shape, kernel_size, dilation, padding, stride", CASES[:3] + CASES[-2:])
def test_unfold_and_fold_derivatives(shape, kernel_size, dilation, padding, stride):
    args = (kernel_size, dilation, padding, stride)
    x = Tensor(rng_array(shape), requires_grad=True)
    y = Tensor(rng_array(columns_shape(shape, *args), seed=1), requires_grad=True)
    assert gradcheck(lambda t: unfold(t, *args), x)
    assert gradcheck(lambda t: fold(t, shape[2:], *args), y)
    # unfold is linear: its second derivative is zero, checked through a square
    assert gradgradcheck(lambda t: unfold(t * t, *args), x)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: unfold(Tensor(numpy.zeros((2, 3, 3))), 2), r"\(N, C, H, W\)"),
        (lambda: unfold(Tensor(numpy.zeros((1, 1, 3, 3))), 4), "does not fit"),
        (lambda: unfold(Tensor(numpy.zeros((1, 1, 4, 4))), 2, dilation=4), r"with dilation \(4, 4\) does not fit"),
        (lambda: unfold(Tensor(numpy.zeros((1, 1, 4, 4))), 2, dilation=0), "dilation"),
        (lambda: unfold(Tensor(numpy.zeros((1, 1, 3, 3))), 2, stride=0), "stride"),
        (lambda: fold(Tensor(numpy.zeros((1, 5, 4))), (3, 3), 2), r"\(N, C·4, 4\)"),
    ],
)
def test_bad_arguments_are_reported(call, words):
    with pytest.raises(ValueError, match=words):
        call()
