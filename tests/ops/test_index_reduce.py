"""index_reduce, index_reduce_ and torch.index_reduce: PyTorch's values for every
reduction with and without the tensor's own slices, along any dim, integers (whose
mean rounds down) included, NaN spreading; PyTorch's gradients where ties share them
(amax, amin, also with a left-out slice of the tensor among the ties) and zeros meet
(prod); finite differences with a random upstream gradient; the in-place form; the
errors. (More finite-difference and device cases: the op cases in conftest.py.)"""

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck

REDUCTIONS = ["prod", "mean", "amax", "amin"]
RNG = numpy.random.default_rng(5)
SHAPES = {0: ((4, 3, 2), (5, 3, 2)), 1: ((2, 4, 3), (2, 5, 3)), -1: ((2, 3, 4), (2, 3, 5))}
INDEX = numpy.array([2, 0, 2, 3, 2])  # place 2 three times, place 1 never


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns that index_reduce is in beta
        yield


def _operands(f, dim, dtype, requires_grad=False):
    x_shape, source_shape = SHAPES[dim]
    x = (RNG.integers(-4, 5, x_shape) if dtype == "int64" else RNG.standard_normal(x_shape)).astype(dtype)
    source = (RNG.integers(-4, 5, source_shape) if dtype == "int64" else RNG.standard_normal(source_shape))
    return [f.tensor(a, requires_grad=requires_grad) for a in (x, source.astype(dtype))]


def _twice(run, torch):
    """``run(tg)`` and ``run(torch)`` on the same random draws."""
    state = RNG.bit_generator.state
    mine = run(tg)
    RNG.bit_generator.state = state
    return mine, run(torch)


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_values_match_pytorch(torch, agree, reduce, include_self, dtype, dim):
    def run(f):
        x, source = _operands(f, dim, dtype)
        return x.index_reduce(dim, f.tensor(INDEX), source, reduce, include_self=include_self)

    agree(*_twice(run, torch))


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gradients_match_pytorch(torch, reduce, include_self, dtype):
    def run(f):
        x, source = _operands(f, 1, dtype, requires_grad=True)
        out = x.index_reduce(1, f.tensor(INDEX), source, reduce, include_self=include_self)
        upstream = f.tensor(RNG.standard_normal(tuple(out.shape)).astype(dtype))
        return [out.detach().numpy(), *(g.numpy() for g in f.autograd.grad(out, (x, source), upstream))]

    tolerance = {"float64": 1e-12, "float32": 1e-5}[dtype]
    for a, b in zip(*_twice(run, torch), strict=True):
        numpy.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


TIES = numpy.array([[2.0, 1.0, 3.0, 0.0], [0.0, 5.0, 0.0, 2.0]])
SOURCE_TIES = numpy.array([[2.0, 2.0, -1.0], [0.0, 7.0, 0.0]])  # with TIES: ties with self and within the source
INDEX_TIES = numpy.array([0, 0, 1])


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("include_self", [True, False])
def test_gradients_match_pytorch_at_ties_and_zeros(torch, reduce, include_self):
    """Tied extremes share the gradient equally (without the tensor's own slices, a
    left-out element equal to the extreme counts among the ties and gets nothing, as in
    PyTorch); a product's gradient is the product of the others, also at zeros."""
    def run(f, gradient_of):
        x, source = (f.tensor(a, requires_grad=True) for a in (TIES, SOURCE_TIES))
        out = x.index_reduce(1, f.tensor(INDEX_TIES), source, reduce, include_self=include_self)
        return [g.numpy() for g in gradient_of(out, [x, source], f.tensor(numpy.arange(1.0, 9.0).reshape(2, 4)))]

    ours = run(tg, lambda out, inputs, upstream: grad(out, inputs, upstream))
    theirs = run(torch, lambda out, inputs, upstream: torch.autograd.grad(out, inputs, upstream))
    for a, b in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("reduce, sample", [("prod", "zeros"), ("mean", "normal"), ("amax", "distinct"),
                                            ("amin", "distinct")])
@pytest.mark.parametrize("include_self", [True, False])
def test_gradcheck_with_a_random_upstream_gradient(reduce, sample, include_self):
    x, source = (RNG.standard_normal(shape) for shape in SHAPES[0])
    if sample == "zeros":
        x.reshape(-1)[::4], source.reshape(-1)[::3] = 0.0, 0.0
    if sample == "distinct":  # no ties: the extremes are differentiable
        values = RNG.permutation(x.size + source.size) * 0.1
        x, source = values[:x.size].reshape(x.shape), values[x.size:].reshape(source.shape)
    upstream = tg.tensor(RNG.standard_normal(x.shape))
    index = tg.tensor(INDEX)
    assert gradcheck(lambda a, s: a.index_reduce(0, index, s, reduce, include_self=include_self) * upstream,
                     [tg.tensor(x, requires_grad=True), tg.tensor(source, requires_grad=True)])


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_nan_spreads_to_its_place_as_in_pytorch(torch, agree, reduce):
    def run(f):
        x, source = _operands(f, 0, "float32")
        return x.index_reduce(0, f.tensor(INDEX), source.index_fill(0, f.tensor([1]), float("nan")), reduce)

    agree(*_twice(run, torch))


@pytest.mark.parametrize("include_self", [True, False])
def test_in_place_and_function_forms_are_pytorchs(torch, include_self):
    def run(f):
        x, source = _operands(f, -1, "float64")
        h = x * 1.0
        h.index_reduce_(-1, f.tensor(INDEX), source, "amax", include_self=include_self)
        y = f.index_reduce(x, -1, f.tensor(INDEX), source, "mean", include_self=include_self)
        return h.numpy(), y.numpy()

    for a, b in zip(*_twice(run, torch), strict=True):
        numpy.testing.assert_allclose(a, b, rtol=1e-12)


def test_in_place_records_the_change_for_gradients(torch):
    def run(f):
        x, source = _operands(f, 1, "float64", requires_grad=True)
        h = x * 2.0
        h.index_reduce_(1, f.tensor(INDEX), source, "prod")
        (h * h).sum().backward()
        return x.grad.numpy(), source.grad.numpy()

    for a, b in zip(*_twice(run, torch), strict=True):
        numpy.testing.assert_allclose(a, b, rtol=1e-12)


ERRORS = {
    "reduce": (lambda f, x, i, s: x.index_reduce(1, i, s, "sum"), "reduce to be one of prod, mean, amax or amin "
                                                                  "but got 'sum'"),
    "dtype": (lambda f, x, i, s: x.index_reduce(1, i, s.float(), "prod"), "source of the tensor's dtype float64, "
                                                                          "got float32"),
    "index a matrix": (lambda f, x, i, s: x.index_reduce(1, i.reshape(1, -1), s, "amax"), r"a vector, but got "
                                                                                          r"shape \(1, 5\)"),
    "index range": (lambda f, x, i, s: x.index_reduce(1, i + 2, s, "amax"), r"an index in .* is out of range for "
                                                                            "dim 1 of length 4"),
    "index dtype": (lambda f, x, i, s: x.index_reduce(1, i.float(), s, "mean"), "an integer index, got dtype "
                                                                                "float32"),
    "index length": (lambda f, x, i, s: x.index_reduce(1, i[:4], s, "mean"), r"got index \(4,\), source "
                                                                             r"\(2, 5, 3\)"),
    "source shape": (lambda f, x, i, s: x.index_reduce(1, i, s[:1], "mean"), r"source of shape \(2, 4, 3\) but "
                                                                             "for its length along dim 1"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]

    def operands(f):
        x, source = _operands(f, 1, "float64")
        return x, f.tensor(INDEX), source

    raises_like_torch(lambda: call(tg, *operands(tg)), lambda: call(torch, *operands(torch)), words)
