"""GELU, SiLU, ELU, Softplus and normalize: finite-difference gradients, values and gradients
against PyTorch, the device."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

SHAPE = (3, 4, 5)
# (name, our function, keyword arguments shared with PyTorch)
ACTIVATIONS = [
    ("gelu", F.gelu, {}),
    ("gelu", F.gelu, {"approximate": "tanh"}),
    ("silu", F.silu, {}),
    ("elu", F.elu, {}),
    ("elu", F.elu, {"alpha": 0.5}),
    ("softplus", F.softplus, {}),
    ("softplus", F.softplus, {"beta": 2.0, "threshold": 1.0}),
    ("normalize", F.normalize, {}),
    ("normalize", F.normalize, {"p": 1, "dim": -1}),
]
IDS = ["gelu", "gelu-tanh", "silu", "elu", "elu-alpha", "softplus", "softplus-threshold", "normalize",
       "normalize-p1-last"]


def values(seed=0, scale=3.0):
    return scale * numpy.random.default_rng(seed).standard_normal(SHAPE)


@pytest.mark.parametrize("name, fn, kwargs", ACTIVATIONS, ids=IDS)
def test_gradients_match_finite_differences(name, fn, kwargs):
    x = Tensor(values(), requires_grad=True)
    assert gradcheck(lambda t: fn(t, **kwargs), x)
    assert gradgradcheck(lambda t: fn(t, **kwargs), x)


@pytest.mark.parametrize("name, fn, kwargs", ACTIVATIONS, ids=IDS)
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-12), ("float32", 1e-5)])
def test_values_and_gradients_match_torch(torch, name, fn, kwargs, dtype, tolerance):
    data, upstream = values(1).astype(dtype), values(2, 1.0).astype(dtype)
    x = Tensor(data, requires_grad=True)
    y = fn(x, **kwargs)
    y.backward(Tensor(upstream))
    tx = torch.tensor(data, requires_grad=True)
    ty = getattr(torch.nn.functional, name)(tx, **kwargs)
    ty.backward(torch.tensor(upstream))
    assert y.dtype == dtype
    numpy.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=tolerance, atol=tolerance)
    numpy.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_modules_match_torch_and_print_as_torch(torch, approximate):
    data = values(3)
    numpy.testing.assert_allclose(nn.GELU(approximate)(Tensor(data)).numpy(),
                                  torch.nn.GELU(approximate)(torch.tensor(data)).numpy(), rtol=1e-12, atol=1e-12)
    numpy.testing.assert_allclose(nn.SiLU()(Tensor(data)).numpy(),
                                  torch.nn.SiLU()(torch.tensor(data)).numpy(), rtol=1e-12, atol=1e-12)
    assert repr(nn.GELU(approximate)) == repr(torch.nn.GELU(approximate))
    assert repr(nn.SiLU()) == repr(torch.nn.SiLU())


@pytest.mark.parametrize("name, args", [("ELU", ()), ("ELU", (0.5,)), ("Softplus", ()), ("Softplus", (2, 1))])
def test_elu_and_softplus_modules_match_torch_and_print_as_torch(torch, name, args):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    data = values(3)
    expected = theirs(torch.tensor(data)).numpy()
    numpy.testing.assert_allclose(ours(Tensor(data)).numpy(), expected, rtol=1e-12, atol=1e-12)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("call", [lambda: nn.GELU("erf"), lambda: F.gelu(Tensor([1.0]), approximate="fast")])
def test_an_unknown_approximation_is_refused(call):
    with pytest.raises(ValueError, match="approximate must be one of"):
        call()


@pytest.mark.parametrize("module", [nn.GELU(), nn.GELU("tanh"), nn.SiLU(), nn.ELU(), nn.Softplus(2.0, 1.0)], ids=repr)
def test_runs_forward_and_backward_on_the_device(strict_cuda, module):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(values(4), requires_grad=True, device=device)
        y = module(x)
        y.backward(Tensor(values(5), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)
