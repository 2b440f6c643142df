"""Constraints against PyTorch's: printed forms, event_dim, is_discrete and check()."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.distributions import constraints

NAN, INF = float("nan"), float("inf")
NUMBERS = numpy.array([-INF, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, INF, NAN])
VECTORS = numpy.array([[0.25, 0.75, 0.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [-0.5, 1.0, 0.5], [0.0, 1.0, 1.0],
                       [NAN, 1.0, 0.0], [1.0 / 3, 1.0 / 3, 1.0 / 3]])
SYMMETRIC = numpy.array([[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]],
                      [[1.0, 1e-7], [1e-7, 1.0]], [[1.0, 0.0], [0.0, 1e-30]], [[-1.0, 0.0], [0.0, -1.0]]])
MATRICES = numpy.concatenate([SYMMETRIC, [[[1.0, 0.0], [0.5, 1.0]], [[1.0, 0.5], [0.0, 1.0]],
                                          [[2.0, 0.0], [-1.0, -0.5]], [[NAN, 0.0], [0.0, 1.0]],
                                          [[INF, 0.0], [0.0, 1.0]], [[1.0, 1e-5], [0.0, 1.0]]]])
# name -> (ours, maker of PyTorch's from torch.distributions.constraints, values)
CONSTRAINTS = {
    "real": (constraints.real, lambda c: c.real, NUMBERS),
    "positive": (constraints.positive, lambda c: c.positive, NUMBERS),
    "nonnegative": (constraints.nonnegative, lambda c: c.nonnegative, NUMBERS),
    "unit_interval": (constraints.unit_interval, lambda c: c.unit_interval, NUMBERS),
    "boolean": (constraints.boolean, lambda c: c.boolean, NUMBERS),
    "greater_than": (constraints.greater_than(0.5), lambda c: c.greater_than(0.5), NUMBERS),
    "greater_than_eq": (constraints.greater_than_eq(0.5), lambda c: c.greater_than_eq(0.5), NUMBERS),
    "less_than": (constraints.less_than(1.0), lambda c: c.less_than(1.0), NUMBERS),
    "interval": (constraints.interval(-1, 2), lambda c: c.interval(-1, 2), NUMBERS),
    "integer_interval": (constraints.integer_interval(0, 2), lambda c: c.integer_interval(0, 2), NUMBERS),
    "simplex": (constraints.simplex, lambda c: c.simplex, VECTORS),
    "one_hot": (constraints.one_hot, lambda c: c.one_hot, VECTORS),
    "independent": (constraints.independent(constraints.positive, 1), lambda c: c.independent(c.positive, 1),
                    VECTORS),
    "independent of 2": (constraints.independent(constraints.real, 2), lambda c: c.independent(c.real, 2),
                         VECTORS),
    "real_vector": (constraints.real_vector, lambda c: c.real_vector, VECTORS),
    "square": (constraints.square, lambda c: c.square, MATRICES),
    "non-square": (constraints.square, lambda c: c.square, VECTORS[None]),
    "symmetric": (constraints.symmetric, lambda c: c.symmetric, MATRICES),
    "lower_triangular": (constraints.lower_triangular, lambda c: c.lower_triangular, MATRICES),
    "lower_cholesky": (constraints.lower_cholesky, lambda c: c.lower_cholesky, MATRICES),
    # PyTorch's answers only "symmetric?" for every matrix of a batch holding a matrix that is not: see below
    "positive_definite": (constraints.positive_definite, lambda c: c.positive_definite, SYMMETRIC),
}


@pytest.mark.parametrize("name", CONSTRAINTS)
def test_matches_pytorch(torch, name):
    ours, make, values = CONSTRAINTS[name]
    theirs = make(torch.distributions.constraints)
    assert repr(ours) == repr(theirs)
    assert (ours.event_dim, ours.is_discrete) == (theirs.event_dim, theirs.is_discrete)
    expected = theirs.check(torch.from_numpy(values)).numpy()
    result = ours.check(tg.tensor(values)).numpy()
    assert result.dtype == bool and result.tolist() == expected.tolist()


def test_bounds_may_be_tensors_and_print_as_numbers_when_0_d():
    low, high = tg.tensor(0.0), tg.tensor([1.0, 3.0])
    assert repr(constraints.interval(low, 2.0)) == "Interval(lower_bound=0.0, upper_bound=2.0)"
    assert constraints.interval(low, high).check(tg.tensor([0.5, 2.0])).tolist() == [True, True]
    assert constraints.less_than(high).check(tg.tensor([[1.0, 2.0]])).tolist() == [[False, True]]


def test_independent_wants_enough_axes():
    with pytest.raises(ValueError, match=r"IndependentConstraint\(Real\(\), 2\) expects a value of at least 2 "
                                         r"dimensions, got shape \(3,\)"):
        constraints.independent(constraints.real, 2).check(tg.zeros(3))


def test_positive_definite_answers_for_each_matrix_of_a_batch():
    # PyTorch's answers True for [[1, 0], [0, 0]] and [[∞, 0], [0, 1]] next to a matrix that is not symmetric
    result = constraints.positive_definite.check(tg.tensor(MATRICES)).tolist()
    assert result == [True, False, False, True, True, False, False, False, False, False, False, False]
    not_square = constraints.positive_definite.check(tg.ones(2, 3))
    assert not_square.shape == () and not not_square.item()
