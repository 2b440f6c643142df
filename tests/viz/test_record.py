import numpy
import pytest

from tinygrad_bn import Tensor, nn
from tinygrad_bn.autograd import Function, grad
from tinygrad_bn.viz import record_backward, topological_order


def model(impl, shape, seed=0):
    rng = numpy.random.default_rng(seed)
    x = Tensor(rng.normal(size=shape).astype("float64"), requires_grad=True)
    bn = nn.BatchNorm1d(shape[1], impl=impl, dtype="float64")
    dy = Tensor(rng.normal(size=shape))
    return x, bn, bn(x), dy


@pytest.mark.parametrize("impl", ["composite", "fused"])
@pytest.mark.parametrize("shape", [(4, 3), (5, 2, 3)])
def test_steps_run_each_node_once_after_all_its_consumers(impl, shape):
    x, bn, y, dy = model(impl, shape)
    record = record_backward(y, grad_outputs=dy)
    ran = [step.node for step in record.steps]
    ops = [item for item in topological_order([y]) if isinstance(item, Function)]
    assert sorted(map(id, ran)) == sorted(map(id, ops))
    position = {node: i for i, node in enumerate(ran)}
    for node in ops:
        for parent in node.parents:
            if isinstance(parent, Function):
                assert position[parent] > position[node]


@pytest.mark.parametrize("impl", ["composite", "fused"])
def test_arriving_gradient_is_the_sum_of_what_consumers_sent(impl):
    x, bn, y, dy = model(impl, (6, 3))
    record = record_backward(y, grad_outputs=dy)
    fanned_out = 0
    for step in record.steps[1:]:
        received = record.received(step.node)
        fanned_out += len(received) > 1
        total = sum(g.numpy() for _, _, g in received)
        numpy.testing.assert_allclose(step.grad.numpy(), total, rtol=1e-12, atol=1e-12)
    assert fanned_out == (1 if impl == "composite" else 0)  # x − μ feeds square and normalize


@pytest.mark.parametrize("impl", ["composite", "fused"])
def test_leaf_gradients_match_autograd_and_leave_grad_alone(impl):
    x, bn, y, dy = model(impl, (6, 3))
    record = record_backward(y, grad_outputs=dy)
    expected = grad(y, [x, bn.weight, bn.bias], dy, retain_graph=True)
    for leaf, want in zip([x, bn.weight, bn.bias], expected):
        numpy.testing.assert_allclose(record.gradients[leaf].numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
        assert leaf.grad is None
    y.backward(dy)  # the graph was kept
    assert x.grad is not None


def test_default_upstream_is_ones_and_a_graph_without_grad_is_an_error():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    record = record_backward(x * x)
    numpy.testing.assert_array_equal(record.gradients[x].numpy(), [2.0, 4.0, 6.0])
    with pytest.raises(ValueError, match="no input of the graph requires grad"):
        record_backward(Tensor([1.0]) * 2.0)
