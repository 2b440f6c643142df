"""F.pdist: distances and gradients against PyTorch (float32 and float64, random upstream
gradients, every kind of p, equal rows), PyTorch's pair order, finite differences, the
strict device and the errors."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F

TOLERANCE = {"float32": dict(rtol=2e-5, atol=1e-6), "float64": dict(rtol=1e-11, atol=1e-13)}
PS = [2.0, 1.0, 0.0, math.inf, 3.0, 0.5, 1.5]
SHAPES = [(5, 3), (2, 4), (6, 1)]


def _data(shape, seed=0, equal_rows=False):
    x = numpy.random.default_rng([seed, *shape]).standard_normal(shape)
    if equal_rows:
        x[-1] = x[0]  # a zero distance
        x[1, 0] = x[2, 0]  # and a zero difference in a distance that is not zero
    return x


def _run(framework, x, p, dtype):
    t = framework.tensor(x.astype(dtype), requires_grad=True)
    y = framework.nn.functional.pdist(t, p)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("p", PS, ids=str)
def test_distances_and_gradients_match_pytorch(torch, p, shape, dtype):
    x = _data(shape)
    ours, theirs = _run(tg, x, p, dtype), _run(torch, x, p, dtype)
    assert ours[0].shape == theirs[0].shape == (shape[0] * (shape[0] - 1) // 2,)
    assert ours[0].dtype == numpy.dtype(dtype)
    for mine, other, what in zip(ours, theirs, ("distances", "gradient"), strict=True):
        numpy.testing.assert_allclose(mine, other, err_msg=what, **TOLERANCE[dtype])


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 1.5], ids=str)
def test_equal_rows_have_finite_gradients_as_pytorchs(torch, p):
    x = _data((4, 3), equal_rows=True)
    ours, theirs = _run(tg, x, p, "float64"), _run(torch, x, p, "float64")
    assert ours[0][2] == 0.0 and numpy.isfinite(ours[1]).all()
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(mine, other, **TOLERANCE["float64"])


def test_pairs_come_in_pytorchs_order_and_equal_torch_cdist():
    x = Tensor(_data((5, 3)))
    full = tg.cdist(x, x).numpy()
    rows, cols = numpy.triu_indices(5, 1)
    numpy.testing.assert_allclose(F.pdist(x).numpy(), full[rows, cols], rtol=1e-14)


def test_fewer_than_two_rows_give_no_distances_and_rows_without_entries_are_zero_apart(torch):
    assert F.pdist(Tensor(_data((1, 4)))).shape == (0,)
    assert F.pdist(Tensor(numpy.zeros((0, 4)))).shape == (0,)
    ours, theirs = F.pdist(Tensor(numpy.zeros((3, 0)))), torch.nn.functional.pdist(torch.zeros(3, 0))
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf], ids=str)
def test_gradients_match_finite_differences(p):
    assert gradcheck(lambda t: F.pdist(t, p), Tensor(_data((4, 3)), requires_grad=True))


def test_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(_data((5, 3)), requires_grad=True, device=device)
        y = F.pdist(x, 3.0)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-14)


@pytest.mark.parametrize("make, p, error, words", [
    (lambda f: f.ones(3, 4, 5), 2.0, RuntimeError, r"2-D tensor \(N, M\)"),
    (lambda f: f.ones(4), 2.0, RuntimeError, r"2-D tensor \(N, M\)"),
    (lambda f: f.ones(4, 5), -1.0, RuntimeError, "p >= 0"),
    (lambda f: f.arange(6).reshape(3, 2), 2.0, RuntimeError, "floating-point"),
])
def test_bad_input_is_refused_as_pytorch_refuses_it(torch, make, p, error, words):
    with pytest.raises(error, match=words):
        F.pdist(make(tg), p)
    with pytest.raises(error):
        torch.nn.functional.pdist(make(torch), p)


def test_torch_pdist_is_this_function(torch):
    x = _data((5, 3))
    numpy.testing.assert_allclose(tg.pdist(Tensor(x), 1.5).numpy(), torch.pdist(torch.tensor(x), 1.5).numpy(),
                                  rtol=1e-12)
