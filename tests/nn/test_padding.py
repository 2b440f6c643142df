"""F.pad in constant mode: values and gradients against PyTorch, finite differences, errors, the device."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

# (input shape, pad, value)
CASES = [
    ((2, 3), (1, 2), None),
    ((2, 3, 4), (0, 1, 2, 0), 1.5),
    ((1, 2, 3, 4), (1, 1, 1, 1, 1, 0), -2.0),
    ((2, 3, 5), (-1, 2, 1, -2), 0.0),  # crop the left column and the two bottom rows
    ((2, 4), (-2, -1, 0, 0), 3.0),
    ((3,), (0, 0), None),
    ((2, 3), (-1, -2), None),  # crop to nothing
]


def values(shape, seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("shape, pad, value", CASES)
def test_values_and_gradients_match_torch(torch, shape, pad, value):
    data = values(shape)
    x = Tensor(data, requires_grad=True)
    y = F.pad(x, pad, value=value)
    tx = torch.tensor(data, requires_grad=True)
    ty = torch.nn.functional.pad(tx, pad, value=value)
    assert y.shape == tuple(ty.shape)
    upstream = values(y.shape, 1)
    y.backward(Tensor(upstream))
    ty.backward(torch.tensor(upstream))
    numpy.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    numpy.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("shape, pad, value", CASES)
def test_gradients_match_finite_differences(shape, pad, value):
    x = Tensor(values(shape), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, pad, value=value), x)
    assert gradgradcheck(lambda t: F.pad(t * t, pad, value=value), x)


@pytest.mark.parametrize("pad, mode, error, words", [
    ((1,), "constant", ValueError, "even number of ints"),
    ((1, 1, 1, 1, 1, 1), "constant", ValueError, "at most 2 axes"),
    ((-2, -2), "constant", ValueError, "crops 4 entries from axis 1, which has 3"),
    ((1, 1), "reflect", NotImplementedError, "only mode='constant'"),
])
def test_bad_arguments_are_reported(pad, mode, error, words):
    with pytest.raises(error, match=words):
        F.pad(Tensor(values((2, 3))), pad, mode=mode)


def test_runs_forward_and_backward_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(values((2, 3, 4)), requires_grad=True, device=device)
        y = F.pad(x, (1, -1, -1, 2), value=0.5)
        y.backward(Tensor(values(y.shape, 1), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)
