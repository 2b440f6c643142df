"""interpolate's ``antialias=True`` (bilinear and bicubic, 4-D input): values and
gradients against PyTorch (float32 and float64, random upstream gradients) while
shrinking, enlarging and both, with sizes and scale factors and align_corners; the
filter's weights written out by hand; finite differences; the strict device; PyTorch's
errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

TOLERANCE = {"float32": dict(rtol=2e-5, atol=5e-6), "float64": dict(rtol=1e-12, atol=1e-12)}
MODES = ["bilinear", "bicubic"]

# (input shape, keyword arguments shared with PyTorch)
CASES = [
    ((2, 3, 9, 11), {"size": (4, 5)}),  # shrinking by 2¼ and 2.2
    ((1, 2, 12, 12), {"scale_factor": 0.25}),  # by 4: the widened filter spans 8 (bilinear), 16 pixels
    ((1, 2, 5, 6), {"size": (11, 13)}),  # enlarging
    ((1, 2, 7, 7), {"size": (3, 10)}),  # shrinking one axis, enlarging the other
    ((1, 2, 10, 9), {"scale_factor": (0.37, 0.6)}),  # the scales given, not the sizes'
    ((1, 2, 10, 9), {"scale_factor": 0.3, "recompute_scale_factor": True}),
    ((1, 1, 8, 6), {"size": (1, 6)}),  # one output row: all rows, an axis left as it is
    ((1, 1, 1, 5), {"size": (3, 2)}),  # an axis of one pixel
]
IDS = [f"{shape}-{','.join(f'{k}={v}' for k, v in kwargs.items())}".replace(" ", "") for shape, kwargs in CASES]


def _data(shape, seed=0):
    return numpy.random.default_rng([seed, *shape]).standard_normal(shape)


def _run(framework, shape, kwargs, dtype):
    x = framework.tensor(_data(shape).astype(dtype), requires_grad=True)
    y = framework.nn.functional.interpolate(x, antialias=True, **kwargs)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, kwargs", CASES, ids=IDS)
def test_values_and_gradients_match_pytorch(torch, shape, kwargs, mode, align_corners, dtype):
    kwargs = dict(kwargs, mode=mode, align_corners=align_corners)
    ours, theirs = _run(tg, shape, kwargs, dtype), _run(torch, shape, kwargs, dtype)
    assert ours[0].shape == theirs[0].shape and ours[0].dtype == numpy.dtype(dtype)
    for mine, other, what in zip(ours, theirs, ("output", "gradient"), strict=True):
        numpy.testing.assert_allclose(mine, other, err_msg=what, **TOLERANCE[dtype])


def test_halving_averages_under_a_tent_four_pixels_wide():
    """Bilinear at scale 2: output i is centred at 2i + 1 and weighs pixel j by the tent
    1 − |j + ½ − (2i + 1)|/2, over the pixels there are, normalized."""
    x = _data((1, 1, 1, 6))
    row = x[0, 0, 0]
    expected = [(3 * row[0] + 3 * row[1] + row[2]) / 7,
                (row[1] + 3 * row[2] + 3 * row[3] + row[4]) / 8,
                (row[3] + 3 * row[4] + 3 * row[5]) / 7]
    shrunk = F.interpolate(Tensor(x), size=(1, 3), mode="bilinear", antialias=True)
    numpy.testing.assert_allclose(shrunk.numpy().ravel(), expected, rtol=1e-14)


def test_constants_stay_and_bicubic_uses_keys_a_of_one_half():
    flat = F.interpolate(tg.full((1, 1, 9, 7), 2.5, dtype="float64"), size=(4, 3), mode="bicubic", antialias=True)
    numpy.testing.assert_allclose(flat.numpy(), 2.5, rtol=1e-14)
    # enlarging 1 → 1 pixel per output leaves the kernel's width: output i reads W(j − i) = [j = i]
    x = _data((1, 1, 5, 5))
    same = F.interpolate(Tensor(x), size=(5, 5), mode="bicubic", antialias=True)
    numpy.testing.assert_allclose(same.numpy(), x, rtol=1e-14)
    # doubling: output 1 is centred at ¾, so it weighs pixel j by W(j + ½ − ¾), normalized over the 4 pixels
    impulse = numpy.zeros((1, 1, 1, 4))
    impulse[..., 0] = 1.0

    def keys(d, a=-0.5):
        d = abs(d)
        if d <= 1:
            return (a + 2) * d**3 - (a + 3) * d**2 + 1
        return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a if d < 2 else 0.0

    weights = [keys(j + 0.5 - 0.75) for j in range(4)]  # pixel j of output 1, before normalizing
    doubled = F.interpolate(Tensor(impulse), size=(1, 8), mode="bicubic", antialias=True).numpy().ravel()
    assert doubled[1] == pytest.approx(weights[0] / sum(weights), rel=1e-14)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, kwargs", [CASES[0], CASES[3]], ids=[IDS[0], IDS[3]])
def test_first_and_second_derivatives_match_finite_differences(shape, kwargs, mode):
    x = Tensor(_data(shape)[:1, :1], requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, mode=mode, antialias=True, **kwargs), x)
    assert gradgradcheck(lambda t: F.interpolate(t, mode=mode, antialias=True, **kwargs), x)


def test_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(_data((2, 3, 9, 11)), requires_grad=True, device=device)
        y = F.interpolate(x, size=(4, 13), mode="bicubic", antialias=True)
        y = y + F.interpolate(x, size=(4, 13), mode="bilinear", antialias=True, align_corners=True)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, kwargs", [
    ((1, 1, 4, 4), {"size": 2, "mode": "nearest"}),
    ((1, 1, 4, 4), {"size": 2, "mode": "area"}),
    ((1, 1, 4), {"size": 2, "mode": "linear"}),
    ((1, 1, 4, 4, 4), {"size": 2, "mode": "trilinear"}),
])
def test_other_modes_and_shapes_are_refused_as_pytorch_refuses_them(torch, shape, kwargs):
    with pytest.raises(ValueError, match="antialias=True needs mode 'bilinear' or 'bicubic' and 4-D input"):
        F.interpolate(Tensor(_data(shape)), antialias=True, **kwargs)
    with pytest.raises(ValueError):
        torch.nn.functional.interpolate(torch.tensor(_data(shape)), antialias=True, **kwargs)
