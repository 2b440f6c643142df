"""LocalResponseNorm and local_response_norm: PyTorch's numbers, the window by hand,
finite differences, state, repr and errors, the strict device."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn.local_response_norm import LocalResponseNorm, local_response_norm

SHAPES = [(2, 6, 4), (2, 5, 3, 4), (2, 4, 2, 3, 2), (1, 3, 2, 2, 1, 2)]  # (N, C, *) with 1 to 4 axes after C
TOLERANCE = {"float32": dict(rtol=2e-6, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-14)}


def rng_array(shape, seed=0):
    return 3.0 * numpy.random.default_rng(seed).standard_normal(shape)


def _window_by_hand(a, size, alpha, beta, k):
    """(L1) with a loop over the channels and their windows, in float64."""
    b = numpy.empty_like(a)
    channels = a.shape[1]
    for c in range(channels):
        window = range(max(c - size // 2, 0), min(c + (size - 1) // 2 + 1, channels))
        energy = sum(a[:, j] ** 2 for j in window)
        b[:, c] = a[:, c] * (k + alpha / size * energy) ** -beta
    return b


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("shape", SHAPES)
def test_window_is_the_channels_around_each_channel(shape, size):
    a = rng_array(shape)
    b = local_response_norm(Tensor(a), size, alpha=0.5, beta=0.6, k=2.0)
    numpy.testing.assert_allclose(b.numpy(), _window_by_hand(a, size, 0.5, 0.6, 2.0), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size, alpha, beta, k", [(2, 1e-4, 0.75, 1.0), (3, 0.1, 0.5, 2.0), (5, 1.0, 1.0, 1.0),
                                                  (8, 0.3, 0.75, 0.5)])
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_pytorch(torch, shape, size, alpha, beta, k, dtype):
    """Outputs, and gradients of ⟨v, b⟩ for a random v."""
    a, v = rng_array(shape).astype(dtype), numpy.random.default_rng(1).standard_normal(shape).astype(dtype)
    x, tx = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    b, tb = local_response_norm(x, size, alpha, beta, k), torch.nn.functional.local_response_norm(tx, size, alpha,
                                                                                                    beta, k)
    b.backward(Tensor(v))
    tb.backward(torch.from_numpy(v))
    assert b.dtype == numpy.dtype(dtype)
    numpy.testing.assert_allclose(b.numpy(), tb.detach().numpy(), **TOLERANCE[dtype])
    numpy.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **TOLERANCE[dtype])


@pytest.mark.parametrize("size", [1, 2, 3])
def test_derivatives(size):
    x = Tensor(rng_array((2, 3, 2), seed=2), requires_grad=True)

    def norm(t):
        return local_response_norm(t, size, alpha=0.5, beta=0.75, k=1.0)

    assert gradcheck(norm, x)
    assert gradgradcheck(norm, x)


@pytest.mark.parametrize("args", [(2,), (3, 1e-3, 0.5, 2.0), (5, 1, 1, 1)])
def test_module_repr_and_state_are_pytorchs(torch, args):
    ours, theirs = LocalResponseNorm(*args), torch.nn.LocalResponseNorm(*args)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    a = rng_array((2, 4, 3, 3))
    numpy.testing.assert_allclose(ours(Tensor(a)).numpy(), theirs(torch.from_numpy(a)).numpy(), rtol=1e-12)


def test_empty_input_is_returned_as_it_is():
    x = tg.zeros(2, 3, 0)
    assert local_response_norm(x, 2) is x


@pytest.mark.parametrize("call, error, words", [
    (lambda: local_response_norm(tg.zeros(2, 3), 2), ValueError,
     r"local_response_norm expects input of shape \(N, C, \*\) with at least 3 axes, got \(2, 3\)"),
    (lambda: LocalResponseNorm(2)(tg.zeros(4)), ValueError, r"with at least 3 axes, got \(4,\)"),
    (lambda: LocalResponseNorm(0), ValueError, "LocalResponseNorm: size must be a positive int, got 0"),
    (lambda: local_response_norm(tg.zeros(1, 2, 2), 1.5), ValueError,
     "local_response_norm: size must be a positive int, got 1.5"),
    (lambda: local_response_norm(tg.arange(8).reshape(1, 2, 4), 2), TypeError,
     "local_response_norm expects a floating point input, got dtype int64"),
])
def test_bad_arguments_are_reported(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_runs_on_a_device_without_handing_arrays_to_numpy(strict_cuda):
    rng = numpy.random.default_rng(3)
    data, dv = rng_array((2, 5, 3, 4)).astype("float32"), rng.standard_normal((2, 5, 3, 4)).astype("float32")
    results = {}
    for device in ("cpu", "cuda"):
        x = Tensor(data, requires_grad=True, device=device)
        b = LocalResponseNorm(3, alpha=0.1)(x)
        b.backward(Tensor(dv, device=device))
        assert b.device == device and x.grad.device == device
        results[device] = [b.numpy(), x.grad.numpy()]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-6, atol=1e-7)
