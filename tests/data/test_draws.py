"""PyTorch's randint and multinomial drawn from its CPU stream: the same numbers as
PyTorch's for the same seed, and the stream left where PyTorch leaves it."""

import numpy
import pytest

from tinygrad_bn import mersenne
from tinygrad_bn.data import draws
from tinygrad_bn.errors import ArgumentError


def weights(n, zeros=0, seed=0):
    """n positive weights spread over three orders of magnitude, the first ``zeros`` set to 0."""
    values = 10 ** numpy.random.default_rng(seed).uniform(-1, 2, n)
    values[:zeros] = 0.0
    return values


def next_words(bits_or_generator, torch):
    """The next three draws of a stream, to see where a draw left it."""
    if isinstance(bits_or_generator, torch.Generator):
        return torch.randint(1000, (3,), generator=bits_or_generator).tolist()
    return (bits_or_generator.random_raw(3) % 1000).tolist()


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize(
    "n, count", [(1, 4), (7, 40), (1000, 33), (2**28 - 1, 10), (2**28, 10), (2**31 + 5, 10), (2**40 + 3, 5)]
)
def test_randint_is_pytorchs(torch, n, count, seed):
    theirs = torch.Generator().manual_seed(seed)
    bits = mersenne.mt19937(seed)
    assert draws.randint(bits, n, count).tolist() == torch.randint(n, (count,), generator=theirs).tolist()
    assert next_words(bits, torch) == next_words(theirs, torch)


@pytest.mark.parametrize("seed", [0, 3, 11])
@pytest.mark.parametrize(
    "n, zeros, count, replacement",
    [(1, 0, 5, True), (6, 0, 1, True), (6, 2, 2, True), (50, 10, 500, True),
     (1, 0, 1, False), (6, 0, 6, False), (6, 2, 4, False), (50, 10, 17, False)],
)
def test_multinomial_is_pytorchs(torch, n, zeros, count, replacement, seed):
    w = weights(n, zeros, seed)
    theirs = torch.Generator().manual_seed(seed)
    bits = mersenne.mt19937(seed)
    expected = torch.multinomial(torch.from_numpy(w), count, replacement, generator=theirs).tolist()
    assert draws.multinomial(bits, w, count, replacement).tolist() == expected
    assert next_words(bits, torch) == next_words(theirs, torch)


@pytest.mark.parametrize(
    "w, count, replacement, words",
    [([1.0, -0.5], 2, True, "finite and non-negative, got -0.5 at index 1"),
     ([numpy.inf, 1.0], 2, True, "finite and non-negative, got inf at index 0"),
     ([1.0, numpy.nan], 1, False, "finite and non-negative, got nan at index 1"),
     ([0.0, 0.0], 3, True, "positive sum"),
     ([0.0, 0.0], 1, False, "positive sum"),
     ([], 2, True, "positive sum"),
     ([1.0, 2.0], 3, False, "cannot draw 3 samples without replacement from 2 weights")],
)
def test_multinomial_refuses_what_pytorch_refuses(torch, w, count, replacement, words):
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(w, dtype=torch.float64), count, replacement)
    with pytest.raises(ArgumentError, match=words):
        draws.multinomial(mersenne.mt19937(0), numpy.array(w, dtype=numpy.float64), count, replacement)
