"""Factories: default dtypes, shapes given either way, seeded randomness."""

import numpy
import pytest

import tinygrad_bn as tg


@pytest.mark.parametrize("factory", [tg.zeros, tg.ones, tg.randn, tg.rand])
def test_factories_default_to_float32_and_accept_shapes_either_way(factory):
    assert factory(2, 3).shape == factory((2, 3)).shape == (2, 3)
    assert factory(2).dtype == "float32"
    assert factory(2, dtype="float64", requires_grad=True).requires_grad


def test_constant_factories():
    assert tg.zeros(2).tolist() == [0.0, 0.0]
    assert tg.ones(2, dtype="float64").dtype == "float64"
    assert tg.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert tg.arange(3).tolist() == [0, 1, 2] and tg.arange(3).dtype == "int64"
    like = tg.randn(2, 3, dtype="float64")
    assert tg.zeros_like(like).dtype == "float64" and tg.ones_like(like).shape == (2, 3)


def test_manual_seed_makes_random_tensors_reproducible():
    tg.manual_seed(7)
    first = tg.randn(4).numpy()
    tg.manual_seed(7)
    numpy.testing.assert_array_equal(tg.randn(4).numpy(), first)
    assert not numpy.array_equal(tg.randn(4).numpy(), first)


def test_rand_is_uniform_in_the_unit_interval():
    values = tg.rand(1000).numpy()
    assert values.min() >= 0.0 and values.max() < 1.0
    assert 0.4 < values.mean() < 0.6
