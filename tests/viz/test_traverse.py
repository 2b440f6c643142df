import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.autograd import Function
from tinygrad_bn.viz import retain_grads, topological_order


def diamond(shape, dtype):
    """x → a = exp(x), b = x·w → (a + b).sum(): x feeds two ops, the sum two paths."""
    rng = numpy.random.default_rng(0)
    x = Tensor(rng.normal(size=shape).astype(dtype), requires_grad=True)
    w = Tensor(rng.normal(size=shape).astype(dtype), requires_grad=True)
    a = x.exp()
    b = x * w
    return x, w, a, b, (a + b).sum()


@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 3, 2)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_item_once_after_its_inputs(shape, dtype):
    x, w, a, b, loss = diamond(shape, dtype)
    order = topological_order([loss])
    position = {item: i for i, item in enumerate(order)}
    assert len(position) == len(order) == 6  # x, w, Exp, Mul, Add, Sum
    assert x in position and w in position
    for item in order:
        if isinstance(item, Function):
            assert all(position[parent] < position[item] for parent in item.parents)
    assert order[-1] is loss.grad_fn


def test_order_is_the_same_every_time():
    *_, loss = diamond((4, 3), "float32")
    first = [id(item) for item in topological_order([loss])]
    assert first == [id(item) for item in topological_order([loss])]


def test_a_leaf_output_is_its_own_graph():
    x = Tensor([1.0, 2.0])
    assert topological_order([x]) == [x]


def test_deep_chain_without_recursion():
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(50_000):
        y = -y
    order = topological_order([y])
    assert len(order) == 50_001
    assert order[0] is x and order[-1] is y.grad_fn


def test_non_tensor_output_is_rejected():
    with pytest.raises(TypeError, match="expected Tensors.*got list"):
        topological_order([[1.0]])


@pytest.mark.parametrize("shape", [(5,), (4, 3)])
def test_retain_grads_keeps_every_intermediate_gradient(shape):
    x, w, a, b, loss = diamond(shape, "float64")
    assert retain_grads(loss) == 4
    loss.backward()
    total = loss.grad_fn.parents[0]
    # d loss / d (a + b) = d loss / d a = d loss / d b = 1 everywhere; d loss / d loss = 1
    for gradient in (total.grad, a.grad, b.grad):
        numpy.testing.assert_array_equal(gradient.numpy(), numpy.ones(shape))
    assert loss.grad.item() == 1.0
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.exp(x.numpy()) + w.numpy())
