"""Directional derivatives by nested reverse mode, on this engine and on PyTorch's."""

import sys

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.check import from_pytorch
from tinygrad_bn.check.derivatives import derivatives

SHAPES = [(5,), (3, 4)]


def _cube_derivatives(x, w, v):
    """For f(x) = x³ elementwise: Sⱼ = ⟨w, dʲ/dtʲ (x + t·v)³⟩ and Gⱼ = ∂Sⱼ/∂x, by hand."""
    along = [(w * x**3).sum(), (w * 3 * x**2 * v).sum(), (w * 6 * x * v**2).sum(), (w * 6 * v**3).sum(), 0.0]
    grads = [3 * x**2 * w, 6 * x * v * w, 6 * v**2 * w, numpy.zeros_like(x)]
    return along, grads


def _derive(fn, x, w, v, order):
    return derivatives(fn, [x], [numpy.float64], "cpu", [0], lambda outputs, label: [w], [v], order, "f")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_every_order_of_a_cube_is_its_closed_form(shape, order):
    rng = numpy.random.default_rng(order)
    x, w, v = (rng.standard_normal(shape) for _ in range(3))
    result = _derive(lambda t: t * t * t, x, w, v, order)
    along, grads = _cube_derivatives(x, w, v)
    numpy.testing.assert_allclose(result.along, along[:order + 1], rtol=1e-12, atol=1e-12)
    assert len(result.grads) == order
    for got, expected in zip(result.grads, grads, strict=False):
        numpy.testing.assert_allclose(got[0], expected, rtol=1e-12, atol=1e-12)
    if order >= 2:  # ∂S₁/∂w = 3x²·v
        numpy.testing.assert_allclose(result.upstream_grads[0], 3 * x**2 * v, rtol=1e-12)


@pytest.mark.parametrize("order", [1, 3])
def test_pytorchs_autograd_takes_the_same_derivatives(order):
    pytest.importorskip("torch")
    rng = numpy.random.default_rng(1)
    x, w, v = (rng.standard_normal((3, 4)) for _ in range(3))
    ours = _derive(lambda t: t * t * t, x, w, v, order)
    theirs = _derive(from_pytorch(lambda t: t * t * t), x, w, v, order)
    numpy.testing.assert_allclose(theirs.along, ours.along, rtol=1e-12)
    for a, b in zip(theirs.grads, ours.grads, strict=True):
        numpy.testing.assert_allclose(a[0], b[0], rtol=1e-12, atol=1e-14)


def test_a_pytorch_function_can_be_called_with_tensors():
    torch = pytest.importorskip("torch")
    softplus = from_pytorch(torch.nn.functional.softplus)
    x = Tensor([-1.0, 0.0, 2.0], dtype="float64")
    numpy.testing.assert_allclose(softplus(x).numpy(), numpy.log1p(numpy.exp(x.numpy())), rtol=1e-12)


def test_without_pytorch_from_pytorch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[torch\]'"):
        from_pytorch(lambda t: t)


@pytest.mark.parametrize("side", ["a", "b", "reference"])
def test_pytorch_can_stand_on_either_side_or_be_the_reference(side):
    torch = pytest.importorskip("torch")
    from tinygrad_bn.check import compare

    x = Tensor(numpy.random.default_rng(2).standard_normal((4, 3)), requires_grad=True)
    ours = lambda t: (t.exp() + 1.0).log()  # noqa: E731
    theirs = from_pytorch(torch.nn.functional.softplus)
    fns = {"a": (theirs, ours, None), "b": (ours, theirs, None), "reference": (ours, ours, theirs)}[side]
    report = compare(fns[0], fns[1], x, reference=fns[2], order=3)
    assert report.passed, str(report)
    assert report.order == 3 and report.row("3rd", "x").a_ref is not None
