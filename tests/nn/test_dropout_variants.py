"""Dropout1d and AlphaDropout (nn/channel_dropout.py, nn/alpha_dropout.py, nn/dropout_layers.py):
masks differ from PyTorch's (another generator), so training mode is checked by what every
mask must satisfy and by moments; eval mode, reprs, defaults and errors against PyTorch."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F


@pytest.fixture(autouse=True)
def _keep_the_generator():
    """These tests seed and draw from the default generator: put its state back after each."""
    state = tg.get_rng_state()
    yield
    tg.set_rng_state(state)


# SELU's constants, from Klambauer et al. (2017), written out here rather than imported
SATURATION = -1.0507009873554805 * 1.6732632423543772


@pytest.mark.parametrize("shape", [(300, 40, 3), (400, 5)], ids=str)
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropout1d_zeroes_whole_channels_with_probability_p(shape, p):
    tg.manual_seed(0)
    data = numpy.random.default_rng(0).uniform(1.0, 2.0, shape)  # no zeros of its own
    x = Tensor(data, requires_grad=True)
    y = F.dropout1d(x, p)
    kept = y.numpy() != 0
    channel_kept = kept[..., :1]
    assert (kept == channel_kept).all()  # a channel is kept or dropped whole
    assert abs((1 - channel_kept.mean()) - p) < 5 * math.sqrt(p * (1 - p) / channel_kept.size)
    numpy.testing.assert_allclose(y.numpy()[kept], data[kept] / (1 - p), rtol=1e-12)
    upstream = numpy.random.default_rng(1).standard_normal(shape)
    y.backward(Tensor(upstream))
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.where(kept, upstream / (1 - p), 0.0), rtol=1e-12)


@pytest.mark.parametrize("name", ["Dropout1d", "AlphaDropout"])
def test_layers_are_seeded_and_the_identity_in_eval(torch, name):
    x = tg.tensor(numpy.random.default_rng(9).standard_normal((4, 6, 5)))
    layer = getattr(nn, name)(0.5)
    assert repr(layer) == repr(getattr(torch.nn, name)(0.5))
    tg.manual_seed(3)
    first = layer(x).numpy()
    tg.manual_seed(3)
    numpy.testing.assert_array_equal(layer(x).numpy(), first)
    assert not numpy.array_equal(first, x.numpy())
    assert layer.eval()(x) is x
    theirs = torch.randn(4, 6, 5)
    assert getattr(torch.nn, name)(0.5).eval()(theirs).equal(theirs)


def test_alpha_dropout_is_off_by_default_as_pytorchs(torch):
    x = tg.ones(3, 4)
    assert F.alpha_dropout(x, 0.5) is x
    theirs = torch.randn(3, 4)
    assert torch.nn.functional.alpha_dropout(theirs, 0.5).equal(theirs)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_alpha_dropout_keeps_mean_and_variance(p, dtype):
    """Standard normal input: the output's mean stays 0 and its variance 1, within five
    standard errors; a fraction p of it sits at the one dropped value."""
    tg.manual_seed(1)
    size = 200_000
    x = numpy.random.default_rng(2).standard_normal(size).astype(dtype)
    y = F.alpha_dropout(Tensor(x), p, training=True).numpy()
    assert y.dtype == dtype
    q = 1 - p
    a = 1 / math.sqrt(q * (1 + p * SATURATION**2))
    dropped_value = a * SATURATION * (1 - p)  # a·α′ + b, b = −a·α′·p
    dropped = numpy.isclose(y, dropped_value, rtol=1e-6, atol=1e-6)
    assert abs(dropped.mean() - p) < 5 * math.sqrt(p * q / size)
    numpy.testing.assert_allclose(y[~dropped], a * x[~dropped] - a * SATURATION * p, rtol=1e-5, atol=1e-5)
    assert abs(y.mean()) < 5 * math.sqrt(1 / size) + 5 * abs(x.mean())
    assert abs(y.var() - 1) < 5 * math.sqrt(2 / size) * 3  # the variance of a sample variance, with room for kurtosis


def test_alpha_dropout_moments_match_pytorchs(torch):
    """Both implementations' outputs of the same input have the same mean and variance."""
    x = numpy.random.default_rng(3).standard_normal(100_000)
    tg.manual_seed(4)
    torch.manual_seed(4)
    ours = F.alpha_dropout(Tensor(x), 0.3, training=True).numpy()
    theirs = torch.nn.functional.alpha_dropout(torch.tensor(x), 0.3, training=True).numpy()
    values, counts = numpy.unique(numpy.concatenate([ours, theirs]).round(6), return_counts=True)
    assert counts.max() > 0.5 * len(x)  # the dropped value, the same in both
    assert abs(ours.mean() - theirs.mean()) < 0.02 and abs(ours.var() - theirs.var()) < 0.03


def test_alpha_dropout_gradient_is_a_on_kept_elements():
    x = tg.tensor(numpy.random.default_rng(5).standard_normal((4, 5)), requires_grad=True)
    upstream = numpy.random.default_rng(6).standard_normal((4, 5))

    def dropped(x):
        tg.manual_seed(7)  # one mask for every call of gradcheck
        return F.alpha_dropout(x, 0.4, training=True) * Tensor(upstream)

    assert gradcheck(dropped, (x,))
    dropped(x).sum().backward()
    a = 1 / math.sqrt(0.6 * (1 + 0.4 * SATURATION**2))
    grad = x.grad.numpy() / upstream
    assert set(numpy.round(grad.ravel(), 12)) <= {0.0, round(a, 12)} and (grad != 0).any() and (grad == 0).any()


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_alpha_dropout_extremes_are_pytorchs(torch, p):
    x = numpy.random.default_rng(8).standard_normal((3, 4))
    ours = F.alpha_dropout(Tensor(x), p, training=True).numpy()
    theirs = torch.nn.functional.alpha_dropout(torch.tensor(x), p, training=True).numpy()
    numpy.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(("call", "words"), [
    (lambda f: f.nn.functional.dropout1d(f.ones(2, 3, 4, 5)), r"dropout1d expects input of shape \(N, C, L\)"),
    (lambda f: f.nn.functional.dropout1d(f.ones(3)), r"dropout1d expects input of shape \(N, C, L\)"),
    (lambda f: f.nn.functional.dropout1d(f.ones(2, 3), 1.5), r"dropout probability must be in \[0, 1\]"),
    (lambda f: f.nn.functional.alpha_dropout(f.ones(2, 3), -0.1), r"dropout probability must be in \[0, 1\]"),
    (lambda f: f.nn.AlphaDropout(2.0), r"dropout probability must be in \[0, 1\]"),
], ids=["4-d", "1-d", "p dropout1d", "p alpha_dropout", "p AlphaDropout"])
def test_errors_are_pytorchs(torch, raises_like_torch, call, words):
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)
