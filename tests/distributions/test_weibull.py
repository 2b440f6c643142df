"""Weibull beyond the shared tests: built as PyTorch builds it (an Exponential pushed
through a power and a scale), reparameterized samples' gradients against finite
differences and their law, the mode on both sides of k = 1, expand, and refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.check import gradcheck

RNG = numpy.random.default_rng(5)
SCALE, CONCENTRATION = RNG.uniform(0.5, 2.0, (2, 3)), numpy.array([[0.5, 1.0, 1.5], [2.0, 3.0, 0.9]])


def test_is_an_exponential_through_a_power_and_a_scale_as_in_pytorch(torch):
    ours = distributions.Weibull(tg.tensor(SCALE), tg.tensor(CONCENTRATION))
    theirs = torch.distributions.Weibull(torch.tensor(SCALE), torch.tensor(CONCENTRATION))
    assert isinstance(ours, distributions.TransformedDistribution) and ours.has_rsample
    assert type(ours.base_dist).__name__ == type(theirs.base_dist).__name__ == "Exponential"
    assert [type(t).__name__ for t in ours.transforms] == [type(t).__name__ for t in theirs.transforms]
    assert repr(ours.support) == repr(theirs.support)


@pytest.mark.filterwarnings("ignore:invalid value encountered in power:RuntimeWarning")  # a NaN mode
def test_mode_at_and_around_a_concentration_of_1(same_as_pytorch):
    # λ((k − 1)/k)^(1/k): 0 at k = 1, and for k < 1 NaN unless 1/k is an integer (k = 0.5 gives λ)
    same_as_pytorch(lambda D, t: D.Weibull(t(SCALE), t(CONCENTRATION)).mode)


def test_rsample_gradients_match_finite_differences():
    def rsample(scale, concentration):
        tg.manual_seed(3)
        return distributions.Weibull(scale, concentration).rsample((4,))

    assert gradcheck(rsample, [Tensor(SCALE, requires_grad=True), Tensor(CONCENTRATION, requires_grad=True)])


def test_samples_follow_the_closed_form_cdf():
    """F(x) = 1 − exp(−(x/λ)ᵏ), by Kolmogorov's statistic of 20 000 draws (1.95: p = 0.001)."""
    draws = 20_000
    tg.manual_seed(0)
    x = numpy.sort(distributions.Weibull(tg.tensor(SCALE), tg.tensor(CONCENTRATION)).sample((draws,)).numpy(), 0)
    cdf = 1 - numpy.exp(-((x / SCALE) ** CONCENTRATION))
    steps = (numpy.arange(draws + 1) / draws)[:, None, None]
    assert numpy.sqrt(draws) * numpy.maximum(steps[1:] - cdf, cdf - steps[:-1]).max() < 1.95


def test_entropy_is_the_mean_negative_log_density():
    dist = distributions.Weibull(tg.tensor(SCALE), tg.tensor(CONCENTRATION))
    points = 200_000
    u = (numpy.arange(points) + 0.5) / points  # E[−log p(X)] by the midpoint rule in u = F(x)
    x = dist.icdf(tg.tensor(u[:, None, None]))
    numpy.testing.assert_allclose(-dist.log_prob(x).numpy().mean(0), dist.entropy().numpy(), rtol=1e-4)


def test_expand_keeps_a_weibull_of_broadcast_parameters(torch):
    ours = distributions.Weibull(tg.tensor(SCALE[0]), tg.tensor(CONCENTRATION[0])).expand((4, 3))
    theirs = torch.distributions.Weibull(torch.tensor(SCALE[0]), torch.tensor(CONCENTRATION[0])).expand((4, 3))
    assert type(ours) is distributions.Weibull and ours.scale.shape == ours.concentration.shape == (4, 3)
    value = RNG.uniform(0.1, 3.0, (2, 4, 3))
    numpy.testing.assert_allclose(ours.log_prob(tg.tensor(value)).numpy(),
                                  theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(ours.variance.numpy(), theirs.variance.numpy(), rtol=1e-12)
    assert repr(ours) == repr(theirs)


INVALID = {
    "scale": lambda D, t: D.Weibull(0.0, 1.0),
    "concentration": lambda D, t: D.Weibull(t([1.0, 2.0]), t([1.0, -1.0])),
    "negative value": lambda D, t: D.Weibull(1.0, 2.0).log_prob(t(-1.0)),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])
