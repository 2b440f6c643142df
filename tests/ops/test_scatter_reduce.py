"""scatter_reduce: PyTorch's values for every reduction with and without the tensor's
own elements, integers (whose mean rounds down) included, NaN spreading, and
PyTorch's gradients where ties share them (amax, amin) and zeros meet (prod).
(Finite-difference gradients: the op cases in conftest.py.)"""

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import grad

REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"]
X = numpy.array([[1.0, -2.0, 3.0, 0.5], [4.0, 0.0, -1.0, 2.0], [2.0, 2.0, -3.0, 1.0]])
INDEX = numpy.array([[0, 2, 0, 1, 2], [3, 3, 3, 0, 1]])  # along dim 1: columns repeated, column 1 of row 0 once
SRC = numpy.array([[5.0, -2.0, 7.0, 2.0, 9.0], [0.5, 4.0, -6.0, 2.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0]])


def operands(f, dtype="float64", requires_grad=False):
    x, src = (f.tensor(a.astype(dtype), requires_grad=requires_grad) for a in (X, SRC))
    return x, f.tensor(INDEX), src


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("dim", [0, 1])
def test_values_match_pytorch(torch, agree, reduce, include_self, dtype, dim):
    if dim == 0:  # a (2, 3) index into the rows: below the tensor and the source off dim 0
        call = lambda x, i, s: x.scatter_reduce(0, i[:, :3] % 3, s, reduce, include_self=include_self)  # noqa: E731
    else:
        call = lambda x, i, s: x.scatter_reduce(-1, i, s, reduce, include_self=include_self)  # noqa: E731
    agree(call(*operands(tg, dtype)), call(*operands(torch, dtype)))


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_nan_spreads_to_its_place_as_in_pytorch(torch, agree, reduce):
    def call(f):
        x, index, src = operands(f)
        return x.scatter_reduce(1, index, src.masked_fill(src == 9.0, float("nan")), reduce)

    agree(call(tg), call(torch))


TIES = numpy.array([[2.0, 1.0, 3.0, 0.0], [0.0, 5.0, 0.0, 2.0]])  # with SRC_TIES: ties with self, within src
INDEX_TIES = numpy.array([[0, 0, 1, 3], [2, 2, 2, 3]])
SRC_TIES = numpy.array([[2.0, 2.0, -1.0, 0.0], [0.0, 7.0, 0.0, 2.0]])


def _gradients(f, gradient_of, reduce, include_self):
    """The gradients of x and src through scatter_reduce at TIES, in framework ``f``."""
    x, src = (f.tensor(a, requires_grad=True) for a in (TIES, SRC_TIES))
    out = x.scatter_reduce(1, f.tensor(INDEX_TIES), src, reduce, include_self=include_self)
    upstream = f.tensor(numpy.arange(1.0, 9.0).reshape(2, 4))
    return [g.numpy() for g in gradient_of(out, [x, src], upstream)]


@pytest.mark.parametrize("reduce, include_self", [(reduce, include_self) for reduce in REDUCTIONS
                                                  for include_self in (True, False)
                                                  if include_self or reduce not in ("amax", "amin")])
def test_gradients_match_pytorch_at_ties_and_zeros(torch, reduce, include_self):
    """Tied extremes share the gradient equally; a product's gradient is the product of
    the others, also where one or two of its factors are 0."""
    ours = _gradients(tg, lambda out, inputs, upstream: grad(out, inputs, upstream), reduce, include_self)
    theirs = _gradients(torch, lambda out, inputs, upstream: torch.autograd.grad(out, inputs, upstream), reduce,
                        include_self)
    for a, b in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("reduce, src_row_1", [("amax", [0.0, 7.0, 0.0, 8.0]), ("amin", [3.5, 0.0, 3.5, 8.0])])
def test_without_self_ties_are_shared_among_the_reduced_elements_only(reduce, src_row_1):
    """Without the tensor's own elements, the elements of src tied at an extreme share
    its whole gradient. (PyTorch 2.13 counts the tensor's element among the ties even
    though it is left out, so the gradient it gives sums to less than the upstream one.)"""
    dx, dsrc = _gradients(tg, lambda out, inputs, upstream: grad(out, inputs, upstream), reduce, False)
    # upstream 1 … 8; x keeps only its elements nothing is scattered onto: (0, 2), (1, 0), (1, 1)
    numpy.testing.assert_array_equal(dx, [[0.0, 0.0, 3.0, 0.0], [5.0, 6.0, 0.0, 0.0]])
    # row 0: 2 and 2 tie at place 0 (1 between them), -1 alone at place 1 (2), 0 alone at place 3 (4)
    numpy.testing.assert_array_equal(dsrc, [[0.5, 0.5, 2.0, 4.0], src_row_1])


ERRORS = {
    "reduce": (lambda f, x, i, s: x.scatter_reduce(1, i, s, "max2"), "reduce one of sum, prod, mean, amax, amin, "
                                                                     "got 'max2'"),
    "dtype": (lambda f, x, i, s: x.scatter_reduce(1, i, s.float(), "sum"), "source of the tensor's dtype float64, "
                                                                           "got float32"),
    "index dims": (lambda f, x, i, s: x.scatter_reduce(1, i[0], s, "sum"), r"an index of 2 dimensions .*got shape "
                                                                           r"\(5,\)"),
    "index range": (lambda f, x, i, s: x.scatter_reduce(1, i + 2, s, "amax"), r"an index in .* is out of range for "
                                                                              "dim 1 of length 4"),
    "index dtype": (lambda f, x, i, s: x.scatter_reduce(1, i.float(), s, "sum"), "an integer index, got dtype "
                                                                                 "float32"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg, *operands(tg)), lambda: call(torch, *operands(torch)), words)



@pytest.mark.parametrize("reduce", ["add", "multiply"])
@pytest.mark.parametrize("source", ["number", "tensor"])
@pytest.mark.parametrize("in_place", [False, True])
def test_scatter_with_reduce_is_pytorchs(torch, reduce, source, in_place):
    results = []
    for framework in (tg, torch):
        x = framework.tensor(numpy.arange(1.0, 7.0, dtype=numpy.float32).reshape(2, 3))
        index = framework.tensor([[0, 0], [2, 1]])
        src = 5.0 if source == "number" else framework.tensor([[2.0, 3.0], [4.0, 5.0]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a Tensor source is deprecated (PyTorch warns once a process)
            out = x.scatter_(1, index, src, reduce=reduce) if in_place else x.scatter(1, index, src, reduce=reduce)
        results.append((out.tolist(), x.tolist()))
    assert results[0] == results[1]


def test_scatter_with_reduce_and_a_tensor_source_says_it_is_deprecated():
    with pytest.warns(UserWarning, match="deprecated, as in PyTorch; use scatter_reduce"):
        tg.zeros(2, 3).scatter(1, tg.tensor([[0], [1]]), tg.ones(2, 1), reduce="add")


def test_scatter_with_another_reduce_is_refused_as_in_pytorch(torch):
    for framework in (tg, torch):
        with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
            framework.zeros(2, 3).scatter(1, framework.tensor([[0], [1]]), 1.0, reduce="mean")
