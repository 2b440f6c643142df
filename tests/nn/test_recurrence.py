"""The fused LSTM and GRU steps against their composite specifications: the same values,
the same gradients and second derivatives, and both against finite differences."""

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn.check.gradcheck import gradcheck, gradgradcheck
from tinygrad_bn.nn.recurrence import GRUGates, LSTMGates, gru_cell, lstm_cell
from tinygrad_bn.ops import cat


def fused(z, c):
    return LSTMGates.apply(z, c)


def composite(z, c):
    return cat(list(lstm_cell(z, c)), -1)


def _inputs(dtype, seed=0, batch=3, hidden=4):
    rng = numpy.random.default_rng(seed)
    z = rng.standard_normal((batch, 4 * hidden)).astype(dtype) * 2  # gates from saturated to linear
    c = rng.standard_normal((batch, hidden)).astype(dtype)
    return tb.Tensor(z, requires_grad=True), tb.Tensor(c, requires_grad=True)


@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-6), ("float64", 1e-14)])
def test_fused_step_matches_its_composite_in_value_and_gradient(dtype, tolerance):
    results = []
    for step in (fused, composite):
        z, c = _inputs(dtype)
        out = step(z, c)
        upstream = tb.Tensor(numpy.random.default_rng(1).standard_normal(out.shape).astype(dtype))
        (gz, gc) = tb.autograd.grad(out, (z, c), upstream, create_graph=True)
        # a second derivative: of a random weighting of the first
        weights = [tb.Tensor(numpy.random.default_rng(k).standard_normal(g.shape).astype(dtype)) for k, g in
                   ((2, gz), (3, gc))]
        second = tb.autograd.grad((gz * weights[0]).sum() + (gc * weights[1]).sum(), (z, c))
        results.append([t.numpy() for t in (out, gz, gc, *second)])
    for a, b in zip(*results, strict=True):
        numpy.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("step", [fused, composite], ids=["fused", "composite"])
def test_both_match_finite_differences_to_second_order(step):
    inputs = _inputs("float64", seed=4, batch=2, hidden=2)
    assert gradcheck(step, inputs)
    assert gradgradcheck(step, inputs)


def test_fused_step_without_a_gradient_for_the_cell():
    """A first cell of zeros needs no gradient; z still gets the composite's."""
    z, _ = _inputs("float64")
    c = tb.zeros(3, 4, dtype="float64")
    LSTMGates.apply(z, c).sum().backward()
    (expected,) = tb.autograd.grad(composite(z, c).sum(), (z,))
    assert c.grad is None
    numpy.testing.assert_allclose(z.grad.numpy(), expected.numpy(), rtol=1e-14, atol=1e-14)


def _gru_inputs(dtype, seed=5, batch=3, hidden=4):
    rng = numpy.random.default_rng(seed)
    return [tb.Tensor(rng.standard_normal(shape).astype(dtype) * 2, requires_grad=True)
            for shape in ((batch, 3 * hidden), (batch, hidden), (batch, 3 * hidden))]  # gx, h, gh


@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-6), ("float64", 1e-14)])
def test_fused_gru_step_matches_its_composite_in_value_and_gradient(dtype, tolerance):
    results = []
    for step in (GRUGates.apply, gru_cell):
        inputs = _gru_inputs(dtype)
        out = step(*inputs)
        upstream = tb.Tensor(numpy.random.default_rng(6).standard_normal(out.shape).astype(dtype))
        first = tb.autograd.grad(out, inputs, upstream, create_graph=True)
        weights = [tb.Tensor(numpy.random.default_rng(7 + k).standard_normal(g.shape).astype(dtype))
                   for k, g in enumerate(first)]
        second = tb.autograd.grad(sum((g * w).sum() for g, w in zip(first, weights)), inputs)
        results.append([t.numpy() for t in (out, *first, *second)])
    for a, b in zip(*results, strict=True):
        numpy.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("step", [GRUGates.apply, gru_cell], ids=["fused", "composite"])
def test_both_gru_steps_match_finite_differences_to_second_order(step):
    inputs = _gru_inputs("float64", seed=8, batch=2, hidden=2)
    assert gradcheck(step, inputs)
    assert gradgradcheck(step, inputs)
