"""The in-place activations of nn.functional (nn/activation.py): elu_, celu_, selu_,
hardtanh_, leaky_relu_, rrelu_, threshold_ and relu_ change their input and return it, with
PyTorch's values, dtypes, gradients (through the change, and of second order) and errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

# (name, arguments after the input)
CASES = [("elu_", ()), ("elu_", (0.5,)), ("celu_", ()), ("celu_", (2.0,)), ("selu_", ()), ("hardtanh_", ()),
         ("hardtanh_", (-0.5, 0.7)), ("leaky_relu_", ()), ("leaky_relu_", (0.2,)), ("rrelu_", ()),
         ("rrelu_", (0.1, 0.3, True)), ("threshold_", (0.1, -2.0)), ("relu_", ())]
IDS = [f"{name}{args}" for name, args in CASES]


@pytest.fixture(autouse=True)
def _keep_the_generator():
    state = tg.get_rng_state()
    yield
    tg.set_rng_state(state)


def _data(shape=(3, 4, 5), seed=0):
    values = numpy.random.default_rng(seed).standard_normal(shape)
    values.flat[:3] = (0.0, -1.0, 1.0)  # the kinks
    return values


def _in_place(framework, name, args, x, dtype):
    """The changed input, the returned tensor being the input, and the gradient through the change."""
    leaf = framework.tensor(x.astype(dtype), requires_grad=True)
    framework.manual_seed(4)
    changed = leaf * 1.0
    result = getattr(framework.nn.functional, name)(changed, *args)
    assert result is changed
    result.backward(framework.tensor(_data(x.shape, seed=1).astype(dtype)))
    return result.detach().numpy(), leaf.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "args"), CASES, ids=IDS)
def test_values_and_gradients_are_pytorchs(torch, name, args, dtype):
    x = _data()
    ours, our_grad = _in_place(tg, name, args, x, dtype)
    theirs, their_grad = _in_place(torch, name, args, x, dtype)
    assert ours.dtype == theirs.dtype
    tolerance = {"rtol": 1e-6, "atol": 1e-7} if dtype == "float32" else {"rtol": 1e-14, "atol": 1e-15}
    numpy.testing.assert_allclose(ours, theirs, **tolerance)
    numpy.testing.assert_allclose(our_grad, their_grad, **tolerance)


@pytest.mark.parametrize(("name", "args"), CASES, ids=IDS)
def test_the_input_is_changed_as_the_out_of_place_function_computes(name, args):
    x = _data()
    expected = getattr(F, name[:-1])(Tensor(x), *args).numpy() if name != "rrelu_" or len(args) < 3 else None
    tensor = Tensor(x.copy())
    tg.manual_seed(4)
    assert getattr(F, name)(tensor, *args) is tensor
    if expected is None:
        tg.manual_seed(4)
        expected = F.rrelu(Tensor(x), *args).numpy()
    numpy.testing.assert_array_equal(tensor.numpy(), expected)


@pytest.mark.parametrize(("name", "args"), [c for c in CASES if c[0] != "rrelu_" or len(c[1]) < 3],
                         ids=[i for c, i in zip(CASES, IDS, strict=True) if c[0] != "rrelu_" or len(c[1]) < 3])
def test_gradients_match_finite_differences(name, args):
    x = _data((2, 3)) * 0.9 + 0.05  # off the kinks
    x = Tensor(x, requires_grad=True)
    assert gradcheck(lambda t: getattr(F, name)(t * 1.0, *args), x)
    assert gradgradcheck(lambda t: getattr(F, name)(t * 1.0, *args), x)


@pytest.mark.parametrize(("name", "args"), CASES, ids=IDS)
def test_a_leaf_that_requires_grad_is_refused(torch, raises_like_torch, name, args):
    raises_like_torch(lambda: getattr(F, name)(tg.ones(3, requires_grad=True), *args),
                      lambda: getattr(torch.nn.functional, name)(torch.ones(3, requires_grad=True), *args),
                      "a leaf Variable that requires grad is being used in an in-place operation")


def test_integer_input_keeps_its_dtype(torch):
    for framework in (tg, torch):
        x = framework.tensor([-2, 0, 3])
        assert framework.nn.functional.hardtanh_(x, -1, 2).tolist() == [-1, 0, 2]
        assert framework.nn.functional.threshold_(x, 0, 5).tolist() == [5, 5, 2]
