"""dropout3d and Dropout3d (nn/channel_dropout.py), feature_alpha_dropout and
FeatureAlphaDropout (nn/alpha_dropout.py): masks bit for bit against PyTorch's for the same
seed (where PyTorch draws them from its own stream), gradients, reprs, shapes and errors."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

SATURATION = -1.0507009873554805 * 1.6732632423543772  # SELU's −λα (Klambauer et al., 2017)


@pytest.fixture(autouse=True)
def _keep_the_generator():
    """These tests seed and draw from the default generator: put its state back after each."""
    state = tg.get_rng_state()
    yield
    tg.set_rng_state(state)


@pytest.fixture
def pytorch_streams(torch):
    """Skip where PyTorch's ``bernoulli_`` draws through MKL (Intel CPUs) instead of its own stream."""
    torch.manual_seed(1)
    theirs = torch.empty(64, dtype=torch.float64).bernoulli_(0.5).numpy()
    tg.manual_seed(1)
    if not numpy.array_equal(theirs, tg.empty(64, dtype=tg.float64).bernoulli_(0.5).numpy()):
        pytest.skip("this PyTorch draws bernoulli_ through MKL: its masks are MKL's")
    return torch


def _both(torch, seed, name, shape, dtype, **kwargs):
    x = numpy.random.default_rng(list(shape)).standard_normal(shape).astype(dtype)
    results = []
    for framework in (tg, torch):
        framework.manual_seed(seed)
        function = getattr(framework.nn.functional, name)
        results.append((function(framework.tensor(x), **kwargs).numpy(), framework.randn(3).numpy()))
    return results


CASES = [("dropout3d", (2, 3, 4, 5, 6)), ("dropout3d", (3, 2, 4, 5)), ("feature_alpha_dropout", (4, 5, 3, 2)),
         ("feature_alpha_dropout", (6, 7)), ("feature_alpha_dropout", (2, 3, 4, 2, 2))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p", [0.2, 0.5])
@pytest.mark.parametrize(("name", "shape"), CASES, ids=str)
@pytest.mark.parametrize("seed", [0, 11])
def test_outputs_are_pytorchs_for_the_same_seed(pytorch_streams, name, shape, p, dtype, seed):
    (ours, our_next), (theirs, their_next) = _both(pytorch_streams, seed, name, shape, dtype, p=p, training=True)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-6 if dtype == "float32" else 1e-15, atol=1e-7)
    numpy.testing.assert_array_equal(our_next, their_next)  # the same number of draws


@pytest.mark.parametrize(("name", "shape", "spatial"), [("dropout3d", (50, 3, 4, 5, 6), (2, 3, 4)),
                                                      ("dropout3d", (50, 2, 4, 5), (1, 2, 3)),  # unbatched
                                                      ("feature_alpha_dropout", (50, 5, 3, 2), (2, 3)),
                                                      ("feature_alpha_dropout", (50, 3, 4, 2, 2), (2, 3, 4))], ids=str)
def test_channels_are_dropped_whole(name, shape, spatial):
    """Every entry of a channel is dropped (0 for dropout3d, a·α′ + b for alpha dropout) or none is."""
    tg.manual_seed(2)
    p = 0.5
    x = numpy.random.default_rng(0).uniform(1.0, 2.0, shape)
    y = getattr(F, name)(Tensor(x), p, training=True).numpy()
    a = 1 / math.sqrt((1 - p) * (1 + p * SATURATION**2))
    dropped_value = 0.0 if name == "dropout3d" else a * SATURATION * (1 - p)
    dropped = numpy.isclose(y, dropped_value, rtol=0, atol=1e-12)
    assert (dropped.all(axis=spatial) | ~dropped.any(axis=spatial)).all()
    assert 0 < dropped.mean() < 1


@pytest.mark.parametrize(("name", "p"), [("dropout3d", 0.0), ("dropout3d", 1.0), ("feature_alpha_dropout", 0.0),
                                         ("feature_alpha_dropout", 1.0)])
@pytest.mark.parametrize("training", [True, False])
def test_extremes_and_eval_are_pytorchs(torch, name, p, training):
    x = numpy.random.default_rng(1).standard_normal((2, 3, 2, 2, 2))
    ours = getattr(F, name)(Tensor(x), p, training).numpy()
    theirs = getattr(torch.nn.functional, name)(torch.tensor(x), p, training).numpy()
    numpy.testing.assert_array_equal(ours, theirs)


def test_defaults_are_pytorchs(torch):
    x = numpy.random.default_rng(2).standard_normal((2, 3, 2, 2, 2))
    assert F.feature_alpha_dropout(Tensor(x)).numpy().tolist() == x.tolist()  # off unless training
    tg.manual_seed(0)
    assert not numpy.array_equal(F.dropout3d(Tensor(x)).numpy(), x)  # on unless told otherwise
    assert torch.nn.functional.feature_alpha_dropout(torch.tensor(x)).numpy().tolist() == x.tolist()


@pytest.mark.parametrize("name", ["dropout3d", "feature_alpha_dropout"])
def test_gradients(name):
    x = Tensor(numpy.random.default_rng(3).standard_normal((2, 3, 2, 1, 2)), requires_grad=True)

    def dropped(x):
        tg.manual_seed(5)  # one mask for every call of the check
        return getattr(F, name)(x, 0.4, training=True) * x

    assert gradcheck(dropped, (x,))
    assert gradgradcheck(dropped, (x,))


@pytest.mark.parametrize("name", ["Dropout3d", "FeatureAlphaDropout"])
def test_layers(torch, name):
    layer = getattr(tg.nn, name)(0.3)
    assert repr(layer) == repr(getattr(torch.nn, name)(0.3))
    assert repr(getattr(tg.nn, name)()) == repr(getattr(torch.nn, name)())
    x = tg.tensor(numpy.random.default_rng(4).standard_normal((2, 4, 3, 2, 2)))
    tg.manual_seed(3)
    first = layer(x).numpy()
    function = {"Dropout3d": F.dropout3d, "FeatureAlphaDropout": F.feature_alpha_dropout}[name]
    tg.manual_seed(3)
    numpy.testing.assert_array_equal(function(x, 0.3, training=True).numpy(), first)
    assert layer.eval()(x) is x
    assert getattr(tg.nn.modules.dropout, name) is getattr(tg.nn, name)


@pytest.mark.parametrize(("call", "words"), [
    (lambda f: f.nn.functional.dropout3d(f.ones(2, 3, 1, 1, 1), 1.5), r"dropout probability must be in \[0, 1\]"),
    (lambda f: f.nn.functional.feature_alpha_dropout(f.ones(2, 3), -0.5, True),
     r"dropout probability must be in \[0, 1\]"),
    (lambda f: f.nn.Dropout3d(1.5), r"dropout probability must be in \[0, 1\]"),
    (lambda f: f.nn.FeatureAlphaDropout(-1.0), r"dropout probability must be in \[0, 1\]"),
], ids=["p dropout3d", "p feature_alpha_dropout", "p Dropout3d", "p FeatureAlphaDropout"])
def test_errors_are_pytorchs(torch, raises_like_torch, call, words):
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)


@pytest.mark.parametrize(("call", "words"), [
    (lambda: F.dropout3d(tg.ones(2, 3, 4)), r"dropout3d expects input of shape \(N, C, D, H, W\) or \(C, D, H, W\)"),
    (lambda: F.feature_alpha_dropout(tg.ones(3), 0.5, True), r"at least 2 dimensions, got \(3,\)"),
], ids=["3-d dropout3d", "1-d feature_alpha_dropout"])
def test_shape_errors(call, words):
    """PyTorch refuses 1-D input to feature_alpha_dropout too; to dropout3d of other than 4 or 5
    dimensions it warns that it will refuse it in a future release, which this does already."""
    with pytest.raises(tg.errors.ShapeError, match=words):
        call()
