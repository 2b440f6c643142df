"""Categorical and OneHotCategorical samples equal PyTorch's after the same seed, and
``enumerate_support`` (Categorical, OneHotCategorical, Bernoulli, Independent) has
PyTorch's values, shapes and dtypes."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg

DTYPES = pytest.mark.parametrize("dtype", ["float32", "float64"])
PROB_SHAPES = pytest.mark.parametrize("prob_shape", [(4,), (3, 5), (2, 3, 4)], ids=["1-D", "batched", "2 batch axes"])
SAMPLE_SHAPES = pytest.mark.parametrize("sample_shape", [(), (1,), (6,), (2, 3), (1000,)],
                                        ids=["()", "(1,)", "(6,)", "(2, 3)", "(1000,)"])


def weights(shape, seed=0):
    return numpy.random.default_rng(seed).uniform(0.1, 2.0, shape)


def draw(framework, family, seed, sample_shape, **arguments):
    framework.manual_seed(seed)
    return getattr(framework.distributions, family)(**arguments).sample(sample_shape)


# Samples ------------------------------------------------------------------------------


@DTYPES
@PROB_SHAPES
@SAMPLE_SHAPES
@pytest.mark.parametrize("given", ["probs", "logits"])
def test_categorical_samples_are_pytorchs_after_the_same_seed(torch, dtype, prob_shape, sample_shape, given):
    host = weights(prob_shape) if given == "probs" else numpy.log(weights(prob_shape))
    for seed in (0, 7):
        ours = draw(tg, "Categorical", seed, sample_shape, **{given: tg.tensor(host, dtype=getattr(tg, dtype))})
        theirs = draw(torch, "Categorical", seed, sample_shape,
                      **{given: torch.tensor(host, dtype=getattr(torch, dtype))})
        assert ours.shape == tuple(theirs.shape) and ours.dtype == "int64"
        numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@DTYPES
@pytest.mark.parametrize("prob_shape", [(4,), (3, 5)], ids=["1-D", "batched"])
@pytest.mark.parametrize("sample_shape", [(), (6,), (2, 3)], ids=["()", "(6,)", "(2, 3)"])
def test_one_hot_samples_are_pytorchs_after_the_same_seed(torch, dtype, prob_shape, sample_shape):
    host = weights(prob_shape, seed=2)
    ours = draw(tg, "OneHotCategorical", 3, sample_shape, probs=tg.tensor(host, dtype=getattr(tg, dtype)))
    theirs = draw(torch, "OneHotCategorical", 3, sample_shape, probs=torch.tensor(host, dtype=getattr(torch, dtype)))
    assert ours.shape == tuple(theirs.shape) and ours.dtype == dtype
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_expanded_categorical_samples_are_pytorchs(torch):
    host = weights((1, 4), seed=4)
    tg.manual_seed(5)
    ours = tg.distributions.Categorical(tg.tensor(host)).expand((3,)).sample((4,))
    torch.manual_seed(5)
    theirs = torch.distributions.Categorical(torch.tensor(host)).expand((3,)).sample((4,))
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_samples_carry_no_gradient_and_follow_the_probabilities():
    probs = tg.tensor([0.1, 0.0, 0.6, 0.3], dtype=tg.float64, requires_grad=True)
    tg.manual_seed(0)
    x = tg.distributions.Categorical(probs).sample((20_000,))
    assert not x.requires_grad
    frequencies = numpy.bincount(x.numpy(), minlength=4) / 20_000
    numpy.testing.assert_allclose(frequencies, [0.1, 0.0, 0.6, 0.3], atol=0.015)


def test_a_sample_shape_that_is_not_a_tuple_is_refused():
    with pytest.raises(TypeError, match="sample_shape must be a tuple"):
        tg.distributions.Categorical(tg.ones(3)).sample(3)


def test_samples_on_the_strict_device_are_the_cpu_ones(strict_cuda):
    host = weights((3, 4), seed=6)
    results = {}
    for device in ("cpu", "cuda"):
        probs = tg.tensor(host, device=device)
        tg.manual_seed(1)
        index = tg.distributions.Categorical(probs).sample((5,))
        one_hot = tg.distributions.OneHotCategorical(probs).sample((2,))
        support = [tg.distributions.Categorical(probs).enumerate_support(),
                   tg.distributions.OneHotCategorical(probs).enumerate_support(),
                   tg.distributions.Bernoulli(logits=probs[..., 0]).enumerate_support(expand=False)]
        assert all(t.device == device for t in (index, one_hot, *support))
        results[device] = [index.numpy(), one_hot.numpy(), *(t.numpy() for t in support)]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)


# enumerate_support --------------------------------------------------------------------

ENUMERABLE = [
    ("Categorical", lambda t: {"probs": t(weights((4,)))}),
    ("Categorical", lambda t: {"logits": t(weights((2, 3, 5)))}),
    ("OneHotCategorical", lambda t: {"probs": t(weights((3,)))}),
    ("OneHotCategorical", lambda t: {"logits": t(weights((2, 4)))}),
    ("Bernoulli", lambda t: {"probs": 0.3}),
    ("Bernoulli", lambda t: {"probs": t(numpy.full((2, 3), 0.4))}),
    ("Bernoulli", lambda t: {"logits": t(weights((4,)))}),
]


@DTYPES
@pytest.mark.parametrize("expand", [True, False])
@pytest.mark.parametrize("family, arguments", ENUMERABLE)
def test_enumerate_support_is_pytorchs(torch, family, arguments, expand, dtype):
    results = []
    for framework in (tg, torch):
        def make(v, framework=framework):
            return framework.tensor(v, dtype=getattr(framework, dtype))
        dist = getattr(framework.distributions, family)(**arguments(make))
        assert dist.has_enumerate_support is True
        results.append(dist.enumerate_support(expand=expand))
    ours, theirs = results
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_enumerated_values_have_the_log_probs_pytorch_gives(torch):
    results = []
    for framework in (tg, torch):
        dist = framework.distributions.Categorical(logits=framework.tensor(weights((2, 3)), dtype=framework.float64))
        results.append(dist.log_prob(dist.enumerate_support()).exp().sum(0).numpy())
    numpy.testing.assert_allclose(results[0], results[1], rtol=1e-12)
    numpy.testing.assert_allclose(results[0], 1.0, rtol=1e-12)


@pytest.mark.parametrize("reinterpreted", [0, 1])
def test_independent_enumerates_only_without_reinterpreted_axes(torch, reinterpreted):
    dists = [framework.distributions.Independent(
        framework.distributions.Bernoulli(framework.tensor([[0.2, 0.7, 0.5]] * 2)), reinterpreted)
        for framework in (tg, torch)]
    assert dists[0].has_enumerate_support == dists[1].has_enumerate_support == (reinterpreted == 0)
    if reinterpreted:
        for dist in dists:
            with pytest.raises(NotImplementedError, match="Enumeration over cartesian product is not implemented"):
                dist.enumerate_support()
    else:
        ours, theirs = (dist.enumerate_support() for dist in dists)
        assert ours.shape == tuple(theirs.shape)
        numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_families_without_a_finite_support_do_not_enumerate_it(torch):
    for framework in (tg, torch):
        normal = framework.distributions.Normal(framework.zeros(2), 1.0)
        assert not getattr(normal, "has_enumerate_support", False)
        assert not framework.distributions.Independent(normal, 0).has_enumerate_support
