"""F.affine_grid and F.grid_sample for 5-D (N, C, D, H, W) input: values and gradients
(input, grid, theta) against PyTorch in both modes, every padding mode and align_corners
(float32 and float64, random upstream gradients), grid points on voxel centres and
edges, first and second derivatives against finite differences, the strict device and
PyTorch's errors."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

TOLERANCE = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}
MODES = ["bilinear", "nearest"]
PADDINGS = ["zeros", "border", "reflection"]
WHAT = ("output", "input gradient", "grid gradient")


def _data(shape, seed=0):
    return numpy.random.default_rng([seed, *shape]).standard_normal(shape)


def _grid(shape, seed=2):
    """Points inside and well outside [−1, 1], so every padding mode matters."""
    return numpy.random.default_rng([seed, *shape]).uniform(-1.6, 1.6, shape)


def _on_voxels(shape):
    """Coordinates k/8 in [−1.5, 1.5]: on voxel centres and edges of 4- and 8-voxel axes
    (align_corners=False), on centres of 3-, 5- and 9-voxel axes (True); exact in binary."""
    return numpy.random.default_rng([8, *shape]).integers(-12, 13, shape) / 8


def _sample(framework, x, grid, dtype, **options):
    tensors = [framework.tensor(a.astype(dtype), requires_grad=True) for a in (x, grid)]
    y = framework.nn.functional.grid_sample(*tensors, **options)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return [y.detach().numpy()] + [numpy.zeros(t.shape, dtype) if t.grad is None else t.grad.numpy()
                                   for t in tensors]


def _assert_like_pytorch(torch, x, grid, dtype, **options):
    ours, theirs = _sample(tg, x, grid, dtype, **options), _sample(torch, x, grid, dtype, **options)
    assert ours[0].shape == theirs[0].shape and ours[0].dtype == numpy.dtype(dtype)
    for mine, other, what in zip(ours, theirs, WHAT, strict=True):
        numpy.testing.assert_allclose(mine, other, err_msg=f"{what}, {options}", **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_matches_pytorch(torch, mode, padding_mode, align_corners, dtype):
    x, grid = _data((2, 3, 3, 4, 5)), _grid((2, 2, 3, 4, 3))
    _assert_like_pytorch(torch, x, grid, dtype, mode=mode, padding_mode=padding_mode, align_corners=align_corners)


@pytest.mark.parametrize("size", [(4, 8, 4), (5, 3, 9), (1, 4, 1)], ids=str)
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES)
def test_points_on_voxel_centres_and_edges_and_thin_volumes_match_pytorch(torch, mode, padding_mode, size):
    x, grid = _data((1, 2, *size)), _on_voxels((1, 3, 4, 5, 3))
    for align_corners in (False, True):
        _assert_like_pytorch(torch, x, grid, "float64", mode=mode, padding_mode=padding_mode,
                             align_corners=align_corners)


def test_the_grids_x_y_z_run_along_w_h_d():
    volume = numpy.arange(24.0).reshape(1, 1, 2, 3, 4)  # value = 12·d + 4·h + w
    corner = F.grid_sample(Tensor(volume), Tensor([[[[[1.0, -1.0, 1.0]]]]], dtype="float64"), mode="nearest",
                           align_corners=True)
    assert corner.item() == 12 * 1 + 4 * 0 + 3  # x = 1: the last w, y = −1: the first h, z = 1: the last d
    # trilinear between voxel centres: the mean of the 8 around the middle of the volume
    middle = F.grid_sample(Tensor(volume), Tensor(numpy.zeros((1, 1, 1, 1, 3))), align_corners=True)
    assert middle.item() == pytest.approx(12 * 0.5 + 4 * 1 + 1.5, rel=1e-14)


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
def test_trilinear_first_and_second_derivatives_match_finite_differences(padding_mode, align_corners):
    x = Tensor(_data((1, 2, 2, 3, 3)), requires_grad=True)
    grid = Tensor(_grid((1, 2, 1, 2, 3), seed=5), requires_grad=True)

    def sample(a, g):
        return F.grid_sample(a, g, padding_mode=padding_mode, align_corners=align_corners)

    assert gradcheck(sample, [x, grid])
    assert gradgradcheck(sample, [x, grid])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [(2, 3, 4, 5, 6), (1, 1, 1, 3, 2), (3, 2, 5, 1, 4)], ids=str)
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_pytorch(torch, size, align_corners, dtype):
    theta = _data((size[0], 3, 4), seed=3)
    results = []
    for framework in (tg, torch):
        t = framework.tensor(theta.astype(dtype), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # align_corners=True with an axis of one voxel warns in both
            grid = framework.nn.functional.affine_grid(t, size, align_corners=align_corners)
        grid.backward(framework.tensor(_data(tuple(grid.shape), seed=4).astype(dtype)))
        results.append([grid.detach().numpy(), t.grad.numpy()])
    assert results[0][0].shape == (size[0], *size[2:], 3) and results[0][0].dtype == numpy.dtype(dtype)
    for mine, other in zip(*results, strict=True):
        numpy.testing.assert_allclose(mine, other, **TOLERANCE[dtype])


def test_the_identity_map_samples_the_volume_back_and_thetas_gradient_matches(torch):
    x = _data((2, 3, 3, 4, 5))
    identity = numpy.tile(numpy.eye(3, 4), (2, 1, 1))
    for align_corners in (False, True):
        grid = F.affine_grid(Tensor(identity), (2, 3, 3, 4, 5), align_corners=align_corners)
        same = F.grid_sample(Tensor(x), grid, align_corners=align_corners)
        numpy.testing.assert_allclose(same.numpy(), x, rtol=1e-12, atol=1e-12)
    theta = _data((2, 3, 4), seed=7) * 0.3 + identity
    gradients = []
    for framework in (tg, torch):
        t = framework.tensor(theta, requires_grad=True)
        functional = framework.nn.functional
        grid = functional.affine_grid(t, (2, 3, 2, 3, 3), align_corners=False)
        out = functional.grid_sample(framework.tensor(x), grid, padding_mode="reflection", align_corners=False)
        (out * out).sum().backward()
        gradients.append(t.grad.numpy())
    numpy.testing.assert_allclose(*gradients, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda t: F.grid_sample(Tensor(x), F.affine_grid(t, (2, 3, 2, 2, 2), align_corners=False),
                                             padding_mode="border", align_corners=False),
                     Tensor(theta, requires_grad=True))


def test_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        theta = Tensor(_data((2, 3, 4), seed=3), requires_grad=True, device=device)
        x = Tensor(_data((2, 3, 3, 4, 5)), requires_grad=True, device=device)
        grid = F.affine_grid(theta, (2, 3, 2, 3, 4), align_corners=False)
        y = F.grid_sample(x, grid, padding_mode="reflection", align_corners=False)
        y = y + F.grid_sample(x, grid, mode="nearest", padding_mode="border", align_corners=True)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == x.grad.device == theta.grad.device == device
        results.append([y.numpy(), x.grad.numpy(), theta.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call, error, words", [
    (lambda f: f.grid_sample(f.ones(1, 1, 2, 3, 3), f.ones(1, 2, 2, 2, 3), mode="bicubic", align_corners=False),
     RuntimeError, "mode='bicubic' takes 4-D input"),
    (lambda f: f.grid_sample(f.ones(1, 1, 2, 3, 3), f.ones(1, 2, 2, 2, 2), align_corners=False), RuntimeError,
     r"grid of shape \(1, D_out, H_out, W_out, 3\)"),
    (lambda f: f.grid_sample(f.ones(1, 1, 2, 3, 3), f.ones(1, 2, 2, 3), align_corners=False), RuntimeError,
     r"grid of shape \(1, D_out, H_out, W_out, 3\)"),
    (lambda f: f.grid_sample(f.ones(2, 1, 2, 3, 3), f.ones(1, 2, 2, 2, 3), align_corners=False), RuntimeError,
     r"grid of shape \(2, D_out, H_out, W_out, 3\)"),
    (lambda f: f.grid_sample(f.ones(1, 1, 0, 3, 3), f.ones(1, 2, 2, 2, 3), align_corners=False), RuntimeError,
     r"\(N, C, D, H, W\) with non-empty spatial axes"),
    (lambda f: f.grid_sample(f.ones(1, 1, 1, 2, 3, 3), f.ones(1, 1, 2, 2, 2, 3), align_corners=False),
     RuntimeError, r"\(N, C, D, H, W\)"),
    (lambda f: f.affine_grid(f.ones(2, 2, 3), (2, 1, 3, 4, 4), align_corners=False), ValueError,
     r"3 × 4 affine matrices, theta of shape \(2, 3, 4\)"),
    (lambda f: f.affine_grid(f.ones(2, 3, 4), (3, 1, 3, 4, 4), align_corners=False), RuntimeError,
     r"theta of shape \(3, 3, 4\)"),
    (lambda f: f.affine_grid(f.ones(2, 3, 4), (2, 1, 3, 0, 4), align_corners=False), ValueError, "positive size"),
    (lambda f: f.affine_grid(f.ones(2, 3, 4), (2, 1, 3, 4, 4, 4), align_corners=False), NotImplementedError,
     "5-D size"),
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
