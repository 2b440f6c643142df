"""Elementwise ops: dtype rules with Python numbers, broadcasting errors, ties, and
PyTorch's clamp and masked_fill."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad

KEEP_DTYPE = {
    "x*2.0": lambda x: x * 2.0,
    "2.0*x": lambda x: 2.0 * x,
    "2.0-x": lambda x: 2.0 - x,
    "x/3": lambda x: x / 3,
    "3/x": lambda x: 3 / x,
    "x**2": lambda x: x**2,
    "x**0.5": lambda x: x**0.5,
    "2.0**x": lambda x: 2.0**x,
    "x+float64": lambda x: x + numpy.float64(1.0),
    "maximum": lambda x: tg.maximum(x, 0.5),
    "where": lambda x: tg.where(x.numpy() > 1.0, x, 0.0),
    "clamp": lambda x: x.clamp(1.0, 2.0),
    "masked_fill": lambda x: x.masked_fill(x > 1.0, 0.0),
}


@pytest.mark.parametrize("expression", KEEP_DTYPE.values(), ids=KEEP_DTYPE.keys())
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_python_numbers_keep_the_tensor_dtype(expression, dtype):
    x = Tensor(numpy.array([0.5, 1.5, 2.5], dtype=dtype), requires_grad=True)
    y = expression(x)
    assert y.dtype == dtype
    y.sum().backward()
    assert x.grad.dtype == dtype


@pytest.mark.parametrize(
    "expression, dtype, values",
    [
        (lambda i: i * 0.5, "float32", [0.5, 1.0, 1.5]),
        (lambda i: 0.5 + i, "float32", [1.5, 2.5, 3.5]),
        (lambda i: i + 1, "int64", [2, 3, 4]),
        (lambda i: (i > 1) * 2, "int64", [0, 2, 2]),
        (lambda i: (i > 1) * 2.0, "float32", [0.0, 2.0, 2.0]),
    ],
    ids=["int*0.5", "0.5+int", "int+1", "bool*2", "bool*2.0"],
)
def test_numbers_promote_integer_and_boolean_tensors_like_pytorch(expression, dtype, values):
    result = expression(Tensor([1, 2, 3]))
    assert result.dtype == dtype
    assert result.tolist() == values


def test_mixed_float_dtypes_promote_and_cast_gradients_back():
    a = Tensor(numpy.ones(3, dtype="float32"), requires_grad=True)
    b = Tensor(numpy.full(3, 2.0), requires_grad=True)
    y = a * b
    assert y.dtype == "float64"
    y.sum().backward()
    assert a.grad.dtype == "float32" and b.grad.dtype == "float64"
    assert a.grad.tolist() == [2.0, 2.0, 2.0] and b.grad.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("op", [tg.ops.add, tg.ops.sub, tg.ops.mul, tg.ops.div, tg.ops.pow, tg.maximum])
@pytest.mark.parametrize("shapes", [((2, 3), (2,)), ((4, 1, 3), (2, 2))])
def test_broadcast_mismatch_names_both_shapes(op, shapes):
    a, b = (Tensor(numpy.ones(s)) for s in shapes)
    with pytest.raises(ValueError, match="do not broadcast") as error:
        op(a, b)
    assert str(shapes[0]) in str(error.value) and str(shapes[1]) in str(error.value)


def test_where_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2,\)"):
        tg.where(numpy.ones((2, 3), dtype=bool), Tensor(numpy.ones(2)), 0.0)


def test_where_takes_a_boolean_tensor_and_routes_gradients():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    tg.where(x > 0, x, y).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]
    assert y.grad.tolist() == [0.0, 1.0, 0.0]


@pytest.mark.parametrize("op, x_share", [(tg.maximum, [1.0, 0.5, 0.0]), (tg.minimum, [0.0, 0.5, 1.0])])
def test_ties_share_the_gradient_equally(op, x_share):
    x = Tensor([3.0, 2.0, 1.0], requires_grad=True)
    y = Tensor([2.0, 2.0, 2.0], requires_grad=True)
    op(x, y).sum().backward()
    assert x.grad.tolist() == x_share
    assert y.grad.tolist() == [1.0 - s for s in x_share]


def test_comparisons_give_boolean_tensors_outside_the_graph():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x >= 2.0
    assert mask.dtype == bool and not mask.requires_grad
    assert mask.tolist() == [False, True, True]
    assert (x == x).tolist() == [True] * 3 and (x != 2.0).tolist() == [True, False, True]


def test_sigmoid_does_not_overflow_for_large_inputs():
    x = Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    y = x.sigmoid()
    y.sum().backward()
    assert y.tolist() == [0.0, 0.5, 1.0]
    assert x.grad.tolist() == [0.0, 0.25, 0.0]


def test_sigmoid_of_an_integer_tensor_is_a_float():
    y = Tensor([0, 2]).sigmoid()
    assert y.dtype.kind == "f"
    numpy.testing.assert_allclose(y.numpy(), [0.5, 1 / (1 + numpy.exp(-2.0))])


# clamp and masked_fill ------------------------------------------------------------------


def test_clamp_passes_the_gradient_where_x_is_within_the_bounds_inclusive():
    x = Tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    y = x.clamp(0.0, 1.0)
    y.sum().backward()
    assert y.tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


DATA = numpy.array([[-1.0, 0.0, 0.5], [1.0, 2.0, 0.0]])


@pytest.mark.parametrize("low, high", [
    ([0.0, 0.0, 0.5], [1.0, 2.0, 1.0]),  # x ties with a bound in four places
    ([2.0, 0.0, 0.5], [1.0, 2.0, 0.25]),  # min > max in columns 0 and 2: the result is max
    (None, [1.0, 2.0, 1.0]),
    ([0.0, 0.0, 0.5], None),
], ids=["ties", "min>max", "max only", "min only"])
def test_clamp_with_tensor_bounds_matches_pytorch(low, high):
    torch = pytest.importorskip("torch")
    words = [word for word, bound in (("min", low), ("max", high)) if bound is not None]
    arrays = [a for a in (DATA, low, high) if a is not None]
    ours = [Tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    y = ours[0].clamp(**dict(zip(words, ours[1:], strict=True)))
    expected = theirs[0].clamp(**dict(zip(words, theirs[1:], strict=True)))
    numpy.testing.assert_array_equal(y.numpy(), expected.detach().numpy())
    upstream = numpy.arange(1.0, 7.0).reshape(2, 3)
    for g, e in zip(grad(y, ours, Tensor(upstream)),
                    torch.autograd.grad(expected, theirs, torch.from_numpy(upstream)), strict=True):
        numpy.testing.assert_array_equal(g.numpy(), e.numpy())


def test_clamp_to_one_value_gives_the_gradient_of_x_below_it_to_min():
    x, low, high = (Tensor(v, dtype="float64", requires_grad=True) for v in ([0.0, 1.0, 3.0], [1.0] * 3, [1.0] * 3))
    x.clamp(low, high).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    assert low.grad.tolist() == [1.0, 0.0, 0.0]  # PyTorch gives this gradient to no one
    assert high.grad.tolist() == [0.0, 0.0, 1.0]


def test_clamp_needs_a_bound_and_clip_is_clamp():
    with pytest.raises(TypeError, match=r"clamp\(\) expects min, max or both, got neither"):
        Tensor([1.0]).clamp()
    assert Tensor([-1.0, 0.5, 2.0]).clip(0.0, 1.0).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("low, dtype, values", [(2, "int64", [2, 2, 3]), (1.5, "float32", [1.5, 2.0, 3.0])])
def test_clamp_of_an_integer_tensor_promotes_as_pytorch(low, dtype, values):
    y = Tensor([1, 2, 3]).clamp(min=low)
    assert y.dtype == dtype and y.tolist() == values


def test_masked_fill_keeps_the_dtype_of_x_as_pytorch():
    y = Tensor([1, 2]).masked_fill(Tensor([True, False]), 0.5)
    assert y.dtype == "int64" and y.tolist() == [0, 2]
    value = Tensor(2.0, dtype="float64", requires_grad=True)
    y = Tensor([1.0, 1.0, 1.0]).masked_fill(Tensor([True, False, True]), value)
    assert y.dtype == "float32" and y.tolist() == [2.0, 1.0, 2.0]
    y.sum().backward()
    assert value.grad.dtype == "float64" and value.grad.item() == 2.0


@pytest.mark.parametrize("mask, value, error, problem", [
    (Tensor([1.0, 0.0, 1.0]), 0.0, TypeError, "boolean mask, got dtype float32; make one with a comparison"),
    ([1, 0, 1], 0.0, TypeError, "boolean mask, got dtype int64"),
    (Tensor([True, False]), 0.0, ValueError, r"mask of shape \(2,\) does not broadcast with tensor of shape \(2, 3\)"),
    (Tensor([True, False, True]), Tensor([1.0, 2.0]), ValueError, r"number or a 0-d tensor as value, got shape \(2,\)"),
])
def test_masked_fill_rejects_what_pytorch_rejects(mask, value, error, problem):
    with pytest.raises(error, match=problem):
        Tensor(numpy.ones((2, 3), dtype="float32")).masked_fill(mask, value)


@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("float64", "float64"), ("float32", "float64")])
def test_nextafter_is_pytorchs(torch, dtypes):
    x = numpy.array([1.0, 0.0, -1.0, 1e30, numpy.inf, numpy.nan, 2.0])
    y = numpy.array([2.0, -1.0, 0.0, numpy.inf, 0.0, 1.0, 2.0])
    results = []
    for framework in (tg, torch):
        a, b = (framework.tensor(v, dtype=getattr(framework, d)) for v, d in zip((x, y), dtypes, strict=True))
        out = framework.nextafter(a, b)
        results.append((out.numpy(), str(out.dtype).replace("torch.", "")))
    numpy.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1] == results[1][1]
