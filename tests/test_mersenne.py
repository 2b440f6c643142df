"""PyTorch's CPU random stream: permutations and 64-bit seeds drawn as PyTorch draws them."""

import numpy
import pytest

from tinygrad_bn.mersenne import mt19937, randperm, seed64

SEEDS = [0, 1, 12345, 2**32 + 7, 2**62 + 1]  # PyTorch seeds MT19937 with the low 32 bits


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [0, 1, 2, 10, 1500])
def test_randperm_is_pytorchs(torch, seed, n):
    expected = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
    numpy.testing.assert_array_equal(randperm(mt19937(seed), n), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_stream_of_seeds_and_permutations_is_pytorchs(torch, seed):
    generator = torch.Generator().manual_seed(seed)
    expected = [torch.empty((), dtype=torch.int64).random_(generator=generator).item(),
                torch.randperm(50, generator=generator).tolist(),
                torch.empty((), dtype=torch.int64).random_(generator=generator).item()]
    bits = mt19937(seed)
    assert [seed64(bits), randperm(bits, 50).tolist(), seed64(bits)] == expected


@pytest.mark.parametrize("n", [1, 7, 300])
def test_randperm_is_a_permutation_and_the_seed_decides_it(n):
    first = randperm(mt19937(3), n)
    assert sorted(first.tolist()) == list(range(n)) and first.dtype == numpy.int64
    numpy.testing.assert_array_equal(randperm(mt19937(3), n), first)
    assert n < 7 or not numpy.array_equal(randperm(mt19937(4), n), first)
