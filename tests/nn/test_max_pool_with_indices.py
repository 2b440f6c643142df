"""max_pool2d_with_indices (nn/pooling1d.py) and max_pool3d_with_indices (nn/pooling3d.py):
(values, indices) whatever return_indices says, with PyTorch's values, indices, dtypes and
gradients, and the plain max pools' errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

CASES = [
    ("max_pool2d_with_indices", (2, 3, 7, 8), (3,), {}),
    ("max_pool2d_with_indices", (2, 3, 7, 8), ((2, 3), 1, 1), {"dilation": 2, "ceil_mode": True}),
    ("max_pool2d_with_indices", (3, 6, 6), (2,), {"return_indices": False}),  # unbatched
    ("max_pool3d_with_indices", (2, 2, 5, 6, 4), (2,), {}),
    ("max_pool3d_with_indices", (2, 2, 5, 6, 7), ((2, 3, 2), (1, 2, 2), 1), {"ceil_mode": True}),
    ("max_pool3d_with_indices", (2, 4, 5, 6), (3, 1), {"dilation": (1, 2, 1), "return_indices": False}),
]
IDS = [f"{name}-{shape}-{args}-{kwargs}" for name, shape, args, kwargs in CASES]


def _run(framework, name, x, args, kwargs):
    t = framework.tensor(x, requires_grad=True)
    values, where = getattr(framework.nn.functional, name)(t, *args, **kwargs)
    values.backward(framework.tensor(numpy.random.default_rng(1).standard_normal(tuple(values.shape)).astype(x.dtype)))
    return values.detach().numpy(), where.numpy(), t.grad.numpy()


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "shape", "args", "kwargs"), CASES, ids=IDS)
def test_values_indices_and_gradients_are_pytorchs(torch, name, shape, args, kwargs, dtype, ties):
    rng = numpy.random.default_rng(list(shape))
    x = (rng.integers(-2, 3, shape) if ties else rng.standard_normal(shape)).astype(dtype)
    ours, theirs = _run(tg, name, x, args, kwargs), _run(torch, name, x, args, kwargs)
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.dtype == other.dtype and mine.shape == other.shape
    numpy.testing.assert_array_equal(ours[0], theirs[0])
    numpy.testing.assert_array_equal(ours[1], theirs[1])
    numpy.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6, atol=1e-6)  # overlapping windows add up


@pytest.mark.parametrize(("name", "shape", "args", "kwargs"), [CASES[1], CASES[4]], ids=[IDS[1], IDS[4]])
def test_gradients_match_finite_differences(name, shape, args, kwargs):
    x = Tensor(numpy.random.default_rng(2).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: getattr(F, name)(t, *args, **kwargs)[0], x)
    assert gradgradcheck(lambda t: getattr(F, name)(t, *args, **kwargs)[0], x)


@pytest.mark.parametrize("name", ["max_pool2d_with_indices", "max_pool3d_with_indices"])
def test_a_wrong_number_of_axes_is_refused_as_by_pytorch(torch, raises_like_torch, name):
    raises_like_torch(lambda: getattr(F, name)(tg.ones(2, 3), 2),
                      lambda: getattr(torch.nn.functional, name)(torch.ones(2, 3), 2), "expects input of shape")
