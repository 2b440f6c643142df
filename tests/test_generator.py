"""tinygrad_bn.Generator: a seeded generator of one's own draws the same numbers
for the same seed, apart from the default generator that manual_seed seeds; every
random source takes one as ``generator=``."""

from __future__ import annotations

import pytest

import tinygrad_bn as tg
from tinygrad_bn.utils.data import DataLoader, TensorDataset, random_split

DRAWS = {
    "randn": lambda g: tg.randn(2, 3, generator=g),
    "rand": lambda g: tg.rand(4, generator=g),
    "randint": lambda g: tg.randint(0, 100, (5,), generator=g),
    "randperm": lambda g: tg.randperm(7, generator=g),
    "normal_": lambda g: tg.zeros(3).normal_(0.0, 2.0, generator=g),
    "uniform_": lambda g: tg.zeros(3).uniform_(-1.0, 1.0, generator=g),
    "DataLoader": lambda g: tg.cat([x for (x,) in DataLoader(TensorDataset(tg.arange(9)), batch_size=4,
                                                             shuffle=True, generator=g)]),
    "random_split": lambda g: tg.tensor(random_split(range(9), [5, 4], generator=g)[0].indices),
}


@pytest.mark.parametrize("draw", DRAWS.values(), ids=DRAWS)
def test_the_same_seed_draws_the_same_numbers_and_leaves_the_default_generator_alone(draw):
    tg.manual_seed(3)
    expected_default = tg.randn(4)
    tg.manual_seed(3)
    first = draw(tg.Generator().manual_seed(11))
    assert tg.equal(tg.randn(4), expected_default)
    assert tg.equal(first, draw(tg.Generator().manual_seed(11)))
    assert not tg.equal(first, draw(tg.Generator().manual_seed(12)))


def test_manual_seed_seeds_the_default_generator_and_returns_it():
    generator = tg.manual_seed(5)
    assert generator is tg.default_generator and generator.initial_seed() == 5
    first = tg.randn(3)
    tg.manual_seed(5)
    assert tg.equal(first, tg.randn(3))


def test_state_round_trip_repeats_the_draws():
    generator = tg.Generator().manual_seed(2)
    state = generator.get_state()
    first = tg.rand(5, generator=generator)
    generator.set_state(state)
    assert tg.equal(first, tg.rand(5, generator=generator))


@pytest.mark.parametrize("call, words", [
    (lambda: tg.randn(2, generator=0), "generator must be a tinygrad_bn.Generator, got int"),
    (lambda: tg.Generator().manual_seed(1.5), "manual_seed expects an int, got float"),
    (lambda: DataLoader(TensorDataset(tg.arange(3)), seed=1, generator=tg.Generator()), "both a generator and a seed"),
])
def test_wrong_generators_and_seeds_are_refused(call, words):
    with pytest.raises(TypeError, match=words):
        call()
