"""lp_pool3d and LPPool3d (nn/pooling1d.py): values and gradients against PyTorch, finite
differences, reprs, module paths and errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

INF = float("inf")
CASES = [
    ((2, 3, 4, 4, 4), (2, 2), {}),
    ((2, 2, 5, 6, 7), (1.5, (2, 3, 2), (1, 2, 3)), {"ceil_mode": True}),
    ((3, 4, 5, 6), (3, 2), {}),  # unbatched
    ((1, 2, 4, 4, 5), (INF, (2, 2, 3), 1), {}),
    ((1, 2, 4, 4, 5), (-INF, 2), {"ceil_mode": True}),
    ((2, 1, 3, 3, 3), (1, 3), {}),
]


def _data(shape, seed=0, positive=False):
    rng = numpy.random.default_rng([seed, *shape])
    return rng.uniform(0.2, 2.0, shape) if positive else rng.standard_normal(shape)


def _run(framework, x, args, kwargs, dtype):
    t = framework.tensor(x.astype(dtype), requires_grad=True)
    y = framework.nn.functional.lp_pool3d(t, *args, **kwargs)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.filterwarnings("ignore:invalid value encountered in power")  # an odd root of a negative sum
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("shape", "args", "kwargs"), CASES, ids=str)
def test_values_and_gradients_match_pytorch(torch, shape, args, kwargs, dtype):
    x = _data(shape, positive=float(args[0]) % 1 != 0)
    ours, our_grad = _run(tg, x, args, kwargs, dtype)
    theirs, their_grad = _run(torch, x, args, kwargs, dtype)
    assert ours.shape == theirs.shape and ours.dtype == numpy.dtype(dtype)
    tolerance = {"rtol": 2e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-13}
    numpy.testing.assert_allclose(ours, theirs, **tolerance)
    numpy.testing.assert_allclose(our_grad, their_grad, **tolerance)


@pytest.mark.parametrize(("shape", "args", "kwargs"), [CASES[i] for i in (0, 1, 3)], ids=str)
def test_gradients_match_finite_differences(shape, args, kwargs):
    x = Tensor(_data(shape, positive=True), requires_grad=True)
    assert gradcheck(lambda t: F.lp_pool3d(t, *args, **kwargs), x)
    if args[0] != INF:
        assert gradgradcheck(lambda t: F.lp_pool3d(t, *args, **kwargs), x)


@pytest.mark.parametrize(("args", "shape"), [((2, 3), (2, 3, 9, 9, 9)), ((1.5, (1, 2, 3), 1, True), (2, 3, 4, 5, 5))],
                         ids=str)
def test_layer(torch, args, shape):
    ours, theirs = tg.nn.LPPool3d(*args), torch.nn.LPPool3d(*args)
    assert repr(ours) == repr(theirs)
    x = _data(shape, positive=True)
    numpy.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-12)
    assert tg.nn.modules.pooling.LPPool3d is tg.nn.LPPool3d


def test_a_window_of_zeros_passes_no_gradient_as_in_pytorch(torch):
    x = numpy.zeros((1, 1, 4, 2, 2))
    x[0, 0, 2:] = numpy.random.default_rng(5).standard_normal((2, 2, 2))
    ours, our_grad = _run(tg, x, (2, 2), {}, "float64")
    theirs, their_grad = _run(torch, x, (2, 2), {}, "float64")
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12)
    numpy.testing.assert_allclose(our_grad, their_grad, rtol=1e-12)


def test_a_3d_input_is_refused():
    with pytest.raises(tg.errors.ShapeError):
        F.lp_pool3d(tg.ones(3, 4, 4), 2, 2)
