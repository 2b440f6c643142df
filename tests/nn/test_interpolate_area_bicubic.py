"""interpolate's ``area`` and ``bicubic`` modes, and UpsamplingNearest2d and
UpsamplingBilinear2d: values and gradients against PyTorch (float32 and float64,
random upstream gradients), finite differences, the strict device, reprs and errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F

TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-12, atol=1e-12)}

# (input shape, keyword arguments shared with PyTorch)
CASES = [
    ((2, 3, 7), {"size": 3, "mode": "area"}),
    ((2, 3, 5), {"size": 8, "mode": "area"}),  # upsampling: windows of one element
    ((2, 2, 6, 9), {"size": (4, 4), "mode": "area"}),
    ((1, 2, 6, 6), {"scale_factor": 0.5, "mode": "area"}),
    ((1, 2, 5, 7), {"scale_factor": (0.6, 1.5), "mode": "area"}),
    ((1, 2, 4, 6, 5), {"size": (3, 4, 2), "mode": "area"}),
    ((2, 2, 4, 5), {"scale_factor": 2, "mode": "bicubic"}),
    ((2, 2, 4, 5), {"scale_factor": 2, "mode": "bicubic", "align_corners": True}),
    ((1, 2, 4, 5), {"size": (9, 3), "mode": "bicubic"}),
    ((1, 2, 8, 7), {"size": (3, 4), "mode": "bicubic", "align_corners": True}),
    ((1, 2, 8, 7), {"size": (3, 4), "mode": "bicubic"}),
    ((1, 1, 6, 7), {"scale_factor": (0.7, 1.6), "mode": "bicubic"}),
    ((1, 1, 5, 5), {"scale_factor": 1.7, "mode": "bicubic", "recompute_scale_factor": True}),
    ((1, 1, 1, 3), {"size": (2, 5), "mode": "bicubic"}),  # an axis of one element: every tap clamped
    ((1, 2, 3, 3), {"size": 1, "mode": "bicubic", "align_corners": True}),
]
IDS = [f"{shape}-{','.join(f'{k}={v}' for k, v in kwargs.items())}".replace(" ", "") for shape, kwargs in CASES]


def _data(shape, seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape)


def _run(framework, shape, kwargs, dtype):
    x = framework.tensor(_data(shape).astype(dtype), requires_grad=True)
    y = framework.nn.functional.interpolate(x, **kwargs)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, kwargs", CASES, ids=IDS)
def test_values_and_gradients_match_pytorch(torch, shape, kwargs, dtype):
    ours, theirs = _run(tg, shape, kwargs, dtype), _run(torch, shape, kwargs, dtype)
    assert ours[0].shape == theirs[0].shape and ours[0].dtype == numpy.dtype(dtype)
    for mine, other, what in zip(ours, theirs, ("output", "gradient"), strict=True):
        numpy.testing.assert_allclose(mine, other, err_msg=what, **TOLERANCE[dtype])


def test_area_is_adaptive_average_pooling_to_the_output_size():
    x = Tensor(_data((2, 3, 7, 5)))
    numpy.testing.assert_array_equal(F.interpolate(x, size=(3, 4), mode="area").numpy(),
                                     F.adaptive_avg_pool2d(x, (3, 4)).numpy())


def test_bicubic_keeps_constants_and_reproduces_the_kernel():
    flat = F.interpolate(tg.full((1, 1, 3, 4), 2.5, dtype="float64"), size=(7, 5), mode="bicubic")
    numpy.testing.assert_allclose(flat.numpy(), 2.5, rtol=1e-14)  # the four weights sum to 1
    # a unit impulse at the middle of 5, upsampled 2×: outputs 1 … 8 sit at 0.25, 0.75, …, 3.75, ¼ to 1¾ from it
    impulse = numpy.zeros((1, 1, 1, 5))
    impulse[..., 2] = 1.0
    row = F.interpolate(Tensor(impulse), size=(1, 10), mode="bicubic").numpy()[0, 0, 0]
    a = -0.75

    def kernel(d):
        return (a + 2) * d**3 - (a + 3) * d**2 + 1 if d <= 1 else a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a

    distances = [1.75, 1.25, 0.75, 0.25, 0.25, 0.75, 1.25, 1.75]
    numpy.testing.assert_allclose(row[1:9], [kernel(d) for d in distances], rtol=1e-14)
    assert row[0] == row[9] == 0.0


@pytest.mark.parametrize("shape, kwargs", [CASES[2], CASES[5], CASES[6], CASES[9], CASES[13]],
                         ids=[IDS[2], IDS[5], IDS[6], IDS[9], IDS[13]])
def test_gradients_match_finite_differences(shape, kwargs):
    assert gradcheck(lambda t: F.interpolate(t, **kwargs), Tensor(_data(shape), requires_grad=True))


@pytest.mark.parametrize("shape, kwargs", [CASES[0], CASES[5], CASES[7]], ids=[IDS[0], IDS[5], IDS[7]])
def test_runs_on_the_device(strict_cuda, shape, kwargs):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(_data(shape), requires_grad=True, device=device)
        y = F.interpolate(x, **kwargs)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls, kwargs", [
    ("UpsamplingNearest2d", {"scale_factor": 2}),
    ("UpsamplingNearest2d", {"size": (5, 3)}),
    ("UpsamplingBilinear2d", {"scale_factor": 2}),
    ("UpsamplingBilinear2d", {"size": (3, 7)}),
])
def test_upsampling_modules_match_pytorch_and_print_as_it_does(torch, cls, kwargs):
    ours, theirs = getattr(nn, cls)(**kwargs), getattr(torch.nn, cls)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert isinstance(ours, nn.Upsample)
    x = _data((2, 3, 4, 5))
    numpy.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-12, atol=1e-12)


def test_upsampling_modules_are_at_pytorchs_path():
    from tinygrad_bn.nn.modules import upsampling

    assert upsampling.UpsamplingNearest2d is nn.UpsamplingNearest2d
    assert upsampling.UpsamplingBilinear2d is nn.UpsamplingBilinear2d


@pytest.mark.parametrize("shape, kwargs, error, words", [
    ((1, 1, 4, 4), {"size": 2, "mode": "area", "align_corners": True}, ValueError, "align_corners can only be set"),
    ((1, 1, 4), {"size": 2, "mode": "bicubic"}, NotImplementedError, "mode 'bicubic' needs 4-D input"),
    ((1, 1, 4, 4, 4), {"size": 2, "mode": "bicubic"}, NotImplementedError, "mode 'bicubic' needs 4-D input"),
    ((1, 1, 4, 4), {"size": 2, "recompute_scale_factor": True}, ValueError, "recompute_scale_factor needs"),
])
def test_bad_arguments_are_refused_as_pytorch_refuses_them(torch, shape, kwargs, error, words):
    with pytest.raises(error, match=words):
        F.interpolate(Tensor(_data(shape)), **kwargs)
    with pytest.raises(error):
        torch.nn.functional.interpolate(torch.tensor(_data(shape)), **kwargs)

