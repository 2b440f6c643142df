"""fmod and frac: values with either sign, ±∞ and NaN, integers, division by zero, and
their gradients against PyTorch."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor

INF, NAN = numpy.inf, numpy.nan


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_fmod_takes_the_sign_of_the_dividend_as_pytorch(matches_torch):
    a = numpy.array([-3.5, 3.5, -7.0, 7.0, 5.0, INF, 2.0, NAN, 1.0])
    b = numpy.array([2.0, -2.0, 3.0, -3.0, INF, 2.0, 0.0, 1.0, NAN])
    matches_torch(lambda x, y: x.fmod(y), a, b, gradients=False)
    matches_torch(lambda x, y: x.fmod(y), a[:4], b[:4])  # ∂/∂b = −trunc(a/b)
    matches_torch(lambda x: x.fmod(-1.5), a[:4])


def test_fmod_of_integers_stays_integer_and_refuses_zero(matches_torch):
    matches_torch(lambda x, y: x.fmod(y), numpy.array([-7, 7, -7]), numpy.array([2, -2, 3]))
    matches_torch(lambda x: x.fmod(2.5), numpy.array([-7, 7]))  # a float divisor: the default float dtype
    with pytest.raises(ZeroDivisionError, match="fmod: integer division by zero"):
        Tensor([1, 2]).fmod(0)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_frac_keeps_the_sign_and_passes_the_gradient(matches_torch, dtype):
    matches_torch(lambda x: x.frac(), numpy.array([-2.75, 2.25, -0.0, 3.0, INF, -INF, NAN]).astype(dtype))


def test_frac_of_an_integer_tensor_is_refused_as_in_pytorch():
    with pytest.raises(RuntimeError, match="frac expects a floating-point tensor, got int64"):
        Tensor([1, 2]).frac()
