"""Softmax2d (nn/softmax2d.py) against PyTorch: 3-d and 4-d input, float32 and float64,
gradients with random upstream gradients, gradcheck, and other ranks refused."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.check import gradcheck


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 2, 2), (1, 1, 2, 2)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax2d_is_pytorchs(torch, shape, dtype):
    rng = numpy.random.default_rng(0)
    x, upstream = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)

    def run(framework):
        t = framework.tensor(x, requires_grad=True)
        y = framework.nn.Softmax2d()(t)
        y.backward(framework.tensor(upstream))
        return y.detach().numpy(), t.grad.numpy()

    tolerance = 1e-6 if dtype == "float32" else 1e-12
    for ours, theirs in zip(run(tg), run(torch), strict=True):
        assert ours.dtype == theirs.dtype
        numpy.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


def test_channels_sum_to_one():
    y = nn.Softmax2d()(tg.tensor(numpy.random.default_rng(2).standard_normal((2, 5, 3, 3))))
    numpy.testing.assert_allclose(y.numpy().sum(axis=1), numpy.ones((2, 3, 3)), rtol=1e-14)


def test_gradcheck():
    rng = numpy.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((2, 3, 2, 2)), requires_grad=True)
    upstream = tg.tensor(rng.standard_normal((2, 3, 2, 2)))
    assert gradcheck(lambda x: nn.Softmax2d()(x) * upstream, (x,))


@pytest.mark.parametrize("shape", [(3,), (2, 3), (1, 2, 3, 4, 5)], ids=str)
def test_other_ranks_are_refused_as_pytorch(torch, raises_like_torch, shape):
    raises_like_torch(lambda: nn.Softmax2d()(tg.ones(shape)), lambda: torch.nn.Softmax2d()(torch.ones(shape)),
                      r"Softmax2d expects input of shape \(N, C, H, W\) or \(C, H, W\)")
