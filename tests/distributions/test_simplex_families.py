"""LogisticNormal and OneHotCategoricalStraightThrough: built as PyTorch builds them,
log-probabilities against PyTorch's, shapes, expand and repr, reparameterized gradients,
samples on the simplex with the base's moments, and the straight-through gradient."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.check import gradcheck

RNG = numpy.random.default_rng(4)
LOC, SCALE = RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2.0, (2, 3))
WEIGHTS = RNG.uniform(0.1, 1.0, (5, 2, 4))
SIMPLEX = WEIGHTS / WEIGHTS.sum(-1, keepdims=True)  # points of the simplex of 4 classes


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_logistic_normal_shapes_repr_and_base_match_pytorch(torch, shape):
    loc, scale = numpy.zeros(shape) + 0.3, numpy.ones(shape) * 1.5
    ours = distributions.LogisticNormal(tg.tensor(loc), tg.tensor(scale))
    theirs = torch.distributions.LogisticNormal(torch.tensor(loc), torch.tensor(scale))
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    assert repr(ours) == repr(theirs) and type(ours.base_dist).__name__ == type(theirs.base_dist).__name__
    assert ours.base_dist.batch_shape == tuple(theirs.base_dist.batch_shape)
    assert ours.loc.shape == tuple(theirs.loc.shape) and ours.has_rsample
    assert [type(t).__name__ for t in ours.transforms] == [type(t).__name__ for t in theirs.transforms]
    assert repr(ours.support) == repr(theirs.support)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logistic_normal_log_prob_matches_pytorch(torch, dtype):
    values = []
    for framework in (tg, torch):
        loc, scale, value = (framework.tensor(v, dtype=getattr(framework, dtype)) for v in (LOC, SCALE, SIMPLEX))
        values.append(framework.distributions.LogisticNormal(loc, scale).log_prob(value))
    assert values[0].dtype == tg.dtype(dtype) and values[0].shape == (5, 2)
    tolerance = dict(rtol=1e-10) if dtype == "float64" else dict(rtol=1e-5, atol=1e-5)
    numpy.testing.assert_allclose(values[0].numpy(), values[1].numpy(), **tolerance)


def test_logistic_normal_expand_matches_pytorch(torch):
    ours = distributions.LogisticNormal(tg.tensor(LOC[0]), tg.tensor(SCALE[0])).expand((4,))
    theirs = torch.distributions.LogisticNormal(torch.tensor(LOC[0]), torch.tensor(SCALE[0])).expand((4,))
    assert type(ours) is distributions.LogisticNormal and ours.batch_shape == (4,) and ours.event_shape == (4,)
    value = numpy.broadcast_to(SIMPLEX[:, :1], (5, 4, 4))
    numpy.testing.assert_allclose(ours.log_prob(tg.tensor(value)).numpy(),
                                  theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-10)


def test_logistic_normal_rsample_gradients_match_finite_differences():
    def rsample(loc, scale):
        tg.manual_seed(2)
        return distributions.LogisticNormal(loc, scale).rsample((3,))

    assert gradcheck(rsample, [Tensor(LOC, requires_grad=True), Tensor(SCALE, requires_grad=True)])


def test_logistic_normal_samples_are_the_stick_breaking_of_normal_samples():
    """On the simplex, and the inverse map gives back normals of the base's mean and variance."""
    tg.manual_seed(0)
    dist = distributions.LogisticNormal(tg.tensor(LOC), tg.tensor(SCALE))
    y = dist.sample((20_000,))
    assert y.shape == (20_000, 2, 4) and not y.requires_grad and bool(dist.support.check(y).all())
    x = distributions.StickBreakingTransform().inv(y).numpy()
    assert (numpy.abs(x.mean(0) - LOC) < 6 * SCALE / numpy.sqrt(20_000)).all()
    numpy.testing.assert_allclose(x.std(0), SCALE, rtol=0.05)


PROBS = numpy.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])


def test_straight_through_samples_are_pytorchs_after_the_same_seed(torch):
    tg.manual_seed(7)
    torch.manual_seed(7)
    ours = distributions.OneHotCategoricalStraightThrough(tg.tensor(PROBS)).rsample((6,))
    theirs = torch.distributions.OneHotCategoricalStraightThrough(torch.tensor(PROBS)).rsample((6,))
    numpy.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


@pytest.mark.parametrize("given", ["probs", "logits"])
def test_straight_through_gradient_is_the_gradient_of_the_probabilities(torch, given):
    grads = []
    weights = RNG.standard_normal((4, 2, 3))
    for framework in (tg, torch):
        framework.manual_seed(1)
        leaf = framework.tensor(PROBS if given == "probs" else numpy.log(PROBS), requires_grad=True)
        dist = framework.distributions.OneHotCategoricalStraightThrough(**{given: leaf})
        assert dist.has_rsample
        sample = dist.rsample((4,))
        (sample * framework.tensor(weights)).sum().backward()
        grads.append(leaf.grad.numpy())
    numpy.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-15)


def test_straight_through_is_a_one_hot_categorical(torch):
    ours = distributions.OneHotCategoricalStraightThrough(tg.tensor(PROBS))
    theirs = torch.distributions.OneHotCategoricalStraightThrough(torch.tensor(PROBS))
    assert isinstance(ours, distributions.OneHotCategorical) and repr(ours) == repr(theirs)
    value = numpy.eye(3)[[[0, 2], [1, 1]]]
    numpy.testing.assert_allclose(ours.log_prob(tg.tensor(value)).numpy(),
                                  theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-12)
    expanded = ours.expand((4, 2))
    assert type(expanded) is distributions.OneHotCategoricalStraightThrough and expanded.batch_shape == (4, 2)
