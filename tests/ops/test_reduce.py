"""Reductions: shapes, axis errors, ties, the positions of extremes, products with
zeros, truth reductions, and PyTorch's keywords and their aliases with PyTorch's meaning."""

import math

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad

X = numpy.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize("method, words, numpy_method", [
    ("sum", {}, "sum"), ("mean", {}, "mean"), ("amax", {}, "max"), ("amin", {}, "min"), ("prod", {}, "prod"),
    ("var", {"correction": 0}, "var"), ("std", {"unbiased": False}, "std"),
])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(method, words, numpy_method, axis, keepdims):
    result = getattr(Tensor(X), method)(dim=axis, keepdim=keepdims, **words)
    expected = getattr(numpy, numpy_method)(X, axis=axis, keepdims=keepdims)
    assert result.shape == expected.shape
    numpy.testing.assert_allclose(result.numpy(), expected)


@pytest.mark.parametrize("axis, problem", [(3, "out of range"), (-4, "out of range"), ((1, -2), "repeated")])
def test_bad_axes_are_rejected(axis, problem):
    with pytest.raises(ValueError, match=problem):
        Tensor(X).sum(axis)


def test_axes_may_be_numpy_integers():
    numpy.testing.assert_allclose(Tensor(X).sum(numpy.int64(1)).numpy(), X.sum(1))
    numpy.testing.assert_allclose(Tensor(X).mean((numpy.int32(0), 2)).numpy(), X.mean((0, 2)))


@pytest.mark.parametrize("axis", [0, -1, (), None])
def test_a_0d_tensor_reduces_over_its_only_axis_name(axis):
    x = Tensor(2.5, requires_grad=True)
    y = x.sum(axis)
    assert y.shape == () and y.item() == 2.5
    y.backward()
    assert x.grad.item() == 1.0


def test_max_of_an_empty_axis_is_rejected():
    with pytest.raises(ValueError, match=r"empty axis.*\(2, 0\)"):
        Tensor(numpy.ones((2, 0))).max(1)


@pytest.mark.parametrize("method, values, share", [
    ("max", [1.0, 3.0, 3.0, 2.0], [0.0, 0.5, 0.5, 0.0]),
    ("min", [1.0, 3.0, 1.0, 1.0], [1 / 3, 0.0, 1 / 3, 1 / 3]),
])
def test_tied_extremes_share_the_gradient(method, values, share):
    x = Tensor(values, dtype="float64", requires_grad=True)
    getattr(x, method)().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), share)


TIED = numpy.array([[3.0, 1.0, 3.0, 0.0], [2.0, 2.0, -1.0, -1.0], [0.0, 5.0, 5.0, 5.0]])


@pytest.mark.parametrize("method", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_positions_of_extremes_match_pytorch_with_ties(method, axis, keepdims):
    torch = pytest.importorskip("torch")
    x = Tensor(TIED, requires_grad=True)
    result = getattr(x, method)(axis, keepdims=keepdims)
    expected = getattr(torch.tensor(TIED), method)(dim=axis, keepdim=keepdims)
    assert result.dtype == numpy.int64 and not result.requires_grad
    numpy.testing.assert_array_equal(result.numpy(), expected.numpy())  # the first of tied extremes


def test_positions_run_on_the_device(strict_cuda):
    x = Tensor(TIED, device="cuda")
    assert x.argmax(1).device == "cuda"
    assert x.argmax(1).tolist() == [0, 0, 1] and x.argmin().item() == 6


@pytest.mark.parametrize("call, problem", [
    (lambda: Tensor(numpy.ones((2, 0))).argmax(1), r"argmax of an empty tensor \(shape \(2, 0\)\)"),
    (lambda: Tensor(X).argmin(3), "axis 3 is out of range"),
])
def test_bad_positions_are_rejected(call, problem):
    with pytest.raises(ValueError, match=problem):
        call()


def test_a_0d_tensor_is_its_own_extreme():
    assert Tensor(4.0).argmax().item() == 0 and Tensor(4.0).argmin(0).item() == 0


@pytest.mark.parametrize("method, dtype", [("float", "float32"), ("double", "float64"), ("half", "float16"),
                                           ("long", "int64")])
def test_pytorch_casts(method, dtype):
    x = Tensor(numpy.array([1.5, -2.0]), requires_grad=True)
    y = getattr(x, method)()
    assert y.dtype == dtype
    assert y.requires_grad == (y.dtype.kind == "f")  # an integer tensor leaves the graph, as in PyTorch
    if y.requires_grad:
        (y * 2).sum().backward()
        assert x.grad.dtype == "float64" and x.grad.tolist() == [2.0, 2.0]


# PyTorch's keywords -------------------------------------------------------------------

ONE_DIM = [((5,), 0), ((5,), -1), ((2, 3, 4), 1), ((2, 3, 4), -1), ((3, 1, 2), 0), ((3, 1, 2), -2)]
EVERY_DIM = [((2, 3, 4), None)]
SEVERAL_DIMS = [((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, 0)), ((3, 1, 2), (1, 2))]
KEYWORD_CALLS = [
    *((method, shape, dim) for method in ("sum", "mean", "var") for shape, dim in ONE_DIM + EVERY_DIM + SEVERAL_DIMS),
    *((method, shape, dim) for method in ("argmax", "argmin") for shape, dim in ONE_DIM + EVERY_DIM),
]


def _tied(shape, dtype):
    """Small integers, so that most rows hold tied extremes."""
    return numpy.random.default_rng(0).integers(0, 3, shape).astype(dtype)


def _assert_equal(ours, theirs):
    assert ours.dtype == str(theirs.dtype).removeprefix("torch.") and ours.shape == tuple(theirs.shape)
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6)


@pytest.mark.filterwarnings("ignore:var.*degrees of freedom", "ignore:invalid value encountered")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("method, shape, dim", KEYWORD_CALLS)
def test_pytorch_keywords_give_pytorch_results(method, shape, dim, keepdim, dtype):
    torch = pytest.importorskip("torch")
    data = _tied(shape, dtype)
    ours = getattr(Tensor(data), method)(dim=dim, keepdim=keepdim)
    _assert_equal(ours, getattr(torch.tensor(data), method)(dim=dim, keepdim=keepdim))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape, dim", ONE_DIM)
@pytest.mark.parametrize("method", ["max", "min"])
def test_max_and_min_with_dim_are_values_and_indices_as_in_pytorch(method, shape, dim, keepdim, dtype):
    torch = pytest.importorskip("torch")
    data = _tied(shape, dtype)
    x, expected_x = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    result = getattr(x, method)(dim=dim, keepdim=keepdim)
    expected = getattr(expected_x, method)(dim=dim, keepdim=keepdim)

    values, indices = result
    assert result._fields == ("values", "indices") and values is result.values and indices is result.indices
    _assert_equal(values, expected.values)
    _assert_equal(indices, expected.indices)  # the first of tied extremes
    assert values.requires_grad and not indices.requires_grad

    upstream = numpy.random.default_rng(1).standard_normal(values.shape).astype(dtype)
    (dx,) = grad(values, [x], Tensor(upstream))
    (expected_dx,) = torch.autograd.grad(expected.values, [expected_x], torch.from_numpy(upstream))
    _assert_equal(dx, expected_dx)  # all of it to the element at indices


@pytest.mark.parametrize("method", ["sum", "mean", "var"])
def test_an_empty_dim_reduces_every_axis_as_in_pytorch(method):
    torch = pytest.importorskip("torch")
    _assert_equal(getattr(Tensor(X), method)(dim=()), getattr(torch.tensor(X), method)(dim=()))
    _assert_equal(getattr(Tensor(X), method)(axis=()), getattr(torch.tensor(X), method)(axis=()))


def test_a_0d_tensor_has_its_own_max_and_index():
    x = Tensor(2.5, requires_grad=True)
    values, indices = x.max(dim=-1, keepdim=True)
    assert values.item() == 2.5 and indices.item() == 0 and indices.shape == ()
    values.backward()
    assert x.grad.item() == 1.0


@pytest.mark.parametrize("method", ["sum", "mean"])
@pytest.mark.parametrize("keywords", [{}, {"keepdims": True}])
def test_a_position_is_the_axis_where_numpy_and_pytorch_agree(method, keywords):
    result = getattr(Tensor(X), method)(1, **keywords)
    expected = getattr(numpy, method)(X, axis=1, **keywords)
    assert isinstance(result, Tensor) and result.shape == expected.shape
    numpy.testing.assert_allclose(result.numpy(), expected)


@pytest.mark.parametrize("method", ["max", "min"])
@pytest.mark.parametrize("keep", [(), (True,)])
def test_a_position_in_max_and_min_is_pytorchs_dim(method, keep):
    """``x.max(1)[1]``, PyTorch's idiom for the indices, gives the indices (not row 1 of the values)."""
    torch = pytest.importorskip("torch")
    result = getattr(Tensor(TIED), method)(1, *keep)
    expected = getattr(torch.from_numpy(TIED), method)(1, *keep)
    numpy.testing.assert_array_equal(result[1].numpy(), expected[1].numpy())
    numpy.testing.assert_array_equal(result[0].numpy(), expected[0].numpy())


@pytest.mark.parametrize("method", ["max", "min", "var"])
@pytest.mark.parametrize("words", [{"axis": 1}, {"axis": 1, "keepdims": True}, {"dim": 1, "keepdims": False}])
def test_the_aliases_axis_and_keepdims_mean_what_they_mean_in_pytorch(method, words):
    """``x.var(axis=1)`` divides by m − 1 and ``x.max(axis=1)`` is (values, indices), as ``x.var(1)``, ``x.max(1)``."""
    torch = pytest.importorskip("torch")
    if method == "var":
        result = Tensor(X).var(**words)
        numpy.testing.assert_allclose(result.numpy(), torch.from_numpy(X).var(**words).numpy())
        return
    result = getattr(Tensor(TIED), method)(**words)
    expected = getattr(torch.from_numpy(TIED), method)(**words)
    numpy.testing.assert_allclose(result.values.numpy(), expected.values.numpy())
    numpy.testing.assert_array_equal(result.indices.numpy(), expected.indices.numpy())


def test_max_with_dim_runs_on_the_device(strict_cuda):
    x = Tensor(TIED, requires_grad=True, device="cuda")
    values, indices = x.min(dim=1)
    assert values.device == indices.device == "cuda"
    assert values.tolist() == [0.0, -1.0, 0.0] and indices.tolist() == [3, 2, 0]
    values.sum().backward()
    assert x.grad.device == "cuda"
    numpy.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0]])


@pytest.mark.parametrize("call, problem", [
    (lambda x: x.sum(axis=1, dim=1), r"sum\(\) got both dim=1 and axis=1; give one \(axis is PyTorch's alias"),
    (lambda x: x.mean(0, axis=0), r"mean\(\) got both dim=0 and axis=0"),
    (lambda x: x.argmin(keepdims=True, keepdim=True), r"argmin\(\) got both keepdim=True and keepdims=True"),
    (lambda x: x.max(keepdims=False, keepdim=True), r"max\(\) got both keepdim=True and keepdims=False"),
    (lambda x: x.min(axis=0, dim=1), r"min\(\) got both dim=1 and axis=0"),
    (lambda x: x.max(dim=(0, 1)), r"max\(dim\) takes one int dim, as in PyTorch; got \(0, 1\)\. .* amax\(dim\)"),
    (lambda x: x.min(dim=1.0), r"min\(dim\) takes one int dim"),
    (lambda x: x.var(correction=1, unbiased=False), r"both correction=1 and unbiased=False; give one"),
    (lambda x: x.std(correction=0, unbiased=True), r"std\(\) got both correction=0 and unbiased=True"),
    (lambda x: x.softmax(1, axis=1), r"softmax\(\) got both dim=1 and axis=1; give one"),
    (lambda x: x.log_softmax(axis=0, dim=-1), r"log_softmax\(\) got both dim=-1 and axis=0"),
    (lambda x: x.prod(keepdims=True, keepdim=True), r"prod\(\) got both keepdim=True and keepdims=True"),
    (lambda x: x.all(axis=0, dim=0), r"all\(\) got both dim=0 and axis=0"),
    (lambda x: x.any(0, axis=1), r"any\(\) got both dim=0 and axis=1"),
    (lambda x: x.sum(dims=1), "unexpected keyword argument 'dims'"),
    (lambda x: x.max(dim=1, keepdims_=True), "unexpected keyword argument 'keepdims_'"),
    (lambda x: x.var(dim=0, ddof=1), "unexpected keyword argument 'ddof'"),
])
def test_mixed_or_unknown_keywords_are_rejected(call, problem):
    with pytest.raises(TypeError, match=problem):
        call(Tensor(X))


@pytest.mark.parametrize("method", ["max", "min"])
def test_max_with_dim_of_an_empty_axis_is_rejected(method):
    with pytest.raises(ValueError, match=rf"{method} of an empty axis: tensor of shape \(0, 3\), dims \(0,\)"):
        getattr(Tensor(numpy.ones((0, 3))), method)(dim=0)
    values, indices = getattr(Tensor(numpy.ones((0, 3))), method)(dim=1)  # PyTorch's empty results
    assert values.shape == indices.shape == (0,)


# std, softmax's dim, prod, all and any ------------------------------------------------


@pytest.mark.parametrize("values", [[2.0, 3.0, 4.0], [2.0, 0.0, 4.0], [0.0, 3.0, 0.0], [0.0, 0.0, 0.0]])
def test_prod_gradient_is_the_product_of_the_others_also_with_zeros(values):
    x = Tensor(values, dtype="float64", requires_grad=True)
    x.prod().backward()
    others = [math.prod(v for j, v in enumerate(values) if j != i) for i in range(len(values))]
    assert x.grad.tolist() == others


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 9])
def test_prod_of_any_length_matches_numpy(n):
    data = numpy.linspace(0.5, 1.5, 2 * n).reshape(2, n)
    x = Tensor(data, requires_grad=True)
    y = x.prod(1)
    numpy.testing.assert_allclose(y.numpy(), data.prod(1), rtol=1e-14)
    y.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), data.prod(1, keepdims=True) / data, rtol=1e-14)


def test_prod_of_an_empty_axis_is_one_as_in_pytorch():
    assert Tensor(numpy.ones((2, 0))).prod(1).tolist() == [1.0, 1.0]
    assert Tensor(numpy.ones((2, 0))).prod(dim=0, keepdim=True).shape == (1, 0)


TRUTH = numpy.array([[[0.0, 1.0, 2.0, 1.0], [1.0, 1.0, 0.5, 3.0], [0.0, 0.0, 0.0, 0.0]],
                     [[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 7.0, 0.0]]])


@pytest.mark.parametrize("method", ["all", "any"])
@pytest.mark.parametrize("dim", [None, 0, -1, 2, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_all_and_any_match_pytorch(method, dim, keepdim):
    torch = pytest.importorskip("torch")
    result = getattr(Tensor(TRUTH, requires_grad=True), method)(dim=dim, keepdim=keepdim)
    expected = getattr(torch.from_numpy(TRUTH), method)(dim=dim, keepdim=keepdim)
    assert result.dtype == bool and not result.requires_grad
    assert result.shape == tuple(expected.shape) and result.tolist() == expected.tolist()
    assert getattr(Tensor(TRUTH), method)(axis=dim, keepdims=keepdim).tolist() == result.tolist()


def test_all_and_any_run_on_the_device(strict_cuda):
    x = Tensor(TRUTH, device="cuda")
    assert x.all(-1).device == x.any().device == "cuda"
    assert x.all(-1).tolist() == [[False, True, False], [True, False, False]] and x.any().item()
