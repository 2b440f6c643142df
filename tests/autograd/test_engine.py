"""The backward engine: errors, accumulation, freed graphs, memory, deep graphs, grad()."""

import gc
import math
import tracemalloc
import weakref

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn import Function, Tensor
from tinygrad_bn.autograd import backward, grad

# backward() errors ------------------------------------------------------------------


def test_backward_of_a_non_scalar_needs_a_gradient():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=r"one element, got shape \(2,\).*gradient="):
        y.backward()


def test_backward_of_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2.0).sum().backward()


def test_backward_with_a_gradient_of_the_wrong_shape():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"gradient of shape \(3,\).*output of shape \(2,\)"):
        y.backward(Tensor([1.0, 1.0, 1.0]))


def test_backward_with_an_explicit_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(numpy.array([10.0, 100.0], dtype="float32"))
    assert x.grad.tolist() == [20.0, 400.0]


# Accumulation and freed graphs -----------------------------------------------------------


def test_gradients_accumulate_until_cleared():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for expected in ([2.0, 4.0], [4.0, 8.0]):
        (x * x).sum().backward()
        assert x.grad.tolist() == expected
    x.grad = None
    (x * 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph")
def test_a_second_gradient_is_added_into_dot_grad_in_place_unless_backward_is_recorded(torch, create_graph):
    """As PyTorch's gradient accumulation: outside a recorded backward ``.grad`` stays
    the same tensor (an optimizer holding it sees the sum) and its version goes up;
    under create_graph the sum is a new tensor, recorded."""
    seen = []
    for framework in (tinygrad_bn, torch):
        x = framework.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward(create_graph=create_graph)
        first, version = x.grad, x.grad._version
        (x * x * x).sum().backward(create_graph=create_graph)
        bumped = x.grad._version - version if x.grad is first else None
        seen.append((x.grad is first, bumped, x.grad.requires_grad, x.grad.tolist()))
    assert seen[0] == seen[1]
    assert seen[0][0] == (not create_graph) and seen[0][3] == [5.0, 16.0]


def test_a_read_only_dot_grad_is_replaced_by_the_sum():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.grad = tinygrad_bn.ones(1).expand(2)  # a broadcast view: its array cannot be written
    (x * 3.0).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_gradients_are_leaves_that_do_not_require_grad():
    x = Tensor([1.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.is_leaf and not x.grad.requires_grad


def test_second_backward_through_a_freed_graph_says_retain_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    # d/dx (x eˣ) = (1 + x) eˣ, accumulated twice
    numpy.testing.assert_allclose(x.grad.numpy(), 2 * (1 + x.numpy()) * numpy.exp(x.numpy()))


@pytest.mark.parametrize("retain_graph", [False, True])
def test_saved_arrays_are_released_after_backward(retain_graph):
    x = Tensor(numpy.arange(1.0, 4.0), requires_grad=True)
    h = x.exp()
    saved = weakref.ref(h._data)
    loss = (h * h).sum()
    del h
    gc.collect()
    assert saved() is not None, "the graph keeps eˣ for backward"
    loss.backward(retain_graph=retain_graph)
    gc.collect()
    assert (saved() is not None) == retain_graph


def test_training_loop_memory_does_not_grow():
    rng = numpy.random.default_rng(0)
    x = Tensor(rng.standard_normal((8, 4)))
    target = Tensor(rng.standard_normal((8, 1)))
    w1 = Tensor(rng.standard_normal((4, 6)) * 0.5, requires_grad=True)
    w2 = Tensor(rng.standard_normal((6, 1)) * 0.5, requires_grad=True)

    def step():
        hidden = (x @ w1).tanh()
        loss = ((hidden @ w2 - target) ** 2).mean()
        loss.backward()
        for w in (w1, w2):
            w._data -= 0.01 * w.grad._data
            w.grad = None
        return loss.item()

    tracemalloc.start()
    try:
        first_loss = [step() for _ in range(200)][0]
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        last_loss = [step() for _ in range(1800)][-1]
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert last_loss < first_loss
    # a graph kept per step would be ~1 MB here; NumPy's cache of small array buffers
    # fills over the first steps and holds a few tens of KB, however long the run
    assert growth < 100_000, f"memory grew by {growth} bytes over 1800 steps"


def test_a_100000_op_chain_without_recursion():
    x = Tensor([0.5, -2.0], dtype="float64", requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0001 + x
    y.sum().backward()
    # y_n = a·y_{n-1} + x  ⇒  y_n = x·(aⁿ⁺¹ − 1)/(a − 1), the same as dy_n/dx
    a, n = 1.0001, 50_000
    slope = (a ** (n + 1) - 1) / (a - 1)
    numpy.testing.assert_allclose(y.numpy(), x.numpy() * slope, rtol=1e-9)
    numpy.testing.assert_allclose(x.grad.numpy(), [slope, slope], rtol=1e-9)


def test_a_shared_input_gets_the_sum_of_both_paths():
    x = Tensor([3.0], requires_grad=True)
    a = x * 2.0
    b = x * x
    (a * b).sum().backward()
    # d/dx (2x · x²) = 6x²
    assert x.grad.tolist() == [54.0]


def test_backward_of_several_outputs_with_their_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y1, y2 = x * 3.0, x * x
    backward([y1, y2], [Tensor([1.0, 1.0]), Tensor([10.0, 10.0])])
    assert x.grad.tolist() == [23.0, 43.0]


def test_backward_through_an_output_that_feeds_another_output():
    x = Tensor([2.0], requires_grad=True)
    y = x * x
    z = y * 3.0
    backward([y, z], [Tensor([1.0]), Tensor([1.0])])
    # dy/dx + dz/dx = 2x + 6x
    assert x.grad.tolist() == [16.0]


class Stop(Function):
    """Passes its input's values on and sends no gradient back (backward gives None)."""

    def forward(self, x):
        return x._data.copy()

    def backward(self, grad):
        return None


def test_a_branch_that_receives_no_gradient_is_skipped_and_the_rest_still_runs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 1.0
    for _ in range(5_000):  # a long branch behind Stop: passed over without recursion
        hidden = hidden * 1.0 + x
    y = (Stop.apply(hidden) * 5.0).sum() + (x * 2.0).sum()
    dx, dhidden = grad(y, [x, hidden], retain_graph=True, allow_unused=True)
    assert dx.tolist() == [2.0, 2.0] and dhidden is None
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_a_repeated_output_gets_each_of_its_gradients():
    x = Tensor([2.0], requires_grad=True)
    y = x * x
    backward([y, y], [Tensor([1.0]), Tensor([10.0])])
    # (1 + 10) · 2x
    assert x.grad.tolist() == [44.0]


def test_retained_gradients_accumulate_like_leaf_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert h.grad.tolist() == [12.0, 24.0] and x.grad.tolist() == [36.0, 72.0]


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    other = x * 5.0
    h.retain_grad()
    (h * h + other).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0]
    assert other.grad is None


# grad() -----------------------------------------------------------------------------


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    result = grad((a * b).sum(), [a, b])
    assert isinstance(result, tuple) and len(result) == 2
    assert result[0].tolist() == [3.0, 4.0] and result[1].tolist() == [1.0, 2.0]
    assert a.grad is None and b.grad is None


def test_grad_with_grad_outputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (dx,) = grad(x * x, x, grad_outputs=Tensor([10.0, -1.0]))
    assert dx.tolist() == [20.0, -4.0]


def test_grad_of_several_outputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (dx,) = grad([x.sum(), (x * x).sum()], [x])
    assert dx.tolist() == [3.0, 5.0]


def test_second_order_with_create_graph():
    x = Tensor([0.3, -1.2, 2.0], dtype="float64", requires_grad=True)
    f = (x.exp() * x).sum()
    (df,) = grad(f, x, create_graph=True)
    assert df.requires_grad
    (ddf,) = grad(df.sum(), x)
    values = x.numpy()
    # f = x eˣ:  f' = (1 + x) eˣ,  f'' = (2 + x) eˣ
    numpy.testing.assert_allclose(df.numpy(), (1 + values) * numpy.exp(values))
    numpy.testing.assert_allclose(ddf.numpy(), (2 + values) * numpy.exp(values))


def test_mixed_second_derivative_matches_finite_differences():
    x = Tensor([0.5, 1.5], dtype="float64", requires_grad=True)
    y = Tensor([2.0, -1.0], dtype="float64", requires_grad=True)

    def dfdx_sum(y_values):
        x_ = Tensor(x.numpy(), requires_grad=True)
        (d,) = grad((x_ * x_ * Tensor(y_values)).tanh().sum(), x_)
        return d.numpy().sum()

    (dx,) = grad((x * x * y).tanh().sum(), x, create_graph=True)
    (dxdy,) = grad(dx.sum(), y)
    eps = 1e-6
    for i in range(2):
        step = numpy.eye(2)[i] * eps
        numerical = (dfdx_sum(y.numpy() + step) - dfdx_sum(y.numpy() - step)) / (2 * eps)
        assert dxdy.numpy()[i] == pytest.approx(numerical, rel=1e-6)


def test_third_order():
    x = Tensor([2.0], dtype="float64", requires_grad=True)
    (d1,) = grad((x**4).sum(), x, create_graph=True)
    (d2,) = grad(d1.sum(), x, create_graph=True)
    (d3,) = grad(d2.sum(), x)
    assert (d1.item(), d2.item(), d3.item()) == (32.0, 48.0, 48.0)


def test_allow_unused():
    x = Tensor([1.0], requires_grad=True)
    unused = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"input 1.*allow_unused=True"):
        grad((x * 2.0).sum(), [x, unused])
    dx, dunused = grad((x * 2.0).sum(), [x, unused], allow_unused=True)
    assert dx.tolist() == [2.0] and dunused is None


def test_grad_with_respect_to_non_leaf_tensors():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    y = (h * h).sum()
    dh, dx = grad(y, [h, x])
    assert dh.tolist() == [6.0, 12.0] and dx.tolist() == [18.0, 36.0]


def test_grad_needs_inputs_that_require_grad():
    with pytest.raises(RuntimeError, match="requires grad"):
        grad(Tensor([1.0], requires_grad=True).sum(), Tensor([1.0]))


def test_grad_without_create_graph_gives_constants():
    x = Tensor([1.0], requires_grad=True)
    (dx,) = grad((x * x).sum(), x)
    assert not dx.requires_grad and dx.is_leaf


def test_cross_entropy_gradient_is_probabilities_minus_onehot():
    logits = Tensor([[1.0, 2.0, 0.5]], dtype="float64", requires_grad=True)
    loss = -logits.log_softmax()[0, 1]
    loss.backward()
    p = numpy.exp(logits.numpy()) / numpy.exp(logits.numpy()).sum()
    numpy.testing.assert_allclose(logits.grad.numpy(), p - numpy.array([[0.0, 1.0, 0.0]]))
    assert loss.item() == pytest.approx(-math.log(p[0, 1]))


# .grad is the tensor's own array ------------------------------------------------------


GRAPHS = {
    "a + b": lambda a, b: a + b,
    "a + b, reshaped": lambda a, b: (a + b).reshape(2, 2).reshape(4),
    "a - b": lambda a, b: a - b,
    "a + a·b": lambda a, b: a + a * b,
}


@pytest.mark.parametrize("graph", GRAPHS.values(), ids=GRAPHS.keys())
@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_never_shares_an_array_with_the_caller_or_another_leaf(graph, create_graph):
    a = Tensor(numpy.arange(4.0), requires_grad=True)
    b = Tensor(numpy.arange(4.0) + 1, requires_grad=True)
    g = Tensor(numpy.ones(4))
    y = graph(a, b)
    y.retain_grad()
    y.backward(g, create_graph=create_graph)
    arrays = [g._data, a.grad._data, b.grad._data, y.grad._data]
    for i, first in enumerate(arrays):
        for second in arrays[i + 1:]:
            assert not numpy.shares_memory(first, second)
    expected = [t.grad.numpy().copy() for t in (a, b, y)]
    g._data += 100.0
    a.grad._data += 10.0
    assert [t.grad.numpy().tolist() for t in (b, y)] == [e.tolist() for e in expected[1:]]


class _Handover(Function):
    """y = x, whose backward returns a fresh array it may also keep (``keep``), and
    leaves a weak reference to that array for the test to look at."""

    def forward(self, x, keep):
        self.keep = keep
        return x._data.copy()

    def backward(self, grad):
        array = grad._data * 1.0
        self.returned = weakref.ref(array)
        self.kept = array if self.keep else None
        return Tensor._wrap(array, grad._backend)


def _handover(keep: bool):
    x = Tensor(numpy.arange(4.0), requires_grad=True)
    y = _Handover.apply(x, keep=keep)
    node = y._ctx
    y.backward(Tensor(numpy.ones(4)))
    return x, node


def test_a_gradient_nothing_else_holds_becomes_dot_grad_without_a_copy():
    x, node = _handover(keep=False)
    assert x.grad._data is node.returned()


def test_a_gradient_something_else_holds_is_copied_into_dot_grad():
    x, node = _handover(keep=True)
    assert x.grad._data is not node.kept and not numpy.shares_memory(x.grad._data, node.kept)
    node.kept += 5.0
    assert x.grad.tolist() == [1.0] * 4


def test_a_graph_whose_nodes_saved_nothing_can_be_differentiated_twice(torch):
    grads = []
    for framework in (tinygrad_bn, torch):
        x = framework.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x + 1).reshape(3, 1).sum()
        y.backward()
        y.backward()  # nothing was saved, so nothing was freed
        grads.append(x.grad.tolist())
        z = (x * x).sum()
        z.backward()
        with pytest.raises(RuntimeError, match="second time"):
            z.backward()
    assert grads[0] == grads[1] == [2.0, 2.0, 2.0]
