"""Tensor: construction and dtype rules, attributes, leaving the graph, presentation."""

import numpy
import pytest

from tinygrad_bn import Tensor


@pytest.mark.parametrize("data, dtype", [
    (1.5, "float32"),
    ([1.0, 2.0], "float32"),
    ([[1, 2.5]], "float32"),
    (3, "int64"),
    ([1, 2], "int64"),
    (True, "bool"),
    (numpy.array([1.0, 2.0]), "float64"),
    (numpy.array([1.0], dtype="float16"), "float16"),
    (numpy.array([1, 2], dtype="int32"), "int32"),
    (numpy.float64(1.5), "float64"),
    (numpy.float32(1.5), "float32"),
])
def test_dtype_of_new_tensors(data, dtype):
    assert Tensor(data).dtype == dtype


def test_an_explicit_dtype_wins():
    assert Tensor([1.0, 2.0], dtype="float64").dtype == "float64"
    assert Tensor(numpy.array([1, 2]), dtype="float32").dtype == "float32"


def test_a_numpy_array_is_used_without_a_copy():
    array = numpy.array([1.0, 2.0])
    assert Tensor(array)._data is array


@pytest.mark.parametrize("data", [[1, 2], numpy.array([1, 2], dtype="int32"), [True]])
def test_integer_and_boolean_tensors_cannot_require_grad(data):
    with pytest.raises(TypeError, match="floating point.*got dtype (int|bool)"):
        Tensor(data, requires_grad=True)


def test_objects_that_are_not_numbers_are_rejected():
    with pytest.raises(TypeError, match="cannot make a Tensor"):
        Tensor(["a", object()])


def test_attributes():
    x = Tensor(numpy.zeros((2, 3)), requires_grad=True)
    assert (x.shape, x.ndim, x.size, x.dtype, x.device) == ((2, 3), 2, 6, "float64", "cpu")
    assert x.requires_grad and x.is_leaf and x.grad_fn is None and x.grad is None
    y = x * 2.0
    assert y.requires_grad and not y.is_leaf
    assert y.grad_fn.name == "Mul" and y.grad_fn.parents[0] is x
    assert len(x) == 2


def test_numpy_works_on_tensors_that_require_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    assert isinstance(y.numpy(), numpy.ndarray)
    assert y.numpy().tolist() == [3.0, 6.0]


def test_item_and_python_conversions():
    assert Tensor([[2.5]]).item() == 2.5 and isinstance(Tensor([[2.5]]).item(), float)
    assert float(Tensor(2.5)) == 2.5 and int(Tensor(7)) == 7 and bool(Tensor([1.0]))
    assert [0, 1, 2][Tensor(2)] == 2
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))


def test_detach_shares_data_and_leaves_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert d._data is y._data
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None


def test_requires_grad_can_only_change_on_leaves():
    x = Tensor([1.0]).requires_grad_()
    assert x.requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2.0).requires_grad_(False)


def test_grad_setter_checks_type_and_shape():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.grad = Tensor([0.5, 0.5])
    assert x.grad.tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        x.grad = Tensor([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="Tensor or None"):
        x.grad = numpy.ones(2)


def test_repr_shows_values_dtype_and_graph():
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.], dtype=float32)"
    assert repr(Tensor([1.0], requires_grad=True)) == "Tensor([1.], dtype=float32, requires_grad=True)"
    assert repr(Tensor([1.0], requires_grad=True).exp()).endswith("dtype=float32, grad_fn=Exp)")


@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3, 4)])
def test_size_is_numpys_count_and_pytorchs_size(shape):
    torch = pytest.importorskip("torch")
    x, t = Tensor(numpy.zeros(shape)), torch.zeros(shape)
    assert x.size == numpy.zeros(shape).size and isinstance(x.size, int)
    assert x.size() == tuple(t.size())
    for dim in range(-len(shape), len(shape)):
        assert x.size(dim) == t.size(dim)


@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3, 4)])
def test_shape_is_a_tuple_with_pytorchs_numel(torch, shape):
    x, t = Tensor(numpy.zeros(shape)), torch.zeros(shape)
    for ours, theirs in [(x.shape, t.shape), (x.size(), t.size())]:
        assert isinstance(ours, tuple) and ours == tuple(theirs) and repr(ours) == repr(tuple(theirs))
        assert ours.numel() == theirs.numel()


@pytest.mark.parametrize("dim", [2, -3])
def test_size_of_a_missing_dimension_is_an_index_error(dim):
    with pytest.raises(IndexError, match=rf"size\({dim}\): dimension out of range, expected one in \[-2, 1\]"):
        Tensor(numpy.zeros((2, 3))).size(dim)
