"""F.affine_grid and F.grid_sample for 4-D input: values and gradients (input, grid, theta)
against PyTorch in every mode, padding mode and align_corners (float32 and float64, random
upstream gradients), finite differences, the strict device, PyTorch's warnings and errors."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F

TOLERANCE = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}
MODES = ["bilinear", "nearest"]
PADDINGS = ["zeros", "border", "reflection"]


def _data(shape, seed=0, scale=1.0):
    return scale * numpy.random.default_rng([seed, *shape]).standard_normal(shape)


def _grid(shape, seed=2):
    """Points inside and well outside [−1, 1] (so every padding mode matters), none near the
    pixel boundaries or the edges where the derivatives jump."""
    return numpy.random.default_rng([seed, *shape]).uniform(-1.6, 1.6, shape)


def _sample(framework, x, grid, dtype, **options):
    tensors = [framework.tensor(a.astype(dtype), requires_grad=True) for a in (x, grid)]
    y = framework.nn.functional.grid_sample(*tensors, **options)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return [y.detach().numpy()] + [numpy.zeros(t.shape, dtype) if t.grad is None else t.grad.numpy()
                                   for t in tensors]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_matches_pytorch(torch, mode, padding_mode, align_corners, dtype):
    x, grid = _data((2, 3, 4, 5)), _grid((2, 6, 7, 2))
    options = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    ours, theirs = _sample(tg, x, grid, dtype, **options), _sample(torch, x, grid, dtype, **options)
    assert ours[0].shape == theirs[0].shape == (2, 3, 6, 7) and ours[0].dtype == numpy.dtype(dtype)
    for mine, other, what in zip(ours, theirs, ("output", "input gradient", "grid gradient"), strict=True):
        numpy.testing.assert_allclose(mine, other, err_msg=what, **TOLERANCE[dtype])


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_one_pixel_wide_images_match_pytorch(torch, padding_mode):
    x, grid = _data((1, 2, 1, 4)), _grid((1, 3, 3, 2))
    for align_corners in (False, True):
        options = dict(padding_mode=padding_mode, align_corners=align_corners)
        for mine, other in zip(_sample(tg, x, grid, "float64", **options),
                               _sample(torch, x, grid, "float64", **options), strict=True):
            numpy.testing.assert_allclose(mine, other, **TOLERANCE["float64"])


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
def test_bilinear_gradients_match_finite_differences(padding_mode, align_corners):
    x = Tensor(_data((1, 2, 3, 4)), requires_grad=True)
    grid = Tensor(_grid((1, 2, 3, 2), seed=5), requires_grad=True)
    assert gradcheck(lambda a, g: F.grid_sample(a, g, padding_mode=padding_mode, align_corners=align_corners),
                     [x, grid])


def test_a_spatial_transformers_theta_gradient_matches_finite_differences():
    x = Tensor(_data((1, 2, 4, 5)))
    theta = Tensor(_data((1, 2, 3), seed=6) * 0.3 + [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], requires_grad=True)

    def transformed(t):
        grid = F.affine_grid(t, (1, 2, 3, 3), align_corners=False)
        return F.grid_sample(x, grid, padding_mode="reflection", align_corners=False)

    assert gradcheck(transformed, theta)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 1, 3), (3, 2, 5, 1)], ids=str)
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_pytorch(torch, size, align_corners, dtype):
    theta = _data((size[0], 2, 3), seed=3)
    results = []
    for framework in (tg, torch):
        t = framework.tensor(theta.astype(dtype), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # align_corners=True with an axis of one pixel warns in both
            grid = framework.nn.functional.affine_grid(t, size, align_corners=align_corners)
        grid.backward(framework.tensor(_data(tuple(grid.shape), seed=4).astype(dtype)))
        results.append([grid.detach().numpy(), t.grad.numpy()])
    assert results[0][0].shape == (size[0], *size[2:], 2) and results[0][0].dtype == numpy.dtype(dtype)
    for mine, other in zip(*results, strict=True):
        numpy.testing.assert_allclose(mine, other, **TOLERANCE[dtype])


def test_the_identity_map_samples_the_image_back_and_a_spatial_transformer_trains(torch):
    x = _data((2, 3, 5, 6))
    identity = Tensor(numpy.tile([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], (2, 1, 1)), requires_grad=True)
    for align_corners in (False, True):
        grid = F.affine_grid(identity, (2, 3, 5, 6), align_corners=align_corners)
        same = F.grid_sample(Tensor(x), grid, align_corners=align_corners)
        numpy.testing.assert_allclose(same.numpy(), x, rtol=1e-12, atol=1e-12)
    # theta's gradient through both, against PyTorch's
    theta = _data((2, 2, 3), seed=7) * 0.3 + numpy.tile([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], (2, 1, 1))
    gradients = []
    for framework in (tg, torch):
        t = framework.tensor(theta, requires_grad=True)
        functional = framework.nn.functional
        out = functional.grid_sample(framework.tensor(x), functional.affine_grid(t, (2, 3, 4, 4), align_corners=False),
                                     padding_mode="border", align_corners=False)
        (out * out).sum().backward()
        gradients.append(t.grad.numpy())
    numpy.testing.assert_allclose(*gradients, rtol=1e-10, atol=1e-12)


def test_nearest_rounds_half_to_even_as_pytorch(torch):
    x = numpy.arange(4.0).reshape(1, 1, 1, 4)
    grid = numpy.array([[[[-0.5, 0.0], [0.0, 0.0], [0.5, 0.0]]]])  # pixel positions 0.5, 1.5, 2.5
    ours = F.grid_sample(Tensor(x), Tensor(grid), mode="nearest", align_corners=False)
    theirs = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(grid), mode="nearest", align_corners=False)
    assert ours.flatten().tolist() == theirs.flatten().tolist() == [0.0, 2.0, 2.0]


def test_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        theta = Tensor(_data((2, 2, 3), seed=3), requires_grad=True, device=device)
        x = Tensor(_data((2, 3, 4, 5)), requires_grad=True, device=device)
        grid = F.affine_grid(theta, (2, 3, 3, 4), align_corners=False)
        y = F.grid_sample(x, grid, padding_mode="reflection", align_corners=False)
        y = y + F.grid_sample(x, grid, mode="nearest", align_corners=True)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == x.grad.device == theta.grad.device == device
        results.append([y.numpy(), x.grad.numpy(), theta.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


def test_leaving_out_align_corners_warns_as_pytorch_and_means_false(torch):
    x, grid, theta = _data((1, 1, 3, 3)), _grid((1, 2, 2, 2)), _data((1, 2, 3))
    with pytest.warns(UserWarning, match="align_corners was not given"):
        default = F.grid_sample(Tensor(x), Tensor(grid))
    numpy.testing.assert_array_equal(default.numpy(), F.grid_sample(Tensor(x), Tensor(grid),
                                                                    align_corners=False).numpy())
    with pytest.warns(UserWarning, match="align_corners was not given"):
        F.affine_grid(Tensor(theta), (1, 1, 3, 3))
    with pytest.warns(UserWarning):
        torch.nn.functional.affine_grid(torch.tensor(theta), (1, 1, 3, 3))
    with pytest.warns(UserWarning, match="axis of one pixel"):
        F.affine_grid(Tensor(theta), (1, 1, 1, 3), align_corners=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(Tensor(x), Tensor(grid), align_corners=True)


@pytest.mark.parametrize("call, error, words", [
    (lambda f: f.grid_sample(f.ones(2, 1, 3, 3), f.ones(3, 2, 2, 2), align_corners=False), RuntimeError,
     r"grid of shape \(2, H_out, W_out, 2\)"),
    (lambda f: f.grid_sample(f.ones(2, 1, 3, 3), f.ones(2, 2, 2, 3), align_corners=False), RuntimeError,
     r"grid of shape \(2, H_out, W_out, 2\)"),
    (lambda f: f.grid_sample(f.ones(1, 3, 3), f.ones(1, 2, 2), align_corners=False), RuntimeError,
     r"input of shape \(N, C, H, W\)"),
    (lambda f: f.grid_sample(f.ones(2, 1, 0, 3), f.ones(2, 2, 2, 2), align_corners=False), RuntimeError,
     "non-empty H and W"),
    (lambda f: f.grid_sample(f.ones(1, 1, 3, 3), f.ones(1, 2, 2, 2), mode="cubic", align_corners=False),
     ValueError, "mode 'bilinear' or 'nearest'"),
    (lambda f: f.grid_sample(f.ones(1, 1, 3, 3), f.ones(1, 2, 2, 2), padding_mode="wrap", align_corners=False),
     ValueError, "padding_mode 'zeros', 'border' or 'reflection'"),
    (lambda f: f.affine_grid(f.ones(2, 2, 3), (3, 1, 4, 4), align_corners=False), RuntimeError,
     r"theta of shape \(3, 2, 3\)"),
    (lambda f: f.affine_grid(f.ones(2, 3, 3), (2, 1, 4, 4), align_corners=False), ValueError,
     r"theta of shape \(2, 2, 3\)"),
    (lambda f: f.affine_grid(f.ones(2, 2, 3).long(), (2, 1, 4, 4), align_corners=False), ValueError,
     "floating-point theta"),
    (lambda f: f.affine_grid(f.ones(2, 2, 3), (2, 1, 0, 4), align_corners=False), ValueError, "positive size"),
    (lambda f: f.affine_grid(f.ones(2, 2, 3), (2, 1, 4), align_corners=False), NotImplementedError, "4-D size"),
])
def test_bad_arguments_are_refused_as_pytorch_refuses_them(torch, call, error, words):
    with pytest.raises(error, match=words):
        call(_Frameworks(tg, F))
    with pytest.raises(error):
        call(_Frameworks(torch, torch.nn.functional))


class _Frameworks:
    """``ones`` from a framework and ``grid_sample``/``affine_grid`` from its functional module."""

    def __init__(self, framework, functional):
        self.ones, self.grid_sample, self.affine_grid = framework.ones, functional.grid_sample, functional.affine_grid


def test_what_is_not_supported_says_so():
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.grid_sample(tg.ones(1, 1, 3, 3), tg.ones(1, 2, 2, 2), mode="bicubic", align_corners=False)
    with pytest.raises(NotImplementedError, match="5-D"):
        F.grid_sample(tg.ones(1, 1, 2, 3, 3), tg.ones(1, 2, 2, 2, 3), align_corners=False)
    with pytest.raises(NotImplementedError, match="5-D size"):
        F.affine_grid(tg.ones(1, 3, 4), (1, 1, 2, 2, 2), align_corners=False)
    with pytest.raises(RuntimeError, match="dtype"):
        F.grid_sample(tg.ones(1, 1, 3, 3), tg.ones(1, 2, 2, 2, dtype="float64"), align_corners=False)
