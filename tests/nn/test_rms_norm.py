"""RMSNorm and F.rms_norm (nn/rms_norm.py) against PyTorch, values and gradients with
random upstream gradients in float32 and float64; gradcheck in float64; the default
eps, float16, the module's parameters and repr, and the errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F

CASES = [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((2, 3, 4), [4]), ((6,), (6,)), ((2, 1, 3), (1, 3))]
TOLERANCE = {"float32": 2e-6, "float64": 1e-12}


def run(framework, fn, x, weight, dtype, seed=0):
    """fn's output and the gradients of x and weight for a random upstream gradient."""
    x = framework.tensor(x.astype(dtype), requires_grad=True)
    w = None if weight is None else framework.tensor(weight.astype(dtype), requires_grad=True)
    y = fn(framework, x, w)
    upstream = numpy.random.default_rng(seed).standard_normal(tuple(y.shape)).astype(dtype)
    y.backward(framework.tensor(upstream))
    return [t.detach().numpy() for t in (y, x.grad, *([] if w is None else [w.grad]))]


@pytest.mark.parametrize(("shape", "normalized_shape"), CASES, ids=str)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rms_norm_is_pytorchs(torch, shape, normalized_shape, affine, eps, dtype):
    rng = numpy.random.default_rng(1)
    x = rng.standard_normal(shape)
    weight = rng.standard_normal(tuple(normalized_shape)) if affine else None

    def fn(framework, x, w):
        return framework.nn.functional.rms_norm(x, normalized_shape, w, eps)

    for ours, theirs in zip(run(tg, fn, x, weight, dtype), run(torch, fn, x, weight, dtype), strict=True):
        assert ours.dtype == theirs.dtype
        numpy.testing.assert_allclose(ours, theirs, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def test_rms_norm_by_hand():
    """Independent of PyTorch: x / √(mean(x²) + ε) · γ over the last axis."""
    rng = numpy.random.default_rng(2)
    x, weight = rng.standard_normal((3, 4)), rng.standard_normal(4)
    y = F.rms_norm(tg.tensor(x), 4, tg.tensor(weight), eps=0.1)  # an int normalized_shape, as LayerNorm's
    expected = x / numpy.sqrt((x**2).mean(-1, keepdims=True) + 0.1) * weight
    numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-14)


@pytest.mark.parametrize("affine", [True, False])
def test_rms_norm_gradcheck_with_random_upstream(affine):
    rng = numpy.random.default_rng(3)
    x = tg.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    weight = tg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    upstream = tg.tensor(rng.standard_normal((2, 3, 4)))
    inputs = (x, weight) if affine else (x,)
    assert gradcheck(lambda x, *w: F.rms_norm(x, (3, 4), *w, eps=1e-4) * upstream, inputs)


def test_float16_is_pytorchs(torch):
    x = numpy.random.default_rng(4).standard_normal((3, 8)).astype("float16")
    ours = F.rms_norm(tg.tensor(x), (8,))
    theirs = torch.nn.functional.rms_norm(torch.tensor(x), (8,))
    assert str(ours.dtype) == "float16"
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("kwargs", [{"normalized_shape": 4}, {"normalized_shape": [2, 4], "eps": 1e-3},
                                    {"normalized_shape": (4,), "elementwise_affine": False}], ids=str)
def test_module_is_pytorchs(torch, kwargs):
    ours, theirs = nn.RMSNorm(**kwargs, dtype="float64"), torch.nn.RMSNorm(**kwargs, dtype=torch.float64)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    x = numpy.random.default_rng(5).standard_normal((3, 2, 4))
    numpy.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                  rtol=1e-12)


def test_module_parameters_and_reset():
    norm = nn.RMSNorm(3)
    assert [name for name, _ in norm.named_parameters()] == ["weight"] and not hasattr(norm, "bias")
    with tg.no_grad():
        norm.weight.mul_(3.0)
    norm.reset_parameters()
    numpy.testing.assert_array_equal(norm.weight.numpy(), numpy.ones(3))
    assert nn.RMSNorm(3, elementwise_affine=False).weight is None


@pytest.mark.parametrize(("call", "words"), [
    (lambda f: f.nn.functional.rms_norm(f.ones(2, 4), (3,)), r"expects input of shape \(\*, 3\), got \(2, 4\)"),
    (lambda f: f.nn.functional.rms_norm(f.ones(2, 3), (3,), weight=f.ones(2)), r"weight must have shape \(3,\)"),
    (lambda f: f.nn.RMSNorm(3)(f.ones(3, 2)), r"RMSNorm\(\(3,\)\) expects input of shape \(\*, 3\)"),
], ids=["input", "weight", "module"])
def test_errors_are_pytorchs(torch, raises_like_torch, call, words):
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)
