"""F.pad in every mode and the padding layers: values and gradients against PyTorch, finite
differences, errors, the device."""

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
    ((1, 1), "reflective", ValueError, "'constant', 'reflect', 'replicate' or 'circular'"),
    ((3, 0), "reflect", ValueError, "at most 2 entries"),
    ((4, 0), "circular", ValueError, "at most 3 entries"),
    ((1, 1, 1, 1), "replicate", ValueError, "1 or 2 more axes"),
])
def test_bad_arguments_are_reported(pad, mode, error, words):
    with pytest.raises(error, match=words):
        F.pad(Tensor(values((2, 3))), pad, mode=mode)


def test_copying_modes_take_no_value():
    with pytest.raises(ValueError, match="takes no value"):
        F.pad(Tensor(values((2, 3))), (1, 1), mode="reflect", value=2.0)


MODE_CASES = [  # (input shape, pad): the last 1, 2 or 3 axes, with or without a batch axis
    ((2, 5), (2, 1)),
    ((2, 3, 5), (4, 3)),
    ((2, 3, 4, 5), (1, 2, 3, 0)),
    ((3, 4, 5), (2, 2, 1, 1)),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2)),
    ((2, 3, 5), (-1, 2)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", MODE_CASES)
def test_copying_modes_match_torch(torch, shape, pad, mode):
    data = values(shape)
    x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = F.pad(x, pad, mode=mode), torch.nn.functional.pad(tx, pad, mode=mode)
    upstream = values(y.shape, 1)
    y.backward(Tensor(upstream))
    ty.backward(torch.tensor(upstream))
    numpy.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    numpy.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_copying_modes_gradients_match_finite_differences(mode):
    x = Tensor(values((1, 2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, (2, 1, 1, 2), mode=mode), x)
    assert gradgradcheck(lambda t: F.pad(t * t, (2, 1, 1, 2), mode=mode), x)


@pytest.mark.parametrize("name, arguments", [
    ("ReflectionPad1d", (2,)), ("ReflectionPad2d", ((1, 0, 2, 1),)), ("ReflectionPad3d", (1,)),
    ("ReplicationPad1d", ((1, 3),)), ("ReplicationPad2d", (2,)), ("ReplicationPad3d", ((1, 0, 0, 1, 2, 0),)),
    ("CircularPad1d", (1,)), ("CircularPad2d", ((2, 0, 1, 1),)), ("CircularPad3d", (1,)),
    ("ZeroPad1d", (2,)), ("ZeroPad2d", ((1, 2, 0, 1),)), ("ZeroPad3d", (1,)),
    ("ConstantPad1d", (2, 1.5)), ("ConstantPad2d", ((1, 0, 2, 1), -3.0)), ("ConstantPad3d", (1, 0.25)),
])
def test_padding_layers_match_torch(torch, name, arguments):
    from tinygrad_bn import nn

    ours, theirs = getattr(nn, name)(*arguments), getattr(torch.nn, name)(*arguments)
    assert repr(ours) == repr(theirs)
    data = values((2, 3, 4, 4, 4)[5 - (int(name[-2]) + 2):])
    numpy.testing.assert_array_equal(ours(Tensor(data)).numpy(), theirs(torch.tensor(data)).numpy())


@pytest.mark.parametrize("mode", ["constant", "reflect"])
def test_runs_forward_and_backward_on_the_device(strict_cuda, mode):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(values((2, 3, 4)), requires_grad=True, device=device)
        y = F.pad(x, (1, -1, -1, 2), value=0.5) if mode == "constant" else F.pad(x, (2, 1), mode=mode)
        y.backward(Tensor(values(y.shape, 1), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)


@pytest.mark.parametrize("name", ["ZeroPad2d", "ReflectionPad1d", "ReplicationPad3d", "CircularPad2d"])
def test_layers_without_a_value_refuse_one_as_pytorchs_do(torch, name):
    from tinygrad_bn import nn

    for namespace in (nn, torch.nn):
        with pytest.raises(TypeError):
            getattr(namespace, name)(1, 5.0)
