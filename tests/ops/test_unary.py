"""expm1, log2 and log10 at ±0, ±∞, NaN and below their domains (values and gradients
against PyTorch), small arguments, and their dtypes."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor

EDGES = numpy.array([-numpy.inf, -1.0, -0.0, 0.0, 1e-300, 1e-20, 0.5, 8.0, 1e300, numpy.inf, numpy.nan])


@pytest.mark.filterwarnings("ignore:invalid value encountered", "ignore:divide by zero encountered",
                            "ignore:overflow encountered")
@pytest.mark.parametrize("name", ["expm1", "log2", "log10"])
def test_edges_give_pytorchs_values_and_gradients(matches_torch, name):
    matches_torch(lambda x: getattr(x, name)(), EDGES)


def test_expm1_keeps_the_digits_of_small_arguments():
    x = numpy.array([1e-20, -3e-12, 1e-5])
    numpy.testing.assert_allclose(Tensor(x).expm1().numpy(), x + x**2 / 2 + x**3 / 6, rtol=1e-15)


@pytest.mark.parametrize("name", ["expm1", "log2", "log10"])
@pytest.mark.parametrize("dtype", ["int64", "bool", "float16", "float32"])
def test_integers_compute_in_the_default_float_dtype_as_in_pytorch(matches_torch, name, dtype):
    matches_torch(lambda x: getattr(x, name)(), numpy.array([1, 2, 8]).astype(dtype), rtol=1e-3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_keeps_its_relative_precision_far_below_zero(dtype):
    """σ(x) ≈ eˣ for x ≪ 0: a (1 + tanh(x/2))/2 form gives 0 in float32 from about x = −17."""
    x = numpy.array([-80.0, -30.0, -17.0, -5.0, 0.0, 5.0, 30.0])
    exact = numpy.exp(-numpy.logaddexp(0.0, -x))  # 1/(1 + e⁻ˣ), in float64
    tolerance = 16 * float(numpy.finfo(dtype).eps)  # a few roundings of exp and of the reference
    numpy.testing.assert_allclose(Tensor(x.astype(dtype)).sigmoid().numpy(), exact, rtol=tolerance)
    assert Tensor(x[1].astype(dtype)).sigmoid().item() == pytest.approx(exact[1], rel=tolerance)  # 0-d
