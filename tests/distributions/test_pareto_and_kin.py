"""Pareto, InverseGamma, Kumaraswamy, FisherSnedecor and GeneralizedPareto: every method
against PyTorch's numbers, built as PyTorch builds them (TransformedDistributions where
PyTorch's are), reparameterized gradients against finite differences, samples by shape,
support and moments, the KL pairs PyTorch registers with a Pareto, and refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.check import gradcheck

RNG = numpy.random.default_rng(11)
SCALE, ALPHA = RNG.uniform(0.5, 2.0, (2, 3)), numpy.array([[0.5, 1.0, 1.5], [2.0, 2.5, 4.0]])
A, B = RNG.uniform(0.5, 3.0, (2, 3)), numpy.array([[0.5, 1.0, 1.5], [2.0, 3.0, 0.8]])
DF1, DF2 = numpy.array([[1.0, 2.0, 3.0], [4.5, 8.0, 0.7]]), numpy.array([[1.5, 2.0, 3.0], [4.0, 6.0, 9.0]])
LOC, XI = RNG.standard_normal((2, 3)), numpy.array([[-1.0, -0.4, 0.0], [0.3, 0.6, 1.2]])
U = RNG.uniform(0.05, 0.95, (4, 2, 3))  # probabilities for icdf, and values on (0, 1)
ABOVE_SCALE = SCALE * numpy.exp(RNG.exponential(1.0, (4, 2, 3)))
POSITIVE = RNG.exponential(1.0, (4, 2, 3)) + 0.05
# inside [μ, μ − σ/ξ] for ξ < 0, above μ otherwise
GP_VALUES = LOC + SCALE * numpy.where(XI < 0, U * -1 / numpy.where(XI < 0, XI, -1.0), -numpy.log1p(-U))

FAMILIES = {
    "Pareto": lambda D, t: D.Pareto(t(SCALE), t(ALPHA)),
    "InverseGamma": lambda D, t: D.InverseGamma(t(A), t(B)),
    "Kumaraswamy": lambda D, t: D.Kumaraswamy(t(A), t(B)),
    "FisherSnedecor": lambda D, t: D.FisherSnedecor(t(DF1), t(DF2)),
    "GeneralizedPareto": lambda D, t: D.GeneralizedPareto(t(LOC), t(SCALE), t(XI)),
}
VALUES = {"Pareto": ABOVE_SCALE, "InverseGamma": POSITIVE, "Kumaraswamy": U, "FisherSnedecor": POSITIVE,
          "GeneralizedPareto": GP_VALUES}
# what PyTorch defines for each family, besides log_prob, mean, variance and stddev
EXTRA = {"Pareto": ("mode", "entropy", "cdf", "icdf"), "InverseGamma": ("mode", "entropy", "cdf"),
         "Kumaraswamy": ("entropy", "cdf", "icdf"), "FisherSnedecor": ("mode",),
         "GeneralizedPareto": ("mode", "entropy", "icdf")}


def _call(family, method):
    """``call(D, t)``: ``method`` of the family, a property or a function of its values."""
    def call(D, t):
        dist = FAMILIES[family](D, t)
        if method in ("log_prob", "cdf"):
            return getattr(dist, method)(t(VALUES[family]))
        if method == "icdf":
            return dist.icdf(t(U))
        return dist.entropy() if method == "entropy" else getattr(dist, method)
    return call


CALLS = {f"{family} {method}": _call(family, method) for family in FAMILIES
         for method in ("log_prob", "mean", "variance", "stddev") + EXTRA[family]
         if not (family == "GeneralizedPareto" and method == "log_prob")}  # PyTorch's needs float32, below


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN and ∞ moments and modes, as PyTorch's
@pytest.mark.parametrize("label", CALLS)
def test_matches_pytorch_in_float64(same_as_pytorch, label):
    same_as_pytorch(CALLS[label], rtol=1e-10)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("label", CALLS)
def test_matches_pytorch_in_float32(torch, label):
    ours = CALLS[label](distributions, lambda v: tg.tensor(v, dtype=tg.float32))
    theirs = CALLS[label](torch.distributions, lambda v: torch.tensor(v, dtype=torch.float32))
    assert ours.dtype == tg.float32
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["log_prob", "cdf", "log_cdf", "log_survival_function"])
def test_generalized_pareto_matches_pytorch_in_float32(torch, method):
    # PyTorch 2.13 compares ξ with a float32 zero in these, so they run in float32 alone there
    def run(framework, module):
        make = lambda v: framework.tensor(v, dtype=framework.float32)  # noqa: E731
        dist = module.GeneralizedPareto(make(LOC), make(SCALE), make(XI))
        return getattr(dist, method)(make(GP_VALUES))

    ours, theirs = run(tg, distributions), run(torch, torch.distributions)
    assert ours.dtype == tg.float32
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_generalized_pareto_log_prob_in_float64_is_the_closed_form():
    # −log σ − (1/ξ + 1) log(1 + ξz), −log σ − z at ξ = 0, −log σ at ξ = −1 (a uniform)
    z = (GP_VALUES - LOC) / SCALE
    safe = numpy.where(XI == 0, 1.0, XI)
    expected = -numpy.log(SCALE) - numpy.where(XI == 0, z, (1 / safe + 1) * numpy.log1p(safe * z))
    ours = distributions.GeneralizedPareto(tg.tensor(LOC), tg.tensor(SCALE), tg.tensor(XI)).log_prob(
        tg.tensor(GP_VALUES))
    numpy.testing.assert_allclose(ours.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("family", ["Pareto", "InverseGamma", "Kumaraswamy"])
def test_is_built_as_pytorch_builds_it(torch, family):
    ours, theirs = FAMILIES[family](distributions, tg.tensor), FAMILIES[family](torch.distributions, torch.tensor)
    assert isinstance(ours, distributions.TransformedDistribution) and ours.has_rsample
    assert type(ours.base_dist).__name__ == type(theirs.base_dist).__name__
    assert [type(t).__name__ for t in ours.transforms] == [type(t).__name__ for t in theirs.transforms]


@pytest.mark.parametrize("family", FAMILIES)
def test_shapes_repr_support_and_expand_match_pytorch(torch, family):
    ours, theirs = FAMILIES[family](distributions, tg.tensor), FAMILIES[family](torch.distributions, torch.tensor)
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    assert repr(ours) == repr(theirs) and ours.has_rsample == theirs.has_rsample
    assert type(ours.support).__name__ == type(theirs.support).__name__.lstrip("_")
    wide_ours, wide_theirs = ours.expand((4, 2, 3)), theirs.expand((4, 2, 3))
    assert type(wide_ours) is type(ours) and wide_ours.batch_shape == (4, 2, 3)
    numpy.testing.assert_allclose(wide_ours.mean.numpy(), wide_theirs.mean.numpy(), rtol=1e-10)
    value = VALUES[family]
    if family != "GeneralizedPareto":  # PyTorch's log_prob needs float32 there
        numpy.testing.assert_allclose(wide_ours.log_prob(tg.tensor(value)).numpy(),
                                      wide_theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-10)


def test_scalar_parameters_give_float32_and_an_empty_batch(torch):
    for family, args in {"Pareto": (1.0, 3.0), "InverseGamma": (2.0, 3.0), "Kumaraswamy": (2.0, 3.0),
                         "FisherSnedecor": (3.0, 5.0), "GeneralizedPareto": (0.0, 1.0, 0.5)}.items():
        ours, theirs = getattr(distributions, family)(*args), getattr(torch.distributions, family)(*args)
        assert ours.batch_shape == () == tuple(theirs.batch_shape) and ours.mean.dtype == tg.float32
        assert repr(ours) == repr(theirs)


def test_kumaraswamy_mode_is_where_the_density_peaks():
    """d/dx log p = 0 at the mode ((a − 1)/(ab − 1))^(1/a) for a > 1 and b > 1; the mode is
    0 for a = 1 < b (a decreasing density), 1 for b = 1 < a (an increasing one), and NaN
    where the density has no peak (PyTorch 2.13 gives NaN for every b ≠ 1)."""
    a, b = numpy.array([2.0, 1.5, 3.0, 1.0, 3.0, 0.5, 2.0, 1.0]), numpy.array([2.0, 4.0, 1.5, 2.0, 1.0, 2.0, 0.5, 1.0])
    mode = distributions.Kumaraswamy(tg.tensor(a), tg.tensor(b)).mode.numpy()
    interior = (a > 1) & (b > 1)
    assert (mode[(a == 1) & (b > 1)] == 0).all() and (mode[(a > 1) & (b == 1)] == 1).all()
    assert numpy.isnan(mode[(a < 1) | (b < 1) | ((a == 1) & (b == 1))]).all()
    x = Tensor(mode[interior], requires_grad=True)
    distributions.Kumaraswamy(tg.tensor(a[interior]), tg.tensor(b[interior])).log_prob(x).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 0.0, atol=1e-9)


RSAMPLE_ARGS = {
    "Pareto": (SCALE, ALPHA),
    "InverseGamma": (A + 1, B),
    "Kumaraswamy": (A, B),
    "FisherSnedecor": (DF1 + 1, DF2),
    "GeneralizedPareto": (LOC, SCALE, XI + 0.05),  # ξ away from 0, where isclose switches formulas
}


@pytest.mark.parametrize("family", ["Pareto", "Kumaraswamy", "GeneralizedPareto"])
def test_rsample_gradients_match_finite_differences(family):
    """Samples that are smooth maps of uniform or exponential noise (not of Gamma samples, whose
    rejection sampler jumps under a finite difference of the concentration: tested below)."""
    def rsample(*params):
        tg.manual_seed(3)
        return getattr(distributions, family)(*params).rsample((3,))

    assert gradcheck(rsample, [Tensor(p, requires_grad=True) for p in RSAMPLE_ARGS[family]])


def _standard_gamma_grad(z, alpha):
    """dz/dα of Gamma(α, 1) samples z by the implicit derivative −(∂P(α, z)/∂α)/p(z), P the
    CDF, whose gradient in α test_gamma.py checks against mpmath."""
    alpha = Tensor(numpy.broadcast_to(alpha, z.shape).copy(), requires_grad=True)
    gamma = distributions.Gamma(alpha, 1.0)
    gamma.cdf(tg.tensor(z)).sum().backward()
    return -alpha.grad.numpy() / gamma.log_prob(tg.tensor(z)).exp().detach().numpy()


def test_inverse_gamma_rsample_gradients_follow_the_gamma_samples():
    # y = β/z, z ~ Gamma(α, 1): dy/dβ = 1/z, dy/dα = −β/z²·dz/dα
    alpha, beta = (Tensor(p, requires_grad=True) for p in RSAMPLE_ARGS["InverseGamma"])
    tg.manual_seed(3)
    z = distributions.Gamma(alpha.detach(), 1.0).sample((3,)).numpy()
    tg.manual_seed(3)
    y = distributions.InverseGamma(alpha, beta).rsample((3,))
    numpy.testing.assert_allclose(y.detach().numpy(), beta.numpy() / z, rtol=1e-12)
    y.sum().backward()
    numpy.testing.assert_allclose(beta.grad.numpy(), (1 / z).sum(0), rtol=1e-10)
    expected = (-beta.numpy() / z**2 * _standard_gamma_grad(z, alpha.numpy())).sum(0)
    numpy.testing.assert_allclose(alpha.grad.numpy(), expected, rtol=1e-8)


def test_fishersnedecor_rsample_gradients_follow_the_gamma_samples():
    # y = (z₁/d₁)/(z₂/d₂), zᵢ ~ Gamma(dᵢ/2, 1): ∂y/∂d₁ = y·(½·dz₁/dα/z₁ − 1/d₁), ∂y/∂d₂ = −y·(½·dz₂/dα/z₂ − 1/d₂)
    df1, df2 = (Tensor(p, requires_grad=True) for p in RSAMPLE_ARGS["FisherSnedecor"])
    tg.manual_seed(3)
    z1 = distributions.Gamma(df1.detach() / 2, 1.0).sample((3,)).numpy()
    z2 = distributions.Gamma(df2.detach() / 2, 1.0).sample((3,)).numpy()
    tg.manual_seed(3)
    y = distributions.FisherSnedecor(df1, df2).rsample((3,))
    d1, d2 = df1.numpy(), df2.numpy()
    expected_y = (z1 / d1) / (z2 / d2)
    numpy.testing.assert_allclose(y.detach().numpy(), expected_y, rtol=1e-12)
    y.sum().backward()
    dz1, dz2 = _standard_gamma_grad(z1, d1 / 2), _standard_gamma_grad(z2, d2 / 2)
    numpy.testing.assert_allclose(df1.grad.numpy(), (expected_y * (0.5 * dz1 / z1 - 1 / d1)).sum(0), rtol=1e-8)
    numpy.testing.assert_allclose(df2.grad.numpy(), (-expected_y * (0.5 * dz2 / z2 - 1 / d2)).sum(0), rtol=1e-8)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_samples_have_the_shape_dtype_and_support(family, dtype):
    tg.manual_seed(0)
    dist = getattr(distributions, family)(*[tg.tensor(p, dtype=dtype) for p in RSAMPLE_ARGS[family]])
    x = dist.sample((500,))
    assert x.shape == (500, 2, 3) and x.dtype == tg.dtype(dtype) and not x.requires_grad
    assert bool(dist.support.check(x).all())


# parameters with finite fourth moments, so that the sample mean's standard error is known
MOMENT_ARGS = {
    "Pareto": (SCALE, ALPHA + 4.5),
    "InverseGamma": (A + 4.5, B),
    "Kumaraswamy": (A, B),
    "FisherSnedecor": (DF1 + 1, DF2 + 8.5),
    "GeneralizedPareto": (LOC, SCALE, XI / 5),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_sample_moments_match_pytorchs_mean_and_variance(torch, family):
    draws = 40_000
    tg.manual_seed(1)
    ours = getattr(distributions, family)(*[tg.tensor(p) for p in MOMENT_ARGS[family]])
    theirs = getattr(torch.distributions, family)(*[torch.tensor(p) for p in MOMENT_ARGS[family]])
    x = ours.sample((draws,)).numpy()
    mean, variance = theirs.mean.numpy(), theirs.variance.numpy()
    # 6 standard errors of the mean; the variance within 25%
    assert (numpy.abs(x.mean(0) - mean) < 6 * numpy.sqrt(variance / draws)).all()
    numpy.testing.assert_allclose(x.var(0), variance, rtol=0.25)


# KL divergences with a Pareto: label -> (family of p, p's arguments, family of q, q's arguments)
KL_PAIRS = {
    "Pareto Pareto": ("Pareto", (SCALE, ALPHA), "Pareto", (SCALE[::-1].copy(), ALPHA[:, ::-1].copy())),
    "Pareto Exponential": ("Pareto", (SCALE, ALPHA), "Exponential", (B + 0.5,)),
    "Pareto Gamma": ("Pareto", (SCALE, ALPHA), "Gamma", (A, B + 0.5)),
    "Pareto Normal": ("Pareto", (SCALE, ALPHA), "Normal", (LOC, SCALE[::-1].copy())),
    "Uniform Pareto": ("Uniform", (SCALE * 0.8, SCALE + 1), "Pareto", (SCALE[:, ::-1].copy(), ALPHA)),
    "Pareto Uniform": ("Pareto", (SCALE, ALPHA), "Uniform", (LOC, SCALE + 3)),
    "Pareto Beta": ("Pareto", (SCALE, ALPHA), "Beta", (A, B)),
    "Normal Pareto": ("Normal", (LOC, SCALE), "Pareto", (SCALE, ALPHA)),
    "Exponential Pareto": ("Exponential", (B,), "Pareto", (SCALE, ALPHA)),
    "Gamma Pareto": ("Gamma", (A, B), "Pareto", (SCALE, ALPHA)),
    "Beta Pareto": ("Beta", (A, B), "Pareto", (SCALE, ALPHA)),
    "Gumbel Pareto": ("Gumbel", (LOC, SCALE), "Pareto", (SCALE, ALPHA)),
    "Laplace Pareto": ("Laplace", (LOC, SCALE), "Pareto", (SCALE, ALPHA)),
}


CLOSED_FORM_PAIRS = ("Pareto Pareto", "Pareto Exponential", "Pareto Gamma", "Pareto Normal", "Uniform Pareto")


def _kl(module, pair, make):
    family_p, args_p, family_q, args_q = pair
    p = getattr(module, family_p)(*[make(a) for a in args_p])
    q = getattr(module, family_q)(*[make(a) for a in args_q])
    return module.kl_divergence(p, q)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("label", KL_PAIRS)
def test_kl_matches_pytorch(same_as_pytorch, label):
    kl = same_as_pytorch(lambda D, t: _kl(D, KL_PAIRS[label], t), rtol=1e-10)
    # finite somewhere for the pairs of closed forms, ∞ everywhere for the others
    assert numpy.isfinite(kl).any() == (label in CLOSED_FORM_PAIRS)


@pytest.mark.parametrize("label", CLOSED_FORM_PAIRS)
def test_finite_kl_gradients_match_finite_differences(label):
    family_p, args_p, family_q, args_q = KL_PAIRS[label]
    # parameters where the KL is finite: p's scale above q's, α above 2
    if family_p == "Pareto":
        args_p = (SCALE + 2, ALPHA + 2)
    else:
        args_p = (SCALE + 2, SCALE + 3)
    leaves = [Tensor(a, requires_grad=True) for a in args_p + args_q]

    def kl(*params):
        p = getattr(distributions, family_p)(*params[: len(args_p)])
        q = getattr(distributions, family_q)(*params[len(args_p):])
        return distributions.kl_divergence(p, q)

    assert numpy.isfinite(kl(*leaves).numpy()).all()
    assert gradcheck(kl, leaves)


INVALID = {
    "Pareto scale": lambda D, t: D.Pareto(t([1.0, -1.0]), 2.0),
    "Pareto alpha": lambda D, t: D.Pareto(1.0, 0.0),
    "Pareto value below the scale": lambda D, t: D.Pareto(2.0, 2.0).log_prob(t(1.0)),
    "InverseGamma concentration": lambda D, t: D.InverseGamma(t([1.0, -1.0]), 1.0),
    "InverseGamma value": lambda D, t: D.InverseGamma(1.0, 1.0).log_prob(t(-1.0)),
    "Kumaraswamy concentration0": lambda D, t: D.Kumaraswamy(1.0, t([1.0, 0.0])),
    "Kumaraswamy value": lambda D, t: D.Kumaraswamy(1.0, 2.0).log_prob(t(1.5)),
    "FisherSnedecor df2": lambda D, t: D.FisherSnedecor(1.0, t([1.0, -2.0])),
    "FisherSnedecor value": lambda D, t: D.FisherSnedecor(1.0, 2.0).log_prob(t(-1.0)),
    "GeneralizedPareto scale": lambda D, t: D.GeneralizedPareto(0.0, t([1.0, 0.0]), 0.5),
    "GeneralizedPareto value": lambda D, t: D.GeneralizedPareto(0.0, 1.0, -0.5).log_prob(t(2.5)),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 1/b of b = 0 is taken before the check, as in PyTorch
@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])
