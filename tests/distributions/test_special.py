"""erf⁻¹ against PyTorch's ``special.erfinv``: values over the whole interval, the ends,
and gradients (also against finite differences in float64)."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck
from tinygrad_bn.distributions.special import erfinv

INSIDE = numpy.concatenate([numpy.linspace(-0.999, 0.999, 201), 1 - numpy.logspace(-6, -3, 7),
                            -1 + numpy.logspace(-6, -3, 7), [0.0, 1e-10, -1e-300]])
# the accuracy special.py states: within 1e-14 up to |y| = 0.99, 2e-10 up to 1 − 1e-6
TOLERANCE = {"float32": dict(rtol=2e-6, atol=1e-7), "float64": dict(rtol=2e-10, atol=1e-15)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_pytorch_with_gradient(torch, dtype):
    values = INSIDE.astype(dtype)
    y, their_y = tg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    ours, theirs = erfinv(y), torch.special.erfinv(their_y)
    assert ours.dtype == dtype
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOLERANCE[dtype])
    if dtype == "float64":
        central = numpy.abs(values) <= 0.99
        numpy.testing.assert_allclose(ours.detach().numpy()[central], theirs.detach().numpy()[central], rtol=1e-14,
                                      atol=1e-15)
    upstream = numpy.random.default_rng(0).standard_normal(values.shape).astype(dtype)
    (dy,) = grad(ours, [y], tg.tensor(upstream))
    (their_dy,) = torch.autograd.grad(theirs, [their_y], torch.from_numpy(upstream))
    numpy.testing.assert_allclose(dy.numpy(), their_dy.numpy(), rtol=1e-4 if dtype == "float32" else 1e-9)


def test_the_ends_are_infinite_and_pass_no_gradient(torch):
    y = tg.tensor([-1.0, -0.5, 1.0], dtype=tg.float64, requires_grad=True)
    x = erfinv(y)
    assert x.tolist()[0] == -numpy.inf and x.tolist()[2] == numpy.inf
    (dy,) = grad(x, [y], tg.tensor([1.0, 1.0, 1.0], dtype=tg.float64))
    their_y = torch.tensor(-0.5, dtype=torch.float64, requires_grad=True)
    (their_dy,) = torch.autograd.grad(torch.special.erfinv(their_y), [their_y])
    assert dy.tolist() == [0.0, pytest.approx(their_dy.item(), rel=1e-12), 0.0]


def test_gradient_matches_finite_differences():
    assert gradcheck(erfinv, tg.tensor([-0.99, -0.3, 0.0, 0.6, 0.999], dtype=tg.float64, requires_grad=True))
