"""The random state, as PyTorch's ``torch.get_rng_state`` / ``set_rng_state``, ``seed``,
``initial_seed``, ``Generator.get_state`` / ``set_state`` and ``torch.random.fork_rng``:
a state taken before any kind of draw brings that draw back, whatever was drawn since
(from either of the generator's streams); a tensor that is not such a state is refused."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.utils.data import DataLoader, TensorDataset

DRAWS = {
    "rand": lambda: tg.rand(4),
    "randn": lambda: tg.randn(2, 3),
    "randint": lambda: tg.randint(0, 1000, (6,)),
    "randperm": lambda: tg.randperm(9),
    "multinomial": lambda: tg.multinomial(tg.tensor([0.1, 0.2, 0.3, 0.4]), 6, replacement=True),
    "normal_": lambda: tg.zeros(5).normal_(0.0, 2.0),
    "bernoulli": lambda: tg.bernoulli(tg.full((8,), 0.5)),
    "dropout": lambda: tg.nn.Dropout(0.5)(tg.ones(32)),
    "weight init": lambda: tg.nn.Linear(4, 3).weight.detach(),
    "DataLoader shuffle": lambda: tg.cat([x for (x,) in DataLoader(TensorDataset(tg.arange(12)), batch_size=5,
                                                                   shuffle=True)]),
}


def _draw_from_both_streams():
    """Move both streams on: numbers (NumPy's) and orders (PyTorch's MT19937)."""
    tg.randn(7)
    tg.randperm(11)


@pytest.mark.parametrize("draw", DRAWS.values(), ids=DRAWS)
def test_restoring_the_state_repeats_every_kind_of_draw(draw):
    tg.manual_seed(4)
    state = tg.get_rng_state()
    first = draw()
    _draw_from_both_streams()
    assert not tg.equal(draw(), first)  # the draw does change as the generator moves on
    tg.set_rng_state(state)
    assert tg.equal(draw(), first)


def test_a_state_brings_back_numbers_and_orders_together():
    tg.manual_seed(0)
    state = tg.get_rng_state()
    a, order = tg.randn(3), tg.randperm(5)
    tg.set_rng_state(state)
    assert tg.equal(tg.randn(3), a) and tg.equal(tg.randperm(5), order)


def test_a_generator_state_moves_to_another_generator_and_leaves_the_default_alone():
    source = tg.Generator().manual_seed(21)
    tg.randn(3, generator=source)
    tg.randperm(4, generator=source)
    tg.manual_seed(1)
    default_next = tg.randn(3)
    tg.manual_seed(1)
    target = tg.Generator().set_state(source.get_state())
    assert target.initial_seed() == 21
    assert tg.equal(tg.randn(4, generator=target), tg.randn(4, generator=source))
    assert tg.equal(tg.randperm(8, generator=target), tg.randperm(8, generator=source))
    assert tg.equal(tg.randn(3), default_next)


def test_the_state_is_a_fresh_uint8_tensor_and_keeps_the_initial_seed(torch):
    tg.manual_seed(1)
    torch.manual_seed(1)
    state = tg.get_rng_state()
    assert state.dtype == tg.uint8 and state.ndim == 1 and not state.requires_grad
    tg.manual_seed(2)
    torch_state = torch.get_rng_state()
    torch.manual_seed(2)
    tg.set_rng_state(state)
    torch.set_rng_state(torch_state)
    assert tg.initial_seed() == torch.initial_seed() == 1
    assert not tg.equal(tg.get_rng_state(), tg.Generator().manual_seed(2).get_state())


@pytest.mark.parametrize("seed", [0, 123, 2**40 + 7, 2**64 - 1, -1, -2**63])
def test_initial_seed_is_the_seed_given_to_manual_seed(torch, seed):
    tg.manual_seed(seed)
    torch.manual_seed(seed)
    assert tg.initial_seed() == torch.initial_seed() == seed % 2**64  # a negative seed wraps around
    assert tg.Generator().manual_seed(seed).initial_seed() == torch.Generator().manual_seed(seed).initial_seed()
    assert tg.randperm(10).tolist() == torch.randperm(10).tolist()  # the orders stream follows the wrapped seed


def test_seed_returns_the_new_seed_as_an_int_which_repeats_the_draws(torch):
    assert type(torch.seed()) is int
    seed = tg.seed()
    assert type(seed) is int and 0 <= seed < 2**64 and tg.initial_seed() == seed
    drawn = tg.randn(4), tg.randperm(6)
    tg.manual_seed(seed)
    assert tg.equal(tg.randn(4), drawn[0]) and tg.equal(tg.randperm(6), drawn[1])
    assert tg.seed() != seed
    generator = tg.Generator()
    own = generator.seed()
    assert type(own) is int and generator.initial_seed() == own


def test_torch_random_is_a_module_with_pytorchs_names(torch):
    import tinygrad_bn.random

    assert tg.random is tinygrad_bn.random
    for name in ("manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "fork_rng",
                 "default_generator", "Generator"):
        assert hasattr(torch.random, name) and hasattr(tg.random, name), name
    assert tg.random.manual_seed is tg.manual_seed and tg.random.default_generator is tg.default_generator


def test_fork_rng_forgets_what_was_drawn_inside():
    tg.manual_seed(3)
    with tg.random.fork_rng():
        inside = tg.randn(3), tg.randperm(7)
    assert tg.equal(tg.randn(3), inside[0]) and tg.equal(tg.randperm(7), inside[1])


def test_fork_rng_restores_after_an_error_and_as_a_decorator_and_takes_devices():
    tg.manual_seed(3)
    state = tg.get_rng_state()
    with pytest.raises(KeyError), tg.random.fork_rng(devices=[]):
        tg.randn(3)
        raise KeyError("inside")
    assert tg.equal(tg.get_rng_state(), state)

    @tg.random.fork_rng()
    def draw():
        return tg.randn(3)

    assert tg.equal(draw(), draw())
    assert tg.equal(tg.get_rng_state(), state)


def test_fork_rng_disabled_keeps_the_draws():
    tg.manual_seed(3)
    with tg.random.fork_rng(enabled=False):
        inside = tg.randn(3)
    assert not tg.equal(tg.randn(3), inside)


def _flipped(state, position):
    raw = state.numpy().copy()
    raw[position] ^= 1
    return tg.tensor(raw)


@pytest.mark.parametrize("make, error, words", [
    (lambda s: s.tolist(), TypeError, r"expected a random state that .* \(a uint8 Tensor\), got list"),
    (lambda s: s.double(), RuntimeError, r"a uint8 Tensor of shape \(\d+,\)\), got a float64 Tensor"),
    (lambda s: s[:-1], RuntimeError, r"of shape \(\d+,\)\), got a uint8 Tensor of shape \(\d+,\)"),
    (lambda s: s.reshape(1, -1), RuntimeError, r"got a uint8 Tensor of shape \(1, \d+\)"),
    (lambda s: _flipped(s, 0), RuntimeError, "do not check out"),  # the magic word
    (lambda s: _flipped(s, 100), RuntimeError, "do not check out"),  # a byte of a stream
    (lambda s: _flipped(s, -1), RuntimeError, "do not check out"),  # the checksum
])
def test_a_tensor_that_is_not_a_state_is_refused_and_changes_nothing(make, error, words):
    tg.manual_seed(8)
    state = tg.get_rng_state()
    with pytest.raises(error, match=words):
        tg.set_rng_state(make(state))
    assert tg.equal(tg.get_rng_state(), state)


def test_pytorchs_own_state_is_refused(torch):
    with pytest.raises(RuntimeError, match="expected a random state that get_rng_state"):
        tg.set_rng_state(tg.tensor(torch.get_rng_state().numpy()))


@pytest.mark.parametrize("seed", [-2**63 - 1, 2**64])
def test_seeds_outside_64_bits_are_refused_as_pytorch_refuses_them(torch, seed):
    with pytest.raises(ValueError):
        torch.manual_seed(seed)
    with pytest.raises(ValueError, match=r"manual_seed expects a seed in \[-2\*\*63, 2\*\*64\), got"):
        tg.manual_seed(seed)


def test_a_state_survives_a_round_trip_through_numpy_bytes():
    tg.manual_seed(6)
    state = tg.tensor(numpy.frombuffer(tg.get_rng_state().numpy().tobytes(), dtype=numpy.uint8).copy())
    first = tg.rand(3)
    tg.set_rng_state(state)
    assert tg.equal(tg.rand(3), first)
