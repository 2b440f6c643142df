"""argwhere and combinations (ops/index_sets.py) against PyTorch and itertools: every r,
with and without replacement, empty inputs, integer dtypes and wrong arguments."""

import itertools

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck


@pytest.mark.parametrize("x", [numpy.array([[0.0, 2.0, 0.0], [3.0, 0.0, -1.0]]), numpy.array([True, False, True]),
                               numpy.zeros((2, 0)), numpy.array(1.5), numpy.array(0), numpy.zeros((2, 2, 2))],
                         ids=["matrix", "bool", "empty", "0-d", "0-d zero", "all zero"])
def test_argwhere_is_pytorchs(torch, agree, x):
    agree(tg.argwhere(tg.tensor(x)), torch.argwhere(torch.tensor(x)))
    agree(tg.tensor(x).argwhere(), torch.tensor(x).argwhere())


@pytest.mark.parametrize("r", [0, 1, 2, 3, 5, 6])
@pytest.mark.parametrize("with_replacement", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_combinations_are_pytorchs(torch, agree, r, with_replacement, dtype):
    x = numpy.array([0.5, -1.0, 2.0, 3.5, -0.25]).astype(dtype)
    agree(tg.combinations(tg.tensor(x), r, with_replacement),
          torch.combinations(torch.tensor(x), r=r, with_replacement=with_replacement))


@pytest.mark.parametrize("with_replacement", [False, True])
def test_combinations_are_itertools(with_replacement):
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    x = [1.0, 2.0, 4.0, 8.0]
    got = tg.combinations(tg.tensor(x), r=3, with_replacement=with_replacement)
    assert got.tolist() == [list(row) for row in choose(x, 3)]


def test_combinations_of_nothing_are_pytorchs(torch, agree):
    agree(tg.combinations(tg.zeros(0)), torch.combinations(torch.zeros(0)))
    agree(tg.combinations(tg.zeros(1), with_replacement=True), torch.combinations(torch.zeros(1),
                                                                                  with_replacement=True))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_combination_gradients_are_pytorchs(torch, dtype):
    """Each element's gradient sums the upstream over the rows it appears in."""
    x = numpy.array([0.5, -1.0, 2.0, 3.5]).astype(dtype)
    upstream = numpy.random.default_rng(0).standard_normal((10, 2)).astype(dtype)

    def gradient(framework):
        t = framework.tensor(x, requires_grad=True)
        framework.combinations(t, with_replacement=True).backward(framework.tensor(upstream))
        return t.grad.numpy()

    numpy.testing.assert_allclose(gradient(tg), gradient(torch), rtol=1e-6)


def test_combination_gradcheck():
    weights = tg.tensor(numpy.random.default_rng(3).standard_normal((4, 3)))
    x = tg.tensor(numpy.random.default_rng(4).standard_normal(4), requires_grad=True)
    assert gradcheck(lambda x: tg.combinations(x, 3) * weights, (x,))


@pytest.mark.parametrize(("call", "words"), [
    (lambda f: f.combinations(f.ones(2, 2)), "expects a 1-d tensor, got shape"),
    (lambda f: f.combinations(f.ones(3), r=-1), "expects r ≥ 0, got -1"),
])
def test_combination_errors_are_pytorchs(torch, raises_like_torch, call, words):
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)
