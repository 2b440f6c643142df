"""PyTorch's randint and multinomial drawn from its CPU stream: the same numbers as
PyTorch's for the same seed, and the stream left where PyTorch leaves it."""

import numpy
import pytest

from tinygrad_bn import Tensor, mersenne
from tinygrad_bn.errors import ArgumentError
from tinygrad_bn.ops import sampling


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
    assert sampling.draw_randint(bits, n, count).tolist() == torch.randint(n, (count,), generator=theirs).tolist()
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
    assert sampling.draw_multinomial(bits, w, count, replacement).tolist() == expected
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
        sampling.draw_multinomial(mersenne.mt19937(0), numpy.array(w, dtype=numpy.float64), count, replacement)


# The Tensor functions -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, count, replacement", [((5,), 7, True), ((5,), 3, False), ((3, 6), 4, True),
                                                        ((3, 6), 6, False), ((4,), 1, True)])
def test_multinomial_draws_pytorchs_indices_after_the_same_seed(torch, shape, count, replacement, dtype):
    import tinygrad_bn as tb

    w = weights(int(numpy.prod(shape)), seed=3).reshape(shape).astype(dtype)
    for seed in (0, 7):
        tb.manual_seed(seed)
        torch.manual_seed(seed)
        ours = tb.multinomial(tb.tensor(w), count, replacement=replacement)
        theirs = torch.multinomial(torch.tensor(w), count, replacement=replacement)
        assert ours.dtype == "int64" and ours.tolist() == theirs.tolist()
        assert tb.tensor(w).multinomial(count, replacement).shape == tuple(theirs.shape)


def test_multinomial_frequencies_follow_the_weights():
    import tinygrad_bn as tb

    tb.manual_seed(0)
    drawn = tb.multinomial(tb.tensor([1.0, 2.0, 7.0]), 20_000, replacement=True).numpy()
    frequencies = numpy.bincount(drawn, minlength=3) / drawn.size
    numpy.testing.assert_allclose(frequencies, [0.1, 0.2, 0.7], atol=0.015)  # σ ≤ 0.0033


@pytest.mark.parametrize("call, error, words", [
    (lambda tb: tb.multinomial(tb.tensor([0.5, -0.1]), 1), ArgumentError, "non-negative"),
    (lambda tb: tb.multinomial(tb.tensor([0.0, 0.0]), 1), ArgumentError, "positive sum"),
    (lambda tb: tb.multinomial(tb.tensor([0.5, 0.5]), 3), ArgumentError, "without replacement"),
    (lambda tb: tb.multinomial(tb.tensor([1, 2]), 1), TypeError, "floating-point"),
    (lambda tb: tb.multinomial(tb.ones(2, 2, 2), 1), ValueError, "(k,) or (m, k)"),
    (lambda tb: tb.multinomial(tb.ones(2), 0), ValueError, "positive number of samples"),
    (lambda tb: tb.bernoulli(tb.tensor([0.5, 1.5])), ValueError, "[0, 1]"),
    (lambda tb: tb.normal(0.0, 1.0), TypeError, "needs a size"),
])
def test_bad_arguments_are_refused_as_pytorch_refuses_them(call, error, words):
    import re

    import tinygrad_bn as tb

    with pytest.raises(error, match=re.escape(words)):
        call(tb)


def test_bernoulli_normal_and_poisson_have_their_moments():
    import tinygrad_bn as tb

    tb.manual_seed(0)
    p = tb.tensor(numpy.linspace(0.1, 0.9, 5)).reshape(5, 1).expand(5, 20_000)
    ones = tb.bernoulli(p)
    assert ones.dtype == p.dtype and set(numpy.unique(ones.numpy())) <= {0.0, 1.0}
    numpy.testing.assert_allclose(ones.numpy().mean(1), numpy.linspace(0.1, 0.9, 5), atol=0.015)
    assert tb.bernoulli(tb.zeros(3), p=1.0).tolist() == [1.0, 1.0, 1.0]
    samples = tb.normal(tb.full((20_000,), 2.0), tb.tensor(0.5))
    assert samples.mean().item() == pytest.approx(2.0, abs=0.02)
    assert samples.std().item() == pytest.approx(0.5, rel=0.03)
    assert tb.normal(1.0, 2.0, size=(2, 3)).shape == (2, 3)
    counts = tb.poisson(tb.full((20_000,), 3.0))
    assert counts.mean().item() == pytest.approx(3.0, abs=0.05) and counts.var().item() == pytest.approx(3.0, rel=0.05)


def test_draws_land_on_the_tensors_device(strict_cuda):
    import tinygrad_bn as tb

    w = tb.tensor([0.2, 0.8], device="cuda")
    for drawn in (tb.multinomial(w, 3, replacement=True), tb.bernoulli(w), tb.normal(w, 1.0), tb.poisson(w)):
        assert drawn.device == "cuda"


def test_poisson_of_a_0d_rate_is_a_0d_tensor_of_its_dtype():
    rate = Tensor(3.0)
    sample = sampling.poisson(rate)
    assert sample.shape == () and sample.dtype == rate.dtype and sample.item() >= 0
