"""interpolate and Upsample: values and gradients against PyTorch (float64, random
upstream gradients), finite differences, the strict device, and PyTorch's errors."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor, nn
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F

# (input shape, keyword arguments shared with PyTorch)
CASES = [
    ((2, 3, 4, 5), {"scale_factor": 2, "mode": "nearest"}),
    ((2, 3, 4, 5), {"size": (7, 3), "mode": "nearest"}),
    ((1, 2, 6, 6), {"scale_factor": 0.5, "mode": "nearest"}),
    ((1, 2, 5, 4), {"size": (8, 9), "mode": "nearest-exact"}),
    ((2, 3, 4, 5), {"scale_factor": 2, "mode": "bilinear", "align_corners": False}),
    ((2, 3, 4, 5), {"scale_factor": 2, "mode": "bilinear", "align_corners": True}),
    ((2, 3, 4, 5), {"size": (7, 8), "mode": "bilinear"}),
    ((1, 2, 6, 7), {"size": (3, 4), "mode": "bilinear", "align_corners": True}),
    ((1, 2, 6, 7), {"scale_factor": (0.7, 1.6), "mode": "bilinear"}),
    ((1, 2, 3, 3), {"size": 1, "mode": "bilinear", "align_corners": True}),
    ((2, 3, 5), {"scale_factor": 3, "mode": "linear"}),
    ((2, 3, 5), {"size": 4, "mode": "linear", "align_corners": True}),
    ((2, 3, 5), {"scale_factor": 1.5, "mode": "nearest"}),
    ((1, 1, 2, 3, 4), {"scale_factor": 2, "mode": "trilinear"}),
    ((1, 1, 2, 3, 4), {"size": (3, 3, 3), "mode": "nearest"}),
]
IDS = [f"{shape}-{','.join(f'{k}={v}' for k, v in kwargs.items())}".replace(" ", "") for shape, kwargs in CASES]


def data(shape, seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("shape, kwargs", CASES, ids=IDS)
def test_values_and_gradients_match_torch(torch, shape, kwargs):
    x = Tensor(data(shape), requires_grad=True)
    y = F.interpolate(x, **kwargs)
    tx = torch.tensor(data(shape), requires_grad=True)
    ty = torch.nn.functional.interpolate(tx, **kwargs)
    assert y.shape == tuple(ty.shape) and y.dtype == "float64"
    numpy.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = data(y.shape, seed=1)
    (dx,) = grad(y, [x], Tensor(upstream))
    (expected,) = torch.autograd.grad(ty, [tx], torch.tensor(upstream))
    numpy.testing.assert_allclose(dx.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, kwargs", CASES[4:12], ids=IDS[4:12])
def test_linear_modes_match_finite_differences(shape, kwargs):
    assert gradcheck(lambda t: F.interpolate(t, **kwargs), Tensor(data(shape), requires_grad=True))


@pytest.mark.parametrize("shape, kwargs", [CASES[0], CASES[4], CASES[11]], ids=[IDS[0], IDS[4], IDS[11]])
def test_runs_on_the_device(strict_cuda, shape, kwargs):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(data(shape), requires_grad=True, device=device)
        y = F.interpolate(x, **kwargs)
        y.backward(Tensor(data(y.shape, seed=1), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


def test_upsample_is_interpolate_as_a_layer_and_prints_as_torch(torch):
    for arguments in [{"scale_factor": 2, "mode": "bilinear"}, {"size": (3, 4)}]:
        ours, theirs = nn.Upsample(**arguments), torch.nn.Upsample(**arguments)
        x = data((1, 2, 4, 5))
        expected = theirs(torch.tensor(x)).numpy()
        numpy.testing.assert_allclose(ours(Tensor(x)).numpy(), expected, rtol=1e-12, atol=1e-12)
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("shape, kwargs, error, words", [
    ((1, 1, 4, 4), {"size": 2, "scale_factor": 2}, ValueError, "exactly one of size or scale_factor"),
    ((1, 1, 4, 4), {}, ValueError, "exactly one of size or scale_factor"),
    ((1, 1, 4, 4), {"size": 2, "align_corners": True}, ValueError, "align_corners can only be set"),
    ((1, 1, 4), {"size": 2, "mode": "bilinear"}, NotImplementedError, "mode 'bilinear' needs 4-D input"),
    ((1, 1, 4, 4), {"size": 2, "mode": "spline"}, NotImplementedError, "mode must be one of"),
    ((1, 1, 4, 4), {"size": (2, 3, 4)}, ValueError, "has 3 entries for 2 spatial dimensions"),
    ((1, 1, 4, 4), {"scale_factor": 0.1}, RuntimeError, "has an empty axis"),
])
def test_bad_arguments_are_refused_as_pytorch_refuses_them(torch, shape, kwargs, error, words):
    with pytest.raises(error, match=words):
        F.interpolate(Tensor(data(shape)), **kwargs)
    with pytest.raises(error):
        torch.nn.functional.interpolate(torch.tensor(data(shape)), **kwargs)
