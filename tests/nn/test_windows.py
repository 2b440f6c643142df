"""unfold and fold: PyTorch's layout, adjointness, first and second derivatives."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn.windows import fold, unfold

# (image shape (N, C, H, W), kernel_size, stride): overlapping, tiling, uneven and rectangular windows
CASES = [
    ((2, 3, 5, 5), 3, 1),
    ((1, 2, 4, 6), 2, 2),
    ((2, 1, 7, 5), (3, 2), (2, 1)),
    ((1, 2, 5, 4), (2, 3), (3, 2)),
]


def rng_array(shape, seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape)


def columns_shape(shape, kernel_size, stride):
    n, c, h, w = shape
    (kh, kw), (sh, sw) = [(v, v) if isinstance(v, int) else v for v in (kernel_size, stride)]
    return (n, c * kh * kw, ((h - kh) // sh + 1) * ((w - kw) // sw + 1))


@pytest.mark.parametrize("shape, kernel_size, stride", CASES)
def test_unfold_and_fold_match_pytorch(shape, kernel_size, stride):
    torch = pytest.importorskip("torch")
    x = rng_array(shape)
    expected = torch.nn.functional.unfold(torch.from_numpy(x), kernel_size, stride=stride).numpy()
    numpy.testing.assert_array_equal(unfold(Tensor(x), kernel_size, stride).numpy(), expected)
    columns = rng_array(columns_shape(shape, kernel_size, stride), seed=1)
    expected = torch.nn.functional.fold(torch.from_numpy(columns), shape[2:], kernel_size, stride=stride)
    numpy.testing.assert_allclose(fold(Tensor(columns), shape[2:], kernel_size, stride).numpy(),
                                  expected.numpy(), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("shape, kernel_size, stride", CASES)
def test_fold_is_the_adjoint_of_unfold(shape, kernel_size, stride):
    x = rng_array(shape)
    y = rng_array(columns_shape(shape, kernel_size, stride), seed=1)
    # ⟨unfold(x), y⟩ = ⟨x, fold(y)⟩
    left = numpy.sum(unfold(Tensor(x), kernel_size, stride).numpy() * y)
    right = numpy.sum(x * fold(Tensor(y), shape[2:], kernel_size, stride).numpy())
    assert left == pytest.approx(right, rel=1e-12)


@pytest.mark.parametrize("shape, kernel_size, stride", CASES[:3])
def test_unfold_and_fold_derivatives(shape, kernel_size, stride):
    x = Tensor(rng_array(shape), requires_grad=True)
    y = Tensor(rng_array(columns_shape(shape, kernel_size, stride), seed=1), requires_grad=True)
    assert gradcheck(lambda t: unfold(t, kernel_size, stride), x)
    assert gradcheck(lambda t: fold(t, shape[2:], kernel_size, stride), y)
    # unfold is linear: its second derivative is zero, checked through a square
    assert gradgradcheck(lambda t: unfold(t * t, kernel_size, stride), x)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: unfold(Tensor(numpy.zeros((2, 3, 3))), 2), r"\(N, C, H, W\)"),
        (lambda: unfold(Tensor(numpy.zeros((1, 1, 3, 3))), 4), "does not fit"),
        (lambda: unfold(Tensor(numpy.zeros((1, 1, 3, 3))), 2, stride=0), "stride"),
        (lambda: fold(Tensor(numpy.zeros((1, 5, 4))), (3, 3), 2), r"\(N, C·4, 4\)"),
    ],
)
def test_bad_arguments_are_reported(call, words):
    with pytest.raises(ValueError, match=words):
        call()
