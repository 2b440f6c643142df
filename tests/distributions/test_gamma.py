"""Gamma: P(α, z) and ∂P/∂α against mpmath, the implicit gradient of a sample against
mpmath's inverse of P, the gradient statistics of rsample against PyTorch's, the cdf
against PyTorch's (values, gradient in the value, samples), and refusals."""

from __future__ import annotations

import mpmath
import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.distributions.incomplete_gamma import regularized_gamma_p_values, standard_gamma_slope_values

mpmath.mp.dps = 40
ALPHAS = [0.01, 0.1, 0.5, 1.0, 2.5, 10.0, 100.0, 1000.0]


def _points():
    """(α, z) from the lower tail to far in the upper one, both sides of z = α + 1."""
    rows = []
    for a in ALPHAS:
        s = max(a, 1.0) ** 0.5
        rows += [(a, z) for z in (a * 1e-3, a * 0.5, max(a - 3 * s, a * 0.1), a + 1 - 1e-9, a + 1, a + 1.5,
                                  a + 3 * s, a + 8 * s, a + 30 * s)]
    return numpy.array(rows).T


def _exact_dp_da(a, z):
    """∂P/∂α from mpmath, through Q where P is near 1 (so that its digits survive)."""
    lower = lambda al: mpmath.gammainc(al, 0, z, regularized=True)  # noqa: E731
    upper = lambda al: mpmath.gammainc(al, z, mpmath.inf, regularized=True)  # noqa: E731
    return mpmath.diff(lower, a) if lower(a) < 0.5 else -mpmath.diff(upper, a)


def test_p_and_its_derivative_in_alpha_match_mpmath():
    a, z = _points()
    p, dp_da = regularized_gamma_p_values(numpy, a, z)
    for ai, zi, pi, di in zip(a, z, p, dp_da, strict=True):
        exact = _exact_dp_da(ai, zi)
        if abs(exact) < 1e-300:  # below float64's smallest numbers
            assert di == 0
            continue
        # measured: 1e-13 up to α = 100, 2e-12 at α = 1000 (the exponent of z^α e^(−z)/Γ(α))
        assert abs((di - exact) / exact) < (1e-13 if ai <= 100 else 3e-12), (ai, zi)
        # P's own error is that exponent's rounding too: 2e-16 for each unit of |α log z|
        assert abs(pi - mpmath.gammainc(ai, 0, zi, regularized=True)) < 2e-16 * (10 + abs(ai * numpy.log(zi))), (ai, zi)


@pytest.mark.parametrize("u", [1e-6, 0.05, 0.5, 0.95, 1 - 1e-6])
@pytest.mark.parametrize("alpha", [0.05, 0.7, 3.0, 40.0])
def test_implicit_gradient_matches_the_derivative_of_mpmaths_inverse(alpha, u):
    def quantile(a):  # z(α) = P⁻¹(α, u): bisection on s = log z, then Newton's steps
        def residual(s):
            return mpmath.gammainc(a, 0, mpmath.exp(s), regularized=True) - u

        low, high = mpmath.mpf(-500), mpmath.log(a + 60 * mpmath.sqrt(a) + 60)
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (middle, high) if residual(middle) < 0 else (low, middle)
        s = (low + high) / 2
        for _ in range(4):  # dP/ds = p(z)·z = z^α e^(−z)/Γ(α)
            z = mpmath.exp(s)
            s -= residual(s) / (z**a * mpmath.exp(-z) / mpmath.gamma(a))
        return mpmath.exp(s)

    def derivative(a, h):  # central difference at 40 digits: errors h² and 1e-36/h, both ~1e-24
        return (quantile(a + h) - quantile(a - h)) / (2 * h)

    z = quantile(mpmath.mpf(alpha))
    exact = derivative(mpmath.mpf(alpha), mpmath.mpf(alpha) * 1e-12)
    ours = standard_gamma_slope_values(numpy, numpy.array([alpha]), numpy.array([float(z)]))[0]
    # z rounded to float64 moves dz/dα by about its relative 1e-16 times d log(dz/dα)/d log z
    assert abs(ours - exact) < 1e-12 * abs(exact), (ours, float(exact))


def test_rsample_gradient_means_match_pytorchs(torch):
    """d(Σ z)/dα over 20 000 draws, divided by their number: E[dz/dα] = dE[z]/dα = 1/β,
    and PyTorch's sample gradient has the same mean."""
    alpha, beta = numpy.array([0.3, 1.0, 4.0]), numpy.array([0.5, 1.0, 2.0])
    draws = 20_000
    means = []
    for framework in (tg, torch):
        framework.manual_seed(0)
        a, b = framework.tensor(alpha, requires_grad=True), framework.tensor(beta, requires_grad=True)
        z = framework.distributions.Gamma(a, b).rsample((draws,))
        z.sum().backward()
        means.append((a.grad.numpy() / draws, b.grad.numpy() / draws))
        if framework is tg:  # each draw's dz/dα = (dz₁/dα)/β, z₁ = βz the Gamma(α, 1) draw
            per_draw = standard_gamma_slope_values(numpy, alpha + 0 * z.detach().numpy(),
                                                   (z.detach().numpy() * beta).astype("float64")) / beta
            numpy.testing.assert_allclose(means[0][0], per_draw.mean(0), rtol=1e-10)
            # five standard errors of a mean of 20 000: passed by chance with probability 1 − 6e-7
            bound = 5 * per_draw.std(0) / numpy.sqrt(draws)
            sample_mean_z = z.detach().numpy().mean(0)
    (ours_a, ours_b), (theirs_a, theirs_b) = means
    assert numpy.all(numpy.abs(ours_a - 1 / beta) < bound), (ours_a, 1 / beta, bound)
    # a difference of two independent means: √2 standard errors
    assert numpy.all(numpy.abs(ours_a - theirs_a) < numpy.sqrt(2) * bound), (ours_a, theirs_a, bound)
    # dz/dβ = −z/β exactly, and PyTorch's within the same kind of bound
    numpy.testing.assert_allclose(ours_b, -sample_mean_z / beta, rtol=1e-10)
    assert numpy.all(numpy.abs(theirs_b + alpha / beta**2) < 5 * numpy.sqrt(alpha / draws) / beta**2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cdf_matches_pytorch_with_the_gradient_in_the_value(torch, dtype):
    alpha, beta = numpy.array([[0.05, 0.5, 1.0], [3.0, 20.0, 300.0]]), numpy.array([0.5, 1.0, 2.0])
    value = numpy.array([[1e-3, 0.2, 1.0], [1.5, 10.0, 160.0]])
    results = []
    for framework in (tg, torch):
        x = framework.tensor(value, dtype=getattr(framework, dtype), requires_grad=True)
        dist = framework.distributions.Gamma(framework.tensor(alpha, dtype=getattr(framework, dtype)),
                                            framework.tensor(beta, dtype=getattr(framework, dtype)))
        cdf = dist.cdf(x)
        cdf.sum().backward()
        results.append((cdf.detach().numpy(), x.grad.numpy()))
    # PyTorch's igamma at α = 300 is off by 6e-11 (mpmath's 0.87475009086201319...; ours 0.8747500908620168)
    tolerance = dict(rtol=1e-10, atol=1e-15) if dtype == "float64" else dict(rtol=2e-6, atol=1e-7)
    for ours, theirs in zip(*results, strict=True):
        assert ours.dtype == dtype
        numpy.testing.assert_allclose(ours, theirs, **tolerance)


def test_cdf_gradient_in_alpha_matches_mpmath():
    alpha = tg.tensor([0.3, 2.0, 50.0], dtype=tg.float64, requires_grad=True)
    value = [0.4, 3.5, 45.0]
    tg.distributions.Gamma(alpha, 1.0).cdf(tg.tensor(value, dtype=tg.float64)).sum().backward()
    expected = [float(_exact_dp_da(a, z)) for a, z in zip([0.3, 2.0, 50.0], value, strict=True)]
    numpy.testing.assert_allclose(alpha.grad.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("alpha", [0.2, 1.0, 7.5])
def test_samples_follow_pytorchs_cdf(torch, alpha):
    draws = 20_000
    tg.manual_seed(0)
    samples = numpy.sort(tg.distributions.Gamma(tg.tensor(alpha, dtype=tg.float64), 2.0).sample((draws,)).numpy())
    cdf = torch.distributions.Gamma(torch.tensor(alpha, dtype=torch.float64), 2.0).cdf(torch.from_numpy(samples))
    steps = numpy.arange(draws + 1) / draws
    distance = numpy.maximum(steps[1:] - cdf.numpy(), cdf.numpy() - steps[:-1]).max()
    assert numpy.sqrt(draws) * distance < 1.95  # Kolmogorov's limit law: passed with probability 0.999


def test_tiny_concentrations_give_positive_finite_samples():
    tg.manual_seed(0)
    for dtype in ("float32", "float64"):
        z = tg.distributions.Gamma(tg.tensor([1e-3, 0.02], dtype=dtype), 1.0).sample((2000,)).numpy()
        assert z.dtype == dtype and (z > 0).all() and numpy.isfinite(z).all()


def test_chi2_is_the_gamma_of_half_the_degrees_of_freedom(torch):
    df = tg.tensor([1.0, 3.0, 10.0], dtype=tg.float64)
    ours = tg.distributions.Chi2(df)
    assert ours.concentration.tolist() == [0.5, 1.5, 5.0] and ours.rate.tolist() == [0.5] * 3
    assert ours.df.tolist() == df.tolist() and ours.expand((2, 3)).df.shape == (2, 3)
    value = tg.tensor([0.5, 2.0, 12.0], dtype=tg.float64)
    expected = torch.distributions.Chi2(torch.from_numpy(df.numpy())).cdf(torch.from_numpy(value.numpy()))
    numpy.testing.assert_allclose(ours.cdf(value).numpy(), expected.numpy(), rtol=1e-12)


NAN = float("nan")
INVALID = {
    "Gamma concentration": lambda D, t: D.Gamma(0.0, 1.0),
    "Gamma rate": lambda D, t: D.Gamma(t([1.0, 2.0]), 0.0),
    "Gamma value": lambda D, t: D.Gamma(1.0, 1.0).log_prob(t(-1.0)),
    "Gamma cdf": lambda D, t: D.Gamma(1.0, 1.0).cdf(t(NAN)),
    "Chi2 df": lambda D, t: D.Chi2(-1.0),
    "Chi2 value": lambda D, t: D.Chi2(2.0).log_prob(t(-0.5)),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])


def test_strict_device_cdf_and_its_gradients(strict_cuda):
    results = {}
    for device in ("cpu", "cuda"):
        alpha = tg.tensor([0.5, 4.0], dtype=tg.float64, device=device, requires_grad=True)
        value = tg.tensor([0.3, 6.0], dtype=tg.float64, device=device, requires_grad=True)
        cdf = tg.distributions.Gamma(alpha, 1.5).cdf(value)
        assert cdf.device == device
        cdf.sum().backward()
        results[device] = [cdf.detach().numpy(), alpha.grad.numpy(), value.grad.numpy()]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)
