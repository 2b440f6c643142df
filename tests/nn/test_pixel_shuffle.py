"""pixel_shuffle, pixel_unshuffle and their modules: values and gradients against PyTorch
(float32 and float64, random upstream gradients), finite differences, the strict device,
reprs and PyTorch's errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F

# (function, input shape, factor)
CASES = [
    ("pixel_shuffle", (2, 8, 3, 4), 2),
    ("pixel_shuffle", (1, 18, 2, 2), 3),
    ("pixel_shuffle", (9, 2, 3), 3),  # unbatched (C, H, W)
    ("pixel_shuffle", (2, 3, 4, 2, 5), 2),  # two batch axes
    ("pixel_shuffle", (2, 5, 3, 3), 1),
    ("pixel_unshuffle", (2, 3, 4, 6), 2),
    ("pixel_unshuffle", (1, 2, 6, 9), 3),
    ("pixel_unshuffle", (2, 4, 6), 2),
    ("pixel_unshuffle", (2, 1, 3, 4, 4), 4),
]
IDS = [f"{name}-{shape}-{factor}".replace(" ", "") for name, shape, factor in CASES]


def _data(shape, seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape)


def _run(framework, name, shape, factor, dtype):
    x = framework.tensor(_data(shape).astype(dtype), requires_grad=True)
    y = getattr(framework.nn.functional, name)(x, factor)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, shape, factor", CASES, ids=IDS)
def test_values_and_gradients_match_pytorch(torch, name, shape, factor, dtype):
    (ours, our_grad), (theirs, their_grad) = _run(tg, name, shape, factor, dtype), _run(torch, name, shape, factor,
                                                                                        dtype)
    assert ours.shape == theirs.shape and ours.dtype == numpy.dtype(dtype)
    numpy.testing.assert_array_equal(ours, theirs)  # a rearrangement: exact
    numpy.testing.assert_array_equal(our_grad, their_grad)


@pytest.mark.parametrize("name, shape, factor", [CASES[0], CASES[5]], ids=[IDS[0], IDS[5]])
def test_gradients_match_finite_differences(name, shape, factor):
    x = Tensor(_data(shape), requires_grad=True)
    assert gradcheck(lambda t: getattr(F, name)(t * t, factor), x)


def test_unshuffle_undoes_shuffle_and_integers_keep_their_dtype():
    x = tg.arange(2 * 12 * 2 * 3).reshape(2, 12, 2, 3)
    shuffled = F.pixel_shuffle(x, 2)
    assert shuffled.dtype == "int64" and shuffled.shape == (2, 3, 4, 6)
    numpy.testing.assert_array_equal(F.pixel_unshuffle(shuffled, 2).numpy(), x.numpy())


def test_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(_data((2, 8, 3, 4)), requires_grad=True, device=device)
        y = F.pixel_unshuffle(F.pixel_shuffle(x, 2) * 2.0, 2)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)


@pytest.mark.parametrize("cls, factor", [("PixelShuffle", 2), ("PixelUnshuffle", 3), ("PixelShuffle", 2.5)])
def test_modules_print_as_pytorchs_and_call_the_functions(torch, cls, factor):
    ours, theirs = getattr(nn, cls)(factor), getattr(torch.nn, cls)(factor)
    assert repr(ours) == repr(theirs) and not list(ours.parameters())
    if isinstance(factor, int):
        x = _data((1, 36, 6, 6))
        numpy.testing.assert_array_equal(ours(Tensor(x)).numpy(), theirs(torch.tensor(x)).numpy())


def test_modules_are_at_pytorchs_path(torch):
    from tinygrad_bn.nn.modules import pixelshuffle

    for name in ("PixelShuffle", "PixelUnshuffle"):
        assert getattr(pixelshuffle, name) is getattr(nn, name)
        assert getattr(torch.nn.modules.pixelshuffle, name) is getattr(torch.nn, name)


@pytest.mark.parametrize("name, shape, factor, error, words", [
    ("pixel_shuffle", (4, 4), 2, RuntimeError, "at least 3-D"),
    ("pixel_shuffle", (1, 5, 4, 4), 2, RuntimeError, "divisible by 4, got 5 channels"),
    ("pixel_shuffle", (1, 4, 4, 4), 0, RuntimeError, "positive upscale_factor, got 0"),
    ("pixel_shuffle", (1, 4, 4, 4), 2.0, TypeError, "upscale_factor must be an int"),
    ("pixel_unshuffle", (1, 4, 5, 4), 2, RuntimeError, "height divisible by 2, got 5"),
    ("pixel_unshuffle", (1, 4, 4, 5), 2, RuntimeError, "width divisible by 2, got 5"),
    ("pixel_unshuffle", (1, 4, 4, 4), -1, RuntimeError, "positive downscale_factor, got -1"),
    ("pixel_unshuffle", (4,), 2, RuntimeError, "at least 3-D"),
])
def test_bad_input_is_refused_as_pytorch_refuses_it(torch, name, shape, factor, error, words):
    with pytest.raises(error, match=words):
        getattr(F, name)(Tensor(_data(shape)), factor)
    with pytest.raises(error):
        getattr(torch.nn.functional, name)(torch.tensor(_data(shape)), factor)


@pytest.mark.parametrize("name", ["pixel_shuffle", "pixel_unshuffle"])
def test_torch_level_functions_are_these(torch, name):
    x = _data((1, 8, 4, 4))
    numpy.testing.assert_array_equal(getattr(tg, name)(Tensor(x), 2).numpy(),
                                     getattr(torch, name)(torch.tensor(x), 2).numpy())
