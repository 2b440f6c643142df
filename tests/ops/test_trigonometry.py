"""Trigonometric and hyperbolic functions, sinc, atan2 and hypot at the ends of their
domains, at ±0, ±∞ and NaN (values and gradients against PyTorch), and their dtypes."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor

EDGES = numpy.array([-numpy.inf, -1.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 1.5, numpy.inf, numpy.nan])
UNARY = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "sinc"]


@pytest.mark.filterwarnings("ignore:invalid value encountered", "ignore:divide by zero encountered",
                            "ignore:overflow encountered")
@pytest.mark.parametrize("name", UNARY)
def test_edges_of_the_domain_give_pytorchs_values_and_gradients(matches_torch, name):
    matches_torch(lambda x: getattr(x, name)(), EDGES)


@pytest.mark.filterwarnings("ignore:invalid value encountered", "ignore:divide by zero encountered")
@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype, expected", [("int64", "float32"), ("int32", "float32"), ("bool", "float32"),
                                             ("float16", "float16")])
def test_integers_compute_in_the_default_float_dtype_as_in_pytorch(matches_torch, name, dtype, expected):
    matches_torch(lambda x: getattr(x, name)(), numpy.array([0, 1, 1]).astype(dtype), rtol=1e-3)
    assert getattr(Tensor(numpy.array([0, 1]).astype(dtype)), name)().dtype == expected


SIGNED = numpy.array([-numpy.inf, -2.0, -0.0, 0.0, 3.0, numpy.inf, numpy.nan])
PAIRS = numpy.array(numpy.meshgrid(SIGNED, SIGNED)).reshape(2, -1)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
@pytest.mark.parametrize("name", ["atan2", "hypot"])
def test_two_input_functions_at_zeros_and_infinities_match_pytorch(matches_torch, name):
    matches_torch(lambda a, b: getattr(a, name)(b), *PAIRS, gradients=False)
    values = getattr(Tensor(PAIRS[0]), name)(Tensor(PAIRS[1])).numpy()
    numpy.testing.assert_array_equal(numpy.signbit(values), numpy.signbit(getattr(numpy, "arctan2" if name == "atan2"
                                                                                  else name)(*PAIRS)))


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # hypot's 0/0
@pytest.mark.parametrize("a, b", [(0.0, 0.0), (-0.0, 0.0), (0.0, -0.0), (3.0, -4.0), (-1e-300, 2e-300)])
@pytest.mark.parametrize("name", ["atan2", "hypot"])
def test_gradients_at_and_near_the_origin_are_pytorchs(matches_torch, name, a, b):
    """atan2's is 0 at the origin (PyTorch's choice), hypot's NaN (0/0)."""
    matches_torch(lambda x, y: getattr(x, name)(y), numpy.array([a]), numpy.array([b]))


def test_functions_and_aliases_are_pytorchs_names():
    x, y = Tensor([0.5]), Tensor([2.0])
    assert tg.arcsin(x).tolist() == tg.asin(x).tolist() == x.arcsin().tolist()
    assert tg.arctan2(x, y).tolist() == tg.atan2(x, y).tolist() == x.arctan2(y).tolist()
    assert tg.hypot(x, y).tolist() == x.hypot(y).tolist()
