"""Random numbers after the same seed as PyTorch's CPU generator gives: rand, uniform_,
randint, randn and normal_ (from 16 numbers on within rounding: PyTorch's vectorized
float32 log, sine and cosine, and NumPy's float64 ones), the normal it keeps between calls, initial weights,
dropout masks, and orders drawn after numbers from the one stream."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn

SEEDS = [0, 7, 2**40 + 3]
COUNTS = [1, 2, 15, 16, 17, 40, 1000]
DTYPES = ["float32", "float64"]


def _both(torch, seed, draw):
    """``draw(framework)`` after ``manual_seed(seed)`` in each framework, as NumPy arrays."""
    results = []
    for framework in (tinygrad_bn, torch):
        framework.manual_seed(seed)
        results.append([numpy.asarray(t.detach().numpy() if hasattr(t, "detach") else t) for t in draw(framework)])
    return results


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("count", COUNTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_uniform_numbers_are_pytorchs_bit_for_bit(torch, seed, count, dtype):
    def draw(framework):
        kind = getattr(framework, dtype)
        return (framework.rand(count, dtype=kind), framework.empty(count, dtype=kind).uniform_(-0.37, 2.1),
                framework.randint(-3, 100, (count,)), framework.randint(0, 2**40, (count,)))

    ours, theirs = _both(torch, seed, draw)
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_array_equal(mine, other)


@pytest.mark.parametrize("span", [2**28 - 1, 2**28, 2**29 + 5, 2**31, 2**32 - 1, 2**32])
def test_randint_takes_64_bit_words_from_pytorchs_threshold(torch, span):
    """PyTorch 2.13 takes a 64-bit word per integer once the range reaches 2**28, not 2**32."""
    ours, theirs = _both(torch, 5, lambda framework: (framework.randint(-7, span - 7, (9,)),))
    numpy.testing.assert_array_equal(ours[0], theirs[0])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("count", COUNTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_numbers_are_pytorchs(torch, seed, count, dtype):
    def draw(framework):
        kind = getattr(framework, dtype)
        return framework.randn(count, dtype=kind), framework.empty(count, dtype=kind).normal_(0.5, 2.0)

    ours, theirs = _both(torch, seed, draw)
    for mine, other in zip(ours, theirs, strict=True):
        if count < 16:  # one at a time, with the C library's log1p, sin and cos, as PyTorch
            numpy.testing.assert_array_equal(mine, other)
        elif dtype == "float64":  # NumPy's log, sin and cos: now and then one unit in the last place
            numpy.testing.assert_allclose(mine, other, rtol=4e-16, atol=1e-16)
            assert numpy.mean(mine == other) > 0.95
        else:  # PyTorch's vectorized float32 log, sin and cos round differently
            numpy.testing.assert_allclose(mine, other, rtol=2e-6, atol=2e-6)


def test_the_second_normal_of_a_pair_waits_for_the_next_small_draw(torch):
    """Below 16 numbers PyTorch keeps each Box–Muller sine for the next number, across
    calls, and a large draw in between leaves it there."""
    def draw(framework):
        kind = framework.float64
        return framework.randn(1, dtype=kind), framework.randn(20, dtype=kind), framework.randn(3, dtype=kind)

    ours, theirs = _both(torch, 5, draw)
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_array_equal(mine, other)


def _models(framework):
    nn = framework.nn
    return [nn.Linear(5, 3), nn.Conv1d(2, 3, 2), nn.Conv2d(3, 4, 3), nn.ConvTranspose2d(2, 3, 2), nn.Embedding(7, 20),
            nn.MultiheadAttention(8, 2), nn.RNN(3, 2), nn.LSTM(4, 6), nn.GRU(2, 3), nn.Bilinear(3, 2, 4),
            nn.Conv3d(4, 6, (2, 3, 2), groups=2), nn.ConvTranspose3d(2, 3, 2), nn.ConvTranspose1d(2, 3, 3),
            nn.RNNCell(3, 2), nn.LSTMCell(3, 4), nn.GRUCell(3, 4), nn.EmbeddingBag(5, 3), nn.PReLU(),
            nn.TransformerEncoderLayer(8, 2, 16), nn.TransformerDecoderLayer(8, 2, 16), nn.Transformer(8, 2, 1, 1, 16)]


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_initial_weights_are_pytorchs(torch):
    ours, theirs = _both(torch, 11, lambda framework: [p for model in _models(framework) for p in model.parameters()])
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(mine, other, rtol=2e-6, atol=2e-6)  # Embedding's normals: see above


def test_orders_drawn_after_numbers_are_pytorchs(torch):
    def draw(framework):
        return framework.nn.Linear(6, 2).weight, framework.randperm(9), framework.randn(3)

    ours, theirs = _both(torch, 3, draw)
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_array_equal(mine, other)


def test_bernoulli_of_probabilities_is_pytorchs(torch):
    def draw(framework):
        return (framework.bernoulli(framework.full((300,), 0.3)),
                framework.bernoulli(framework.full((300,), 0.7, dtype=framework.float64)))

    ours, theirs = _both(torch, 9, draw)
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_array_equal(mine, other)


def _pytorch_draws_bernoulli_from_its_stream(torch) -> bool:
    """PyTorch's ``bernoulli_(p)`` takes u < p from its own stream, except on Intel CPUs,
    where it hands the draw to MKL."""
    torch.manual_seed(1)
    theirs = torch.empty(64, dtype=torch.float64).bernoulli_(0.5).numpy()
    tinygrad_bn.manual_seed(1)
    return numpy.array_equal(theirs, tinygrad_bn.empty(64, dtype=tinygrad_bn.float64).bernoulli_(0.5).numpy())


def test_dropout_masks_are_pytorchs_where_pytorch_draws_them_from_its_stream(torch):
    if not _pytorch_draws_bernoulli_from_its_stream(torch):
        pytest.skip("this PyTorch draws bernoulli_ through MKL (an Intel CPU): its masks are MKL's")

    def draw(framework):
        return framework.nn.functional.dropout(framework.ones(500), 0.3), framework.randn(2)

    ours, theirs = _both(torch, 4, draw)
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_array_equal(mine, other)


def test_dropout_keeps_each_element_with_probability_1_minus_p():
    tinygrad_bn.manual_seed(0)
    kept = tinygrad_bn.nn.functional.dropout(tinygrad_bn.ones(200_000), 0.3).numpy() != 0
    assert abs(kept.mean() - 0.7) < 4 * (0.7 * 0.3 / kept.size) ** 0.5
