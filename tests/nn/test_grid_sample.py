"""F.affine_grid and F.grid_sample for 4-D input: values and gradients (input, grid, theta)
against PyTorch in every mode (bicubic too), padding mode and align_corners (float32 and
float64, random upstream gradients), grid points on pixel centres and edges, first and
second derivatives against finite differences, the strict device, PyTorch's warnings and
errors. 5-D input: test_grid_sample_3d.py."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

TOLERANCE = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}
# bicubic's grid gradient sums 16 terms W′·x that cancel where the taps read one value (past a
# border), leaving float32 rounding of the terms' size (~10) in both frameworks
BICUBIC_GRID_GRADIENT_FLOAT32 = dict(rtol=1e-4, atol=1e-4)
MODES = ["bilinear", "nearest", "bicubic"]
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
    tolerances = [TOLERANCE[dtype]] * 2
    tolerances.append(BICUBIC_GRID_GRADIENT_FLOAT32 if (mode, dtype) == ("bicubic", "float32") else TOLERANCE[dtype])
    for mine, other, what, tolerance in zip(ours, theirs, ("output", "input gradient", "grid gradient"), tolerances,
                                            strict=True):
        numpy.testing.assert_allclose(mine, other, err_msg=what, **tolerance)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_one_pixel_wide_images_match_pytorch(torch, padding_mode, mode):
    x, grid = _data((1, 2, 1, 4)), _grid((1, 3, 3, 2))
    for align_corners in (False, True):
        options = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        for mine, other in zip(_sample(tg, x, grid, "float64", **options),
                               _sample(torch, x, grid, "float64", **options), strict=True):
            numpy.testing.assert_allclose(mine, other, **TOLERANCE["float64"])


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_gradients_match_finite_differences(mode, padding_mode, align_corners):
    x = Tensor(_data((1, 2, 3, 4)), requires_grad=True)
    grid = Tensor(_grid((1, 2, 3, 2), seed=5), requires_grad=True)
    assert gradcheck(lambda a, g: F.grid_sample(a, g, mode=mode, padding_mode=padding_mode,
                                                align_corners=align_corners), [x, grid])


def _on_pixels(shape):
    """Grid coordinates k/8 in [−1.5, 1.5]: on 4- and 8-pixel axes they fall on pixel centres
    and edges (align_corners=False), on 3-, 5- and 9-pixel axes on centres (True), and also
    on the image's borders and the mirror lines of reflection; exact in binary."""
    return numpy.random.default_rng([8, *shape]).integers(-12, 13, shape) / 8


@pytest.mark.parametrize("size", [(4, 8), (5, 3), (1, 9)], ids=str)
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES)
def test_points_on_pixel_centres_and_edges_match_pytorch(torch, mode, padding_mode, size):
    x, grid = _data((2, 2, *size)), _on_pixels((2, 5, 6, 2))
    for align_corners in (False, True):
        options = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        ours, theirs = _sample(tg, x, grid, "float64", **options), _sample(torch, x, grid, "float64", **options)
        for mine, other, what in zip(ours, theirs, ("output", "input gradient", "grid gradient"), strict=True):
            numpy.testing.assert_allclose(mine, other, err_msg=f"{what}, {align_corners=}", **TOLERANCE["float64"])


def test_bicubic_reads_the_cubic_convolution_kernel_at_the_taps():
    """An impulse sampled between pixels: the weights W(1 + t), W(t), W(1 − t), W(2 − t) of
    Keys' kernel with a = −0.75, written out here."""
    a, t = -0.75, 0.3

    def kernel(d):
        d = abs(d)
        return (a + 2) * d**3 - (a + 3) * d**2 + 1 if d <= 1 else a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a

    row = numpy.zeros((1, 1, 1, 8))
    row[..., 3] = 1.0
    # x = 2 + t + k for k = −1 … 2, so that pixel 3 is the tap ⌊x⌋ + 1 − k (align_corners=True: x = (g + 1)·3.5)
    xs = numpy.array([2 + t + k for k in (-1, 0, 1, 2)])
    grid = numpy.stack([xs / 3.5 - 1, numpy.zeros(4)], axis=-1).reshape(1, 1, 4, 2)
    sampled = F.grid_sample(Tensor(row), Tensor(grid), mode="bicubic", align_corners=True).numpy().ravel()
    numpy.testing.assert_allclose(sampled, [kernel(2 - t), kernel(1 - t), kernel(t), kernel(1 + t)], rtol=1e-12)


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_second_derivatives_match_pytorch_and_finite_differences(torch, mode, padding_mode):
    x, grid, upstream = _data((1, 2, 3, 4)), _grid((1, 2, 3, 2), seed=9), _data((1, 2, 2, 3), seed=10)
    results = []
    for framework in (tg, torch):
        a, g = (framework.tensor(array, requires_grad=True) for array in (x, grid))
        y = framework.nn.functional.grid_sample(a, g, mode=mode, padding_mode=padding_mode, align_corners=False)
        da, dg = framework.autograd.grad(y, [a, g], framework.tensor(upstream), create_graph=True)
        results.append([t.detach().numpy() for t in framework.autograd.grad((da * dg.sum()).sum() + (dg**2).sum(),
                                                                            [a, g])])
    for mine, other in zip(*results, strict=True):
        numpy.testing.assert_allclose(mine, other, rtol=1e-10, atol=1e-12)
    assert gradgradcheck(lambda a, g: F.grid_sample(a, g, mode=mode, padding_mode=padding_mode, align_corners=False),
                         [Tensor(x, requires_grad=True), Tensor(grid, requires_grad=True)])


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
        y = y + F.grid_sample(x, grid * 1.5, mode="bicubic", padding_mode="border", align_corners=False)
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
     "non-empty spatial axes"),
    (lambda f: f.grid_sample(f.ones(1, 1, 3, 3), f.ones(1, 2, 2, 2), mode="cubic", align_corners=False),
     ValueError, "mode 'bilinear', 'nearest' or 'bicubic'"),
    (lambda f: f.grid_sample(f.ones(1, 1, 3, 3), f.ones(1, 2, 2, 2, 3), align_corners=False), RuntimeError,
     r"grid of shape \(1, H_out, W_out, 2\)"),
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


def test_a_grid_of_another_dtype_is_refused():
    with pytest.raises(RuntimeError, match="dtype"):
        F.grid_sample(tg.ones(1, 1, 3, 3), tg.ones(1, 2, 2, 2, dtype="float64"), align_corners=False)
