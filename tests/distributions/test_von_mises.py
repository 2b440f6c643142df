"""VonMises beyond the shared tests: log_prob and the circular variance against PyTorch on
both sides of the Bessel approximations' split (3.75) with gradients, the approximations
against a power series, the density's normalization, samples' circular moments, and
refusals."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.autograd import grad
from tinygrad_bn.distributions.von_mises import log_modified_bessel

KAPPA = numpy.array([1e-3, 0.5, 2.0, 3.7, 3.8, 10.0, 60.0])
LOC = numpy.linspace(-3.0, 3.0, len(KAPPA))
VALUES = numpy.random.default_rng(3).uniform(-7.0, 7.0, (4, len(KAPPA)))
TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-11, atol=1e-12)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("method", ["log_prob", "variance"])
def test_matches_pytorch_with_gradients_across_the_split(torch, method, dtype):
    results = []
    for framework in (tg, torch):
        module = distributions if framework is tg else torch.distributions
        leaves = [framework.tensor(a, dtype=getattr(framework, dtype), requires_grad=True) for a in (LOC, KAPPA,
                                                                                                    VALUES)]
        dist = module.VonMises(leaves[0], leaves[1])
        results.append((dist.log_prob(leaves[2]) if method == "log_prob" else dist.variance, leaves))
    (ours, our_leaves), (theirs, their_leaves) = results
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), **TOLERANCE[dtype])
    upstream = numpy.random.default_rng(4).standard_normal(ours.shape).astype(dtype)
    our_grads = grad(ours, our_leaves, Tensor(upstream), allow_unused=True)
    their_grads = torch.autograd.grad(theirs, their_leaves, torch.from_numpy(upstream), allow_unused=True)
    for mine, other in zip(our_grads, their_grads, strict=True):
        assert (mine is None) == (other is None)
        if mine is not None:
            numpy.testing.assert_allclose(mine.numpy(), other.numpy(), **TOLERANCE[dtype])


def _bessel_series(order, x, terms=400):
    """Iₙ(x) = Σₘ (x/2)^(2m + n) / (m! (m + n)!), summed in logs."""
    m = numpy.arange(terms)[:, None]
    log_terms = (2 * m + order) * numpy.log(x / 2) - numpy.vectorize(math.lgamma)(m + 1) \
        - numpy.vectorize(math.lgamma)(m + order + 1)
    top = log_terms.max(0)
    return top + numpy.log(numpy.exp(log_terms - top).sum(0))


@pytest.mark.parametrize("order", [0, 1])
def test_bessel_approximations_are_within_their_published_error(order):
    x = numpy.concatenate([numpy.linspace(0.01, 3.74, 50), numpy.linspace(3.75, 80.0, 50)])
    ours = log_modified_bessel(tg.tensor(x), order).numpy()
    # Abramowitz and Stegun bound the error by 1.6e-7 (I₀) and 8e-9 (I₁/x) below 3.75, and above it by
    # 1.9e-7 and 2.2e-7 on √x e⁻ˣ Iₙ(x) ≈ 0.4: in logs, relative errors up to 5.5e-7
    numpy.testing.assert_allclose(ours, _bessel_series(order, x), rtol=0, atol=6e-7)


def test_the_density_integrates_to_1_over_a_turn():
    points = 20_000
    x = -math.pi + (numpy.arange(points) + 0.5) * 2 * math.pi / points
    dist = distributions.VonMises(tg.tensor(LOC), tg.tensor(KAPPA))
    density = dist.log_prob(tg.tensor(x[:, None])).exp().numpy()
    numpy.testing.assert_allclose(density.mean(0) * 2 * math.pi, 1.0, atol=5e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_samples_have_the_circular_moments(dtype):
    """E cos(X − μ) = I₁/I₀ = 1 − variance, E sin(X − μ) = 0 and E cos 2(X − μ) = I₂/I₀ =
    1 − 2(I₁/I₀)/κ, each within 5 standard errors of 20 000 draws."""
    draws = 20_000
    dist = distributions.VonMises(tg.tensor(LOC, dtype=dtype), tg.tensor(KAPPA, dtype=dtype))
    tg.manual_seed(0)
    x = dist.sample((draws,))
    assert x.dtype == dtype and x.shape == (draws, len(KAPPA))
    x = x.numpy().astype("float64")
    assert x.min() >= -math.pi and x.max() <= math.pi
    ratio = numpy.exp(_bessel_series(1, KAPPA) - _bessel_series(0, KAPPA))
    for statistic, expected in ((numpy.cos(x - LOC), ratio), (numpy.sin(x - LOC), 0 * ratio),
                                (numpy.cos(2 * (x - LOC)), 1 - 2 * ratio / KAPPA)):
        error = numpy.abs(statistic.mean(0) - expected) / (statistic.std(0) / numpy.sqrt(draws) + 1e-12)
        assert error.max() < 5, f"off by {error.max():.1f} standard errors"


def test_samples_repeat_after_the_same_seed_and_carry_no_gradient():
    loc = tg.tensor(LOC, requires_grad=True)
    dist = distributions.VonMises(loc, tg.tensor(KAPPA))
    tg.manual_seed(1)
    first = dist.sample((3,))
    tg.manual_seed(1)
    assert tg.equal(first, dist.sample((3,))) and not first.requires_grad
    assert not dist.has_rsample
    with pytest.raises(NotImplementedError, match="has no reparameterized sampler"):
        dist.rsample()


INVALID = {
    "concentration 0": lambda D, t: D.VonMises(0.0, 0.0),
    "concentration negative": lambda D, t: D.VonMises(t([0.0, 1.0]), t([1.0, -1.0])),
    "loc NaN": lambda D, t: D.VonMises(float("nan"), 1.0),
    "value NaN": lambda D, t: D.VonMises(0.0, 1.0).log_prob(t(float("nan"))),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])
