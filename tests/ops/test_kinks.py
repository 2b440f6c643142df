"""Gradients exactly at kinks are PyTorch's: relu, abs, clamp at its bounds, max/min
ties, norms at 0; and a retained gradient is detached unless the graph is created."""

import numpy
import pytest

import tinygrad_bn as tg

AT_KINKS = numpy.array([-1.0, 0.0, 0.0, 1.0, 2.0])


@pytest.mark.parametrize("name, fn", [
    ("relu", lambda t, x: t.relu(x)),
    ("abs", lambda t, x: x.abs()),
    ("clamp bounds", lambda t, x: x.clamp(0.0, 1.0)),
    ("clamp min", lambda t, x: x.clamp(min=0.0)),
    ("clamp max", lambda t, x: x.clamp(max=1.0)),
    ("max ties", lambda t, x: x.max()),
    ("min ties", lambda t, x: t.cat([x, x]).min()),
    ("max dim ties", lambda t, x: x.reshape(1, 5).max(1).values),
    ("maximum ties", lambda t, x: t.maximum(x, t.zeros_like(x))),
    ("amax ties", lambda t, x: t.cat([x, x]).amax()),
    ("norm at 0", lambda t, x: (x * 0.0).norm()),
    ("norm dim at 0", lambda t, x: (x * 0.0).reshape(5, 1).norm(dim=1)),
    ("leaky relu", lambda t, x: t.nn.functional.leaky_relu(x, 0.1)),
])
def test_gradient_at_the_kink_is_pytorchs(name, fn):
    torch = pytest.importorskip("torch")
    x = tg.tensor(AT_KINKS, requires_grad=True)
    expected = torch.tensor(AT_KINKS, requires_grad=True)
    fn(tg, x).sum().backward()
    fn(torch, expected).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), expected.grad.numpy())


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_retained_gradient_is_detached_unless_the_graph_is_created(create_graph):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * x
    hidden.retain_grad()
    (hidden * x).sum().backward(create_graph=create_graph)
    assert hidden.grad.tolist() == [1.0, 2.0]
    assert hidden.grad.requires_grad == create_graph


SPECIAL_VALUES = [-0.0, 0.0, -1.5, 2.5, float("nan"), float("inf"), float("-inf")]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_relu_keeps_pytorchs_signed_zero_nan_and_infinities(torch, dtype):
    ours = tg.tensor(SPECIAL_VALUES, dtype=getattr(tg, dtype)).relu().numpy()
    theirs = torch.tensor(SPECIAL_VALUES, dtype=getattr(torch, dtype)).relu().numpy()
    assert ours.dtype == theirs.dtype
    numpy.testing.assert_array_equal(ours, theirs)  # NaN where NaN
    numpy.testing.assert_array_equal(numpy.signbit(ours), numpy.signbit(theirs))  # relu(-0.0) is -0.0


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64"])
def test_relu_of_integers_is_pytorchs(torch, dtype):
    values = [-3, 0, 5]
    ours = tg.tensor(values, dtype=getattr(tg, dtype)).relu()
    theirs = torch.tensor(values, dtype=getattr(torch, dtype)).relu()
    assert ours.dtype == getattr(tg, dtype)
    assert ours.tolist() == theirs.tolist()
