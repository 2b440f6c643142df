"""RelaxedBernoulli and its logit, LogitRelaxedBernoulli, beyond the shared tests: the
logit's log_prob against PyTorch's with gradients, reparameterized samples' gradients
against finite differences, the law of the samples, and refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck
from tinygrad_bn.distributions.relaxed_bernoulli import LogitRelaxedBernoulli

RNG = numpy.random.default_rng(9)
PROBS, TEMPERATURE, LOGIT_VALUES = RNG.uniform(0.1, 0.9, (2, 3)), RNG.uniform(0.5, 2.0, 3), RNG.normal(0, 2, (4, 2, 3))
TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-11, atol=1e-12)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_logit_matches_pytorch_with_gradients(torch, dtype):
    from torch.distributions.relaxed_bernoulli import LogitRelaxedBernoulli as Theirs

    results = []
    for framework, family in ((tg, LogitRelaxedBernoulli), (torch, Theirs)):
        leaves = [framework.tensor(a, dtype=getattr(framework, dtype), requires_grad=True) for a in (TEMPERATURE,
                                                                                                    PROBS,
                                                                                                    LOGIT_VALUES)]
        dist = family(leaves[0], leaves[1])
        results.append((dist, dist.log_prob(leaves[2]), leaves))
    (ours, mine, our_leaves), (theirs, other, their_leaves) = results
    assert ours.batch_shape == tuple(theirs.batch_shape) and repr(ours) == repr(theirs)
    numpy.testing.assert_allclose(mine.numpy(), other.detach().numpy(), **TOLERANCE[dtype])
    upstream = numpy.random.default_rng(1).standard_normal(mine.shape).astype(dtype)
    for a, b in zip(grad(mine, our_leaves, Tensor(upstream)),
                    torch.autograd.grad(other, their_leaves, torch.from_numpy(upstream)), strict=True):
        numpy.testing.assert_allclose(a.numpy(), b.numpy(), **TOLERANCE[dtype])


@pytest.mark.parametrize("given", ["probs", "logits"])
def test_rsample_gradients_match_finite_differences(given):
    parameter = PROBS if given == "probs" else numpy.log(PROBS / (1 - PROBS))

    def rsample(temperature, parameter):
        tg.manual_seed(2)
        return distributions.RelaxedBernoulli(temperature, **{given: parameter}).rsample((4,))

    assert gradcheck(rsample, [Tensor(TEMPERATURE, requires_grad=True), Tensor(parameter, requires_grad=True)])


def test_samples_follow_the_law_of_their_logit():
    """The logit of a sample is (ℓ + L)/τ with L logistic, so P(logit ≤ y) = σ(τy − ℓ), and a
    sample exceeds 1/2 with probability p whatever τ; by Kolmogorov's statistic of 20 000
    draws (1.95: p = 0.001) and within 5 standard errors."""
    draws = 20_000
    dist = distributions.RelaxedBernoulli(tg.tensor(TEMPERATURE), tg.tensor(PROBS))
    tg.manual_seed(0)
    x = dist.sample((draws,)).numpy()
    assert x.shape == (draws, 2, 3) and ((x > 0) & (x < 1)).all()
    y = numpy.sort(numpy.log(x) - numpy.log1p(-x), 0)
    cdf = 1 / (1 + numpy.exp(-(TEMPERATURE * y - numpy.log(PROBS / (1 - PROBS)))))
    steps = (numpy.arange(draws + 1) / draws)[:, None, None]
    assert numpy.sqrt(draws) * numpy.maximum(steps[1:] - cdf, cdf - steps[:-1]).max() < 1.95
    above = (x > 0.5).mean(0)
    assert (numpy.abs(above - PROBS) / numpy.sqrt(PROBS * (1 - PROBS) / draws)).max() < 5


def test_the_properties_are_the_logits_and_a_temperature_may_be_a_number(torch):
    dist = distributions.RelaxedBernoulli(0.5, logits=tg.tensor([0.0, 2.0], dtype=tg.float64))
    assert dist.temperature.dtype == "float64" and dist.temperature.item() == 0.5  # PyTorch's wants a Tensor
    theirs = torch.distributions.RelaxedBernoulli(torch.tensor(0.5, dtype=torch.float64),
                                                  logits=torch.tensor([0.0, 2.0], dtype=torch.float64))
    numpy.testing.assert_allclose(dist.probs.numpy(), theirs.probs.numpy(), rtol=1e-15)
    value = numpy.array([0.2, 0.9])
    numpy.testing.assert_allclose(dist.log_prob(tg.tensor(value)).numpy(), theirs.log_prob(torch.tensor(value)).numpy(),
                                  rtol=1e-12)


def test_pytorch_gives_it_neither_moments_nor_entropy(torch):
    for module, t in ((distributions, tg.tensor), (torch.distributions, torch.tensor)):
        dist = module.RelaxedBernoulli(t(1.0), t(0.5))
        for method in ("mean", "variance", "entropy"):
            with pytest.raises(NotImplementedError):
                dist.entropy() if method == "entropy" else getattr(dist, method)


INVALID = {
    "probs": lambda D, t: D.RelaxedBernoulli(t(1.0), t([0.5, 1.5])),
    "logits": lambda D, t: D.RelaxedBernoulli(t(1.0), logits=t(float("nan"))),
    "both": lambda D, t: D.RelaxedBernoulli(t(1.0), t(0.5), t(0.0)),
    "value above 1": lambda D, t: D.RelaxedBernoulli(t(1.0), t(0.5)).log_prob(t(1.5)),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])
