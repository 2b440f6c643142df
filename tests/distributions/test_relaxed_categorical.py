"""RelaxedOneHotCategorical and its log, ExpRelaxedCategorical, beyond the shared tests:
the log's log_prob against PyTorch's with gradients, gradients in the value (off the
simplex, unvalidated) and of reparameterized samples against finite differences, the
density's normalization, the classes of the samples' largest entries, and refusals."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck
from tinygrad_bn.distributions.relaxed_categorical import ExpRelaxedCategorical

RNG = numpy.random.default_rng(13)
LOGITS = RNG.standard_normal((2, 4))
TEMPERATURE = 0.7
TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-11, atol=1e-12)}


def _log_simplex(shape):
    weights = RNG.uniform(0.1, 1.0, shape)
    return numpy.log(weights / weights.sum(-1, keepdims=True))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_log_matches_pytorch_with_gradients(torch, dtype):
    from torch.distributions.relaxed_categorical import ExpRelaxedCategorical as Theirs

    value = _log_simplex((3, 2, 4))
    results = []
    for framework, family in ((tg, ExpRelaxedCategorical), (torch, Theirs)):
        leaves = [framework.tensor(a, dtype=getattr(framework, dtype), requires_grad=True) for a in (TEMPERATURE,
                                                                                                    LOGITS, value)]
        dist = family(leaves[0], logits=leaves[1])
        results.append((dist, dist.log_prob(leaves[2]), leaves))
    (ours, mine, our_leaves), (theirs, other, their_leaves) = results
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    assert repr(ours) == repr(theirs) and repr(ours.support) == repr(theirs.support)
    numpy.testing.assert_allclose(mine.numpy(), other.detach().numpy(), **TOLERANCE[dtype])
    upstream = numpy.random.default_rng(1).standard_normal(mine.shape).astype(dtype)
    for a, b in zip(grad(mine, our_leaves, Tensor(upstream)),
                    torch.autograd.grad(other, their_leaves, torch.from_numpy(upstream)), strict=True):
        numpy.testing.assert_allclose(a.numpy(), b.numpy(), **TOLERANCE[dtype])


def test_log_prob_gradients_match_finite_differences_also_in_the_value():
    value = numpy.exp(_log_simplex((3, 2, 4)))

    def log_prob(temperature, logits, value):
        return distributions.RelaxedOneHotCategorical(temperature, logits=logits, validate_args=False).log_prob(value)

    assert gradcheck(log_prob, [Tensor(numpy.array(TEMPERATURE), requires_grad=True),
                                Tensor(LOGITS, requires_grad=True), Tensor(value, requires_grad=True)])


def test_rsample_gradients_match_finite_differences():
    def rsample(temperature, probs):
        tg.manual_seed(4)
        return distributions.RelaxedOneHotCategorical(temperature, probs).rsample((3,))

    probs = numpy.exp(_log_simplex((2, 4)))
    assert gradcheck(rsample, [Tensor(numpy.array(TEMPERATURE), requires_grad=True), Tensor(probs, requires_grad=True)])


@pytest.mark.parametrize("temperature", [0.3, 1.0, 3.0])
def test_the_density_of_two_classes_integrates_to_1(temperature):
    """For K = 2 a point is (t, 1 − t), and the density integrates to one over t in (0, 1):
    by the midpoint rule in y = log(t/(1 − t)), where it is smooth, dt = t(1 − t) dy."""
    points, reach = 400_000, 200.0
    y = -reach + (numpy.arange(points) + 0.5) * 2 * reach / points
    t, complement = 1 / (1 + numpy.exp(-y)), 1 / (1 + numpy.exp(y))
    dist = distributions.RelaxedOneHotCategorical(tg.tensor(temperature, dtype=tg.float64),
                                                  tg.tensor([0.3, 0.7], dtype=tg.float64))
    log_density = dist.log_prob(tg.tensor(numpy.stack([t, complement], -1))).numpy()
    total = (numpy.exp(log_density) * t * complement).sum() * 2 * reach / points
    assert math.isclose(total, 1.0, rel_tol=1e-6)


def test_the_largest_entry_of_a_sample_is_a_categorical_draw():
    """argmax of ℓ + Gumbel noise is class k with probability pₖ, whatever τ (within 5 standard errors)."""
    draws = 20_000
    dist = distributions.RelaxedOneHotCategorical(tg.tensor(2.0, dtype=tg.float64), logits=tg.tensor(LOGITS))
    tg.manual_seed(0)
    x = dist.sample((draws,)).numpy()
    assert x.shape == (draws, 2, 4) and numpy.allclose(x.sum(-1), 1.0)
    frequency = (x.argmax(-1)[..., None] == numpy.arange(4)).mean(0)
    probs = numpy.exp(LOGITS) / numpy.exp(LOGITS).sum(-1, keepdims=True)
    assert (numpy.abs(frequency - probs) / numpy.sqrt(probs * (1 - probs) / draws)).max() < 5


def test_expand_keeps_the_temperature(torch):
    temperature = tg.tensor(TEMPERATURE, dtype=tg.float64)
    ours = distributions.RelaxedOneHotCategorical(temperature, logits=tg.tensor(LOGITS)).expand((3, 2))
    theirs = torch.distributions.RelaxedOneHotCategorical(torch.tensor(TEMPERATURE, dtype=torch.float64),
                                                          logits=torch.tensor(LOGITS)).expand((3, 2))
    value = numpy.exp(_log_simplex((3, 2, 4)))
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.temperature is temperature
    numpy.testing.assert_allclose(ours.log_prob(tg.tensor(value)).numpy(),
                                  theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-12)


INVALID = {
    "probs": lambda D, t: D.RelaxedOneHotCategorical(t(1.0), t([1.5, -0.5])),
    "0-d logits": lambda D, t: D.RelaxedOneHotCategorical(t(1.0), logits=t(0.5)),
    "0-d probs": lambda D, t: D.RelaxedOneHotCategorical(t(1.0), t(0.5)),
    "value off the simplex": lambda D, t: D.RelaxedOneHotCategorical(t(1.0), t([0.5, 0.5])).log_prob(t([0.5, 0.6])),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])
