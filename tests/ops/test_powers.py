"""exp2, float_power and logspace (ops/powers.py) against PyTorch: dtypes the op-case registry
does not try (integers, float32 to float64), logspace's arguments, and its errors."""

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck

INTEGERS = numpy.array([[0, 3, -2], [5, 1, 2]])
REALS = numpy.array([[0.5, 1.25, 2.0], [0.1, 3.0, 1.5]])


@pytest.mark.parametrize("x", [INTEGERS, REALS, REALS.astype("float32")], ids=["int64", "float64", "float32"])
def test_exp2_is_pytorchs(matches_torch, x):
    """Integers give the default float dtype, as in PyTorch."""
    matches_torch(lambda t: t.exp2(), x, rtol=1e-6 if x.dtype == "float32" else 1e-12)


def test_exp2_by_hand():
    x = tg.tensor([0.0, 3.0, -1.0, 0.5], dtype="float64", requires_grad=True)
    y = tg.exp2(x)
    numpy.testing.assert_allclose(y.numpy(), [1.0, 8.0, 0.5, math.sqrt(2.0)], rtol=1e-15)
    y.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), y.numpy() * math.log(2.0), rtol=1e-15)


CALLS = {
    "tensor ** number": lambda f, a, b: f.float_power(a, 2.5),
    "tensor ** tensor": lambda f, a, b: f.float_power(a, b),
    "number ** tensor": lambda f, a, b: f.float_power(2, b),
    "method": lambda f, a, b: a.float_power(b[:1]),
    "tensor ** int": lambda f, a, b: f.float_power(a, 3),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_float_power_is_pytorchs(torch, call, dtype):
    """A float64 result from any dtype, the gradients back in each input's dtype."""
    host = [(REALS * 2).astype(dtype), numpy.array([1.5, -0.5, 2.0]).astype(dtype)]

    def run(framework):
        differentiable = dtype != "int64"
        a, b = (framework.tensor(x, requires_grad=differentiable) for x in host)
        y = CALLS[call](framework, a, b)
        results = [y]
        if differentiable:
            upstream = numpy.random.default_rng(0).standard_normal(tuple(y.shape))
            results += framework.autograd.grad(y, [a, b], framework.tensor(upstream), allow_unused=True)
        return [None if r is None else (str(r.dtype).removeprefix("torch."), r.detach().numpy()) for r in results]

    for ours, theirs in zip(run(tg), run(torch), strict=True):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert ours[0] == theirs[0]
            numpy.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6 if ours[0] == "float32" else 1e-12)


def test_float_power_gradcheck_with_random_upstream():
    a = tg.tensor(REALS, requires_grad=True)
    b = tg.tensor([1.5, -0.5, 2.0], dtype="float64", requires_grad=True)
    weights = tg.tensor(numpy.random.default_rng(2).standard_normal((2, 3)))
    assert gradcheck(lambda a, b: tg.float_power(a, b) * weights, (a, b))


def test_float_power_needs_a_tensor():
    with pytest.raises(TypeError, match="float_power expects a tensor"):
        tg.float_power(2.0, 3)


@pytest.mark.parametrize("args", [(0, 2, 3), (-1.5, 2, 7), (2.7, -1.5, 4), (0, 2.9, 4, 2.5), (2, -1, 4),
                                  (0, 3, 4, 2), (1, 1, 1), (0, 1, 0), (0.0, 1.0, 5, math.e)], ids=str)
@pytest.mark.parametrize("dtype", [None, "float32", "float64", "int64"])
def test_logspace_is_pytorchs(torch, agree, args, dtype):
    ours = tg.logspace(*args, dtype=dtype)
    theirs = torch.logspace(*args, dtype=None if dtype is None else getattr(torch, dtype))
    agree(ours, theirs, rtol=1e-6)


def test_logspace_by_hand():
    y = tg.logspace(-2, 1, 4, dtype="float64", requires_grad=True)
    numpy.testing.assert_allclose(y.numpy(), [0.01, 0.1, 1.0, 10.0], rtol=1e-15)
    assert y.requires_grad


def test_logspace_of_negative_steps_is_refused_as_pytorch(torch, raises_like_torch):
    raises_like_torch(lambda: tg.logspace(0, 1, -1), lambda: torch.logspace(0, 1, -1), "steps ≥ 0")
