"""CrossMapLRN2d (nn/local_response_norm.py): PyTorch's values (its window and the first
channel's square it keeps), dtypes, repr and errors; the gradient is the derivative of
those values (finite differences of first and second order), where PyTorch's backward
agrees with it (one channel) the same numbers."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("channels", [1, 2, 3, 8])
@pytest.mark.parametrize(("size", "alpha", "beta", "k"), [(1, 0.5, 0.75, 1), (2, 1e-4, 0.75, 1), (3, 0.3, 0.5, 2.0),
                                                          (4, 1.0, 1.0, 0.5), (5, 2.0, 0.75, 1)])
def test_values_are_pytorchs(torch, size, alpha, beta, k, channels, dtype):
    x = numpy.random.default_rng([size, channels]).standard_normal((2, channels, 3, 4)).astype(dtype)
    ours = tg.nn.CrossMapLRN2d(size, alpha, beta, k)(Tensor(x)).numpy()
    theirs = torch.nn.CrossMapLRN2d(size, alpha, beta, k)(torch.tensor(x)).numpy()
    assert ours.dtype == theirs.dtype
    numpy.testing.assert_allclose(ours, theirs, rtol=2e-6 if dtype == "float32" else 1e-13, atol=1e-7)


@pytest.mark.parametrize("size", [2, 3, 5])
def test_gradient_is_pytorchs_for_one_channel(torch, size):
    x = numpy.random.default_rng(size).standard_normal((2, 1, 3, 3))
    upstream = numpy.random.default_rng(9).standard_normal((2, 1, 3, 3))
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    tg.nn.CrossMapLRN2d(size, 0.5)(ours).backward(Tensor(upstream))
    torch.nn.CrossMapLRN2d(size, 0.5)(theirs).backward(torch.tensor(upstream))
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize(("size", "channels"), [(1, 3), (2, 4), (3, 5), (4, 6)])
def test_gradients_match_finite_differences(size, channels):
    x = Tensor(numpy.random.default_rng(channels).standard_normal((2, channels, 2, 2)), requires_grad=True)
    norm = tg.nn.CrossMapLRN2d(size, 0.7, 0.75, 1.0)
    assert gradcheck(norm, x)
    assert gradgradcheck(norm, x)


def test_repr_and_state_are_pytorchs(torch):
    for args in [(3,), (2, 1e-3, 0.5, 2), (5, 0.1, 1.0, 1.5)]:
        assert repr(tg.nn.CrossMapLRN2d(*args)) == repr(torch.nn.CrossMapLRN2d(*args))
    assert list(tg.nn.CrossMapLRN2d(3).state_dict()) == []
    assert tg.nn.modules.normalization.CrossMapLRN2d is tg.nn.CrossMapLRN2d
    assert not isinstance(tg.nn.CrossMapLRN2d(3), tg.nn.LocalResponseNorm)


@pytest.mark.parametrize("shape", [(3, 4, 4), (1, 2, 3, 4, 5)])
def test_other_than_4d_input_is_refused_as_by_pytorch(torch, raises_like_torch, shape):
    raises_like_torch(lambda: tg.nn.CrossMapLRN2d(3)(tg.ones(shape)),
                      lambda: torch.nn.CrossMapLRN2d(3)(torch.ones(shape)),
                      r"CrossMapLRN2d: expects input of shape \(N, C, H, W\)")


def test_a_size_that_is_not_a_positive_int_is_refused():
    """PyTorch divides by zero for size 0, at the first call."""
    with pytest.raises(ValueError, match="CrossMapLRN2d: size must be a positive int, got 0"):
        tg.nn.CrossMapLRN2d(0)
