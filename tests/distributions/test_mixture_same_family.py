"""MixtureSameFamily against PyTorch's: log_prob, mean, variance and cdf with their
gradients (float64) for Normal, Independent(Normal) and MultivariateNormal components,
shapes, expand, support, samples (the mixture's picks are PyTorch's after the same seed),
refusals, repr, and the strict device."""

from __future__ import annotations

import re

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad


def positive_definite(rng, shape):
    A = rng.standard_normal(shape + shape[-1:])
    return A @ A.swapaxes(-1, -2) + numpy.eye(shape[-1])


def normal(framework, p):
    return framework.distributions.Normal(p["loc"], p["scale"])


def diagonal(framework, p):
    return framework.distributions.Independent(framework.distributions.Normal(p["loc"], p["scale"]), 1)


def full(framework, p):
    return framework.distributions.MultivariateNormal(p["loc"], covariance_matrix=p["covariance"])


# (label, mixture batch + (K,), component maker, host component parameters)
CASES = [
    ("Normal", (3,), normal, lambda r: {"loc": r.standard_normal(3), "scale": r.uniform(0.5, 2, 3)}),
    ("Normal, batched", (2, 3), normal,
     lambda r: {"loc": r.standard_normal((2, 3)), "scale": r.uniform(0.5, 2, (2, 3))}),
    ("Normal, mixture broadcast", (1, 3), normal,
     lambda r: {"loc": r.standard_normal((4, 3)), "scale": r.uniform(0.5, 2, (4, 3))}),
    ("Independent(Normal, 1)", (3,), diagonal,
     lambda r: {"loc": r.standard_normal((3, 2)), "scale": r.uniform(0.5, 2, (3, 2))}),
    ("Independent(Normal, 1), batched", (2, 4), diagonal,
     lambda r: {"loc": r.standard_normal((2, 4, 3)), "scale": r.uniform(0.5, 2, (2, 4, 3))}),
    ("MultivariateNormal", (3,), full,
     lambda r: {"loc": r.standard_normal((3, 2)), "covariance": positive_definite(r, (3, 2))}),
    ("MultivariateNormal, batched", (2, 3), full,
     lambda r: {"loc": r.standard_normal((2, 3, 2)), "covariance": positive_definite(r, (2, 3, 2))}),
]
PER_CASE = pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])


def build(framework, case, requires_grad=False, device=None, given="logits"):
    """The mixture in ``framework``, and its leaf parameters by name."""
    _, weights_shape, components, host = case
    rng = numpy.random.default_rng(0)
    params = {given: rng.uniform(0.2, 2.0, weights_shape) if given == "probs" else rng.standard_normal(weights_shape),
              **host(rng)}
    options = {"device": device} if device else {}
    leaves = {name: framework.tensor(value, dtype=framework.float64, requires_grad=requires_grad, **options)
              for name, value in params.items()}
    mixture = framework.distributions.Categorical(**{given: leaves[given]})
    return framework.distributions.MixtureSameFamily(mixture, components(framework, leaves)), leaves


def values(dist, sample_shape=(5,), seed=1):
    """Host values of shape sample_shape + batch_shape + event_shape."""
    return numpy.random.default_rng(seed).standard_normal(tuple(sample_shape) + dist.batch_shape + dist.event_shape)


def assert_same_with_gradients(torch, ours, theirs, our_leaves, their_leaves, what):
    assert ours.shape == tuple(theirs.shape) and ours.dtype == "float64", what
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-11, atol=1e-13,
                                  err_msg=what)
    upstream = numpy.random.default_rng(3).standard_normal(ours.shape)
    names = list(our_leaves)
    our_grads = grad(ours, [our_leaves[n] for n in names], Tensor(upstream), retain_graph=True, allow_unused=True)
    their_grads = torch.autograd.grad(theirs, [their_leaves[n] for n in names], torch.from_numpy(upstream),
                                      retain_graph=True, allow_unused=True)
    for name, mine, other in zip(names, our_grads, their_grads, strict=True):
        mine = numpy.zeros(our_leaves[name].shape) if mine is None else mine.numpy()
        other = numpy.zeros(our_leaves[name].shape) if other is None else other.numpy()
        numpy.testing.assert_allclose(mine, other, rtol=1e-10, atol=1e-12, err_msg=f"gradient in {name} of {what}")


# Values and gradients ------------------------------------------------------------------


@PER_CASE
@pytest.mark.parametrize("given", ["logits", "probs"])
def test_log_prob_mean_and_variance_match_pytorch_with_gradients(torch, case, given):
    ours, our_leaves = build(tg, case, requires_grad=True, given=given)
    theirs, their_leaves = build(torch, case, requires_grad=True, given=given)
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
    x = values(ours)
    assert_same_with_gradients(torch, ours.log_prob(tg.tensor(x)), theirs.log_prob(torch.tensor(x)),
                               our_leaves, their_leaves, "log_prob")
    for name in ("mean", "variance", "stddev"):
        assert_same_with_gradients(torch, getattr(ours, name), getattr(theirs, name), our_leaves, their_leaves, name)


@pytest.mark.parametrize("case", CASES[:3], ids=[case[0] for case in CASES[:3]])
def test_cdf_of_univariate_components_matches_pytorch_with_gradients(torch, case):
    ours, our_leaves = build(tg, case, requires_grad=True)
    theirs, their_leaves = build(torch, case, requires_grad=True)
    x = values(ours, (4,))
    assert_same_with_gradients(torch, ours.cdf(tg.tensor(x)), theirs.cdf(torch.tensor(x)), our_leaves, their_leaves,
                               "cdf")


def test_log_prob_broadcasts_a_value_against_the_batch(torch):
    case = CASES[1]
    ours, theirs = build(tg, case)[0], build(torch, case)[0]
    x = numpy.array([[-0.5], [0.25], [2.0]])
    numpy.testing.assert_allclose(ours.log_prob(tg.tensor(x)).numpy(), theirs.log_prob(torch.tensor(x)).numpy(),
                                  rtol=1e-12)


def test_a_mixture_of_one_component_is_that_component(torch):
    loc, scale = tg.tensor([[0.3], [-1.0]], dtype=tg.float64), tg.tensor([[2.0], [0.5]], dtype=tg.float64)
    mixture = tg.distributions.MixtureSameFamily(tg.distributions.Categorical(tg.ones(2, 1, dtype=tg.float64)),
                                                 tg.distributions.Normal(loc, scale))
    x = tg.tensor([0.1, 0.7], dtype=tg.float64)
    numpy.testing.assert_allclose(mixture.log_prob(x).numpy(),
                                  tg.distributions.Normal(loc[:, 0], scale[:, 0]).log_prob(x).numpy(), rtol=1e-14)
    numpy.testing.assert_allclose(mixture.variance.numpy(), (scale[:, 0] ** 2).numpy(), rtol=1e-14)


# Shapes, expand, support, repr ----------------------------------------------------------


@PER_CASE
def test_expand_matches_pytorch(torch, case):
    ours, theirs = build(tg, case)[0], build(torch, case)[0]
    shape = (3, *ours.batch_shape)
    ours, theirs = ours.expand(shape), theirs.expand(shape)
    assert ours.batch_shape == tuple(theirs.batch_shape) == shape
    assert ours.event_shape == tuple(theirs.event_shape)
    assert ours.component_distribution.batch_shape == tuple(theirs.component_distribution.batch_shape)
    x = values(ours, (2,))
    numpy.testing.assert_allclose(ours.log_prob(tg.tensor(x)).numpy(), theirs.log_prob(torch.tensor(x)).numpy(),
                                  rtol=1e-12)
    numpy.testing.assert_allclose(ours.variance.numpy(), theirs.variance.numpy(), rtol=1e-12)


@PER_CASE
def test_repr_and_support_print_as_in_pytorch(torch, case):
    ours, theirs = build(tg, case)[0], build(torch, case)[0]
    assert repr(ours) == repr(theirs)
    assert repr(ours.support) == repr(theirs.support)
    assert ours.support.event_dim == theirs.support.event_dim
    assert ours.support.is_discrete is theirs.support.is_discrete is False
    assert ours.has_rsample is theirs.has_rsample is False
    assert ours.has_enumerate_support is theirs.has_enumerate_support is False


def test_support_checks_every_component_and_validation_refuses_outside_it(torch):
    results = []
    for framework in (tg, torch):
        mix = framework.distributions.MixtureSameFamily(
            framework.distributions.Categorical(framework.ones(2)),
            framework.distributions.Gamma(framework.tensor([1.0, 2.0]), framework.tensor([1.0, 3.0])))
        results.append(mix.support.check(framework.tensor([[0.5, -1.0], [2.0, 0.0]])).tolist())
        with pytest.raises(ValueError, match="to be within the support"):
            mix.log_prob(framework.tensor([-1.0]))
    assert results[0] == results[1] == [[True, False], [True, True]]


# Samples ------------------------------------------------------------------------------


@PER_CASE
@pytest.mark.parametrize("sample_shape", [(), (4,), (2, 3)], ids=["()", "(4,)", "(2, 3)"])
def test_samples_have_pytorchs_shape_and_no_gradient(torch, case, sample_shape):
    ours, _ = build(tg, case, requires_grad=True)
    theirs, _ = build(torch, case)
    x = ours.sample(sample_shape)
    assert x.shape == (*sample_shape, *ours.batch_shape, *ours.event_shape) and not x.requires_grad
    if ours.mixture_distribution.batch_shape == ours.batch_shape:  # PyTorch gathers wrongly shaped otherwise
        assert x.shape == tuple(theirs.sample(sample_shape).shape)
    with pytest.raises(NotImplementedError):
        ours.rsample(sample_shape)


@pytest.mark.parametrize("batch", [(), (3,)], ids=["single", "batched"])
def test_the_picked_components_are_pytorchs_after_the_same_seed(torch, batch):
    """Components 10 apart and of scale 1e-9: each sample tells which component was picked."""
    weights = numpy.random.default_rng(2).uniform(0.2, 1.0, batch + (4,))
    picks = []
    for framework in (tg, torch):
        mix = framework.distributions.MixtureSameFamily(
            framework.distributions.Categorical(framework.tensor(weights)),
            framework.distributions.Normal(framework.tensor(numpy.broadcast_to(10.0 * numpy.arange(4), batch + (4,))),
                                           1e-9))
        framework.manual_seed(11)
        picks.append(numpy.round(mix.sample((50,)).numpy() / 10.0))
    numpy.testing.assert_array_equal(picks[0], picks[1])


def test_samples_of_vector_components_are_rows_of_the_picked_component():
    loc = tg.tensor([[0.0, 0.0], [100.0, -100.0], [50.0, 50.0]], dtype=tg.float64)
    mix = tg.distributions.MixtureSameFamily(
        tg.distributions.Categorical(tg.tensor([0.2, 0.5, 0.3], dtype=tg.float64)),
        tg.distributions.Independent(tg.distributions.Normal(loc, 1e-6), 1))
    tg.manual_seed(0)
    x = mix.sample((20_000,)).numpy()
    picked = numpy.argmin(((x[:, None, :] - loc.numpy()) ** 2).sum(-1), axis=1)
    numpy.testing.assert_allclose(x, loc.numpy()[picked], atol=1e-4)
    numpy.testing.assert_allclose(numpy.bincount(picked) / len(picked), [0.2, 0.5, 0.3], atol=0.015)


def test_a_mixture_broadcast_over_the_batch_picks_for_each_mixture():
    mix = tg.distributions.MixtureSameFamily(
        tg.distributions.Categorical(tg.tensor([0.5, 0.5], dtype=tg.float64)),
        tg.distributions.Normal(tg.tensor([[0.0, 10.0]] * 3, dtype=tg.float64), 1e-9))
    tg.manual_seed(0)
    x = mix.sample((400,)).numpy()
    assert x.shape == (400, 3)
    assert (x[:, 0] != x[:, 1]).any() and abs((x / 10).mean() - 0.5) < 0.1


# Refusals -----------------------------------------------------------------------------


def test_a_mixture_that_is_no_categorical_is_refused_as_in_pytorch(refused_alike):
    refused_alike(lambda D, t: D.MixtureSameFamily(D.Bernoulli(t([0.5, 0.5])), D.Normal(t([0.0, 1.0]), 1.0)))


def test_components_that_are_no_distribution_are_refused_as_in_pytorch(refused_alike):
    refused_alike(lambda D, t: D.MixtureSameFamily(D.Categorical(t([0.5, 0.5])), t([0.0, 1.0])))


@pytest.mark.parametrize("mixture_shape, component_shape, message", [
    ((2, 3), (4, 3), r"`mixture_distribution.batch_shape` \(\(2,\)\) is not compatible with "
                     r"`component_distribution.batch_shape`\(\(4,\)\)"),
    ((3,), (2, 4), r"`mixture_distribution component` \(3\) does not equal `component_distribution.batch_shape\[-1\]` "
                   r"\(4\)"),
])
def test_shapes_that_do_not_fit_are_refused_with_pytorchs_words(torch, mixture_shape, component_shape, message):
    for framework in (tg, torch):
        D = framework.distributions
        with pytest.raises(ValueError) as refused:
            D.MixtureSameFamily(D.Categorical(framework.ones(mixture_shape)),
                                D.Normal(framework.zeros(component_shape), 1.0))
        # PyTorch prints shapes as torch.Size([2]), this library as (2,)
        assert re.search(message, re.sub(r"torch\.Size\(\[(\d+)\]\)", r"(\1,)", str(refused.value)))


def test_components_without_a_batch_axis_are_refused():
    D = tg.distributions
    with pytest.raises(ValueError, match="must have an axis of the components"):
        D.MixtureSameFamily(D.Categorical(tg.ones(1)), D.Normal(0.0, 1.0))


# The strict device -------------------------------------------------------------------


@pytest.mark.parametrize("case", [CASES[1], CASES[6]], ids=[CASES[1][0], CASES[6][0]])
def test_runs_on_the_device_as_on_the_cpu(strict_cuda, case):
    results = {}
    for device in ("cpu", "cuda"):
        dist, leaves = build(tg, case, requires_grad=True, device=device)
        x = tg.tensor(values(dist), dtype=tg.float64, device=device)
        outputs = [dist.log_prob(x), dist.mean, dist.variance, dist.expand((2, *dist.batch_shape)).log_prob(x[:2])]
        if not dist.event_shape:
            outputs.append(dist.cdf(x))
        tg.manual_seed(4)
        sample = dist.sample((3,))
        assert all(t.device == device for t in (*outputs, sample))
        sum(output.sum() for output in outputs).backward()
        results[device] = [t.detach().numpy() for t in outputs] + [leaf.grad.numpy() for leaf in leaves.values()]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)
