"""Poisson against PyTorch: log_prob and its gradients, the moments, samples' shape, dtype
and moments, the strict device, and refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg

RATE = numpy.array([[0.3, 1.0, 4.5], [0.0, 12.0, 2.0]])
COUNTS = numpy.array([[0.0, 2.0, 3.0], [0.0, 9.0, 1.0]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_prob_moments_and_gradients_match_pytorch(torch, dtype):
    results = []
    for framework in (tg, torch):
        rate = framework.tensor(RATE, dtype=getattr(framework, dtype), requires_grad=True)
        dist = framework.distributions.Poisson(rate)
        log_prob = dist.log_prob(framework.tensor(COUNTS, dtype=getattr(framework, dtype)))
        log_prob[0].sum().backward()  # row 0 only: PyTorch's gradient at a rate of 0 is NaN (ours 0)
        results.append([log_prob.detach().numpy(), dist.mean.detach().numpy(), dist.mode.detach().numpy(),
                        dist.variance.detach().numpy(), rate.grad.numpy()[0]])
    tolerance = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=2e-6, atol=1e-6)
    for ours, theirs in zip(*results, strict=True):
        assert ours.dtype == dtype
        numpy.testing.assert_allclose(ours, theirs, **tolerance)


def test_samples_have_the_rates_mean_and_variance():
    tg.manual_seed(0)
    draws = 20_000
    x = tg.distributions.Poisson(tg.tensor([0.5, 3.0, 40.0], dtype=tg.float64)).sample((draws,))
    assert x.shape == (draws, 3) and x.dtype == "float64" and not x.requires_grad
    samples = x.numpy()
    assert (samples == numpy.floor(samples)).all() and samples.min() >= 0
    rate = numpy.array([0.5, 3.0, 40.0])
    # five standard errors of the mean, √(λ/n): passed by chance with probability 1 − 6e-7
    assert numpy.all(numpy.abs(samples.mean(0) - rate) < 5 * numpy.sqrt(rate / draws))
    # the variance's standard error, √((μ₄ − σ⁴)/n), μ₄ = λ(1 + 3λ)
    assert numpy.all(numpy.abs(samples.var(0) - rate) < 5 * numpy.sqrt((rate * (1 + 3 * rate) - rate**2) / draws))


def test_rsample_says_there_is_none():
    with pytest.raises(NotImplementedError, match="has no reparameterized sampler"):
        tg.distributions.Poisson(1.0).rsample()


def test_samples_and_log_prob_on_the_strict_device(strict_cuda):
    results = {}
    for device in ("cpu", "cuda"):
        rate = tg.tensor([0.5, 3.0], dtype=tg.float64, device=device, requires_grad=True)
        dist = tg.distributions.Poisson(rate)
        tg.manual_seed(3)
        x = dist.sample((5,))
        assert x.device == device
        dist.log_prob(x).sum().backward()
        results[device] = [x.numpy(), rate.grad.numpy()]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)


INVALID = {
    "rate": lambda D, t: D.Poisson(-1.0),
    "fraction": lambda D, t: D.Poisson(1.0).log_prob(t(0.5)),
    "negative count": lambda D, t: D.Poisson(1.0).log_prob(t(-1.0)),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])
