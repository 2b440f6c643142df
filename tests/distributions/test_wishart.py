"""Wishart against PyTorch's: every method with gradients for the three ways of giving the
scale, in float64 and float32; shapes, expand and repr; the refusals and warnings; the
gradients of Bartlett samples; samples by support and moments; the entropy and KL
divergence of the exponential family."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.check import gradcheck

RNG = numpy.random.default_rng(31)
A = RNG.standard_normal((2, 3, 3))
COVARIANCE = A @ A.swapaxes(-1, -2) + numpy.eye(3)
DF = numpy.array([3.5, 6.0])
MATRICES = {"covariance_matrix": COVARIANCE, "precision_matrix": numpy.linalg.inv(COVARIANCE),
            "scale_tril": numpy.linalg.cholesky(COVARIANCE)}


def _values(torch, shape=(4,)):
    """Positive-definite matrices drawn by PyTorch's Wishart of the same parameters."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch 2.13 warns of singular samples for every draw
        dist = torch.distributions.Wishart(torch.tensor(DF), covariance_matrix=torch.tensor(COVARIANCE))
        return dist.sample(shape).numpy()


METHODS = ("log_prob", "entropy", "mean", "mode", "variance", "stddev")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN modes where ν ≤ n + 1, as PyTorch's
@pytest.mark.parametrize("given", MATRICES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_pytorch_with_gradients(torch, given, method, dtype):
    values = _values(torch)
    results = []
    for framework in (tg, torch):
        df = framework.tensor(DF, dtype=getattr(framework, dtype), requires_grad=True)
        matrix = framework.tensor(MATRICES[given], dtype=getattr(framework, dtype), requires_grad=True)
        dist = framework.distributions.Wishart(df, **{given: matrix})
        if method == "log_prob":
            out = dist.log_prob(framework.tensor(values, dtype=getattr(framework, dtype)))
        else:
            out = dist.entropy() if method == "entropy" else getattr(dist, method)
        finite = framework.where(out.isnan(), 0.0, out)
        finite.sum().backward()
        results.append([out.detach().numpy(), df.grad.numpy(), matrix.grad.numpy()])
    tolerance = dict(rtol=1e-10, atol=1e-10) if dtype == "float64" else dict(rtol=2e-4, atol=2e-4)
    if method == "entropy" and dtype == "float64":
        tolerance = dict(rtol=1e-9, atol=1e-10)  # its gradient in ν goes through PyTorch's trigamma, good to 5e-10
    for ours, theirs in zip(*results, strict=True):
        assert ours.dtype == dtype
        numpy.testing.assert_allclose(ours, theirs, **tolerance)


def test_shapes_repr_and_expand_match_pytorch(torch):
    ours = distributions.Wishart(tg.tensor(DF), scale_tril=tg.tensor(MATRICES["scale_tril"]))
    theirs = torch.distributions.Wishart(torch.tensor(DF), scale_tril=torch.tensor(MATRICES["scale_tril"]))
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape)) == ((2,),
                                                                                                           (3, 3))
    assert repr(ours) == repr(theirs) and isinstance(ours, distributions.ExponentialFamily)
    wide_ours, wide_theirs = ours.expand((4, 2)), theirs.expand((4, 2))
    assert type(wide_ours) is distributions.Wishart and wide_ours.batch_shape == (4, 2)
    assert wide_ours.scale_tril.shape == (4, 2, 3, 3) and repr(wide_ours) == repr(wide_theirs)
    value = _values(torch, (4,))
    numpy.testing.assert_allclose(wide_ours.log_prob(tg.tensor(value)).numpy(),
                                  wide_theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-10)
    scalar = distributions.Wishart(4.0, covariance_matrix=tg.tensor(COVARIANCE))
    assert scalar.batch_shape == (2,) and scalar.df.dtype == tg.float64


def _refused(torch, call, error):
    with pytest.raises(error) as theirs:
        call(torch.distributions, torch.tensor)
    with pytest.raises(error) as ours:
        call(distributions, tg.tensor)
    assert str(ours.value) == str(theirs.value)


INVALID = {
    "two matrices": (lambda D, t: D.Wishart(4.0, covariance_matrix=t(COVARIANCE[0]), scale_tril=t(COVARIANCE[0])),
                     AssertionError),
    "no matrix": (lambda D, t: D.Wishart(4.0), AssertionError),
    "a vector": (lambda D, t: D.Wishart(4.0, covariance_matrix=t([1.0, 2.0])), ValueError),
    "df too small": (lambda D, t: D.Wishart(2.0, covariance_matrix=t(COVARIANCE[0])), ValueError),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_in_pytorch(torch, label):
    call, error = INVALID[label]
    _refused(torch, call, error)


def test_a_value_off_the_support_is_refused_as_in_pytorch(refused_alike):
    refused_alike(lambda D, t: D.Wishart(4.0, covariance_matrix=t([[1.0, 0.0], [0.0, 1.0]])).log_prob(
        t([[1.0, 2.0], [2.0, 1.0]])))


def test_low_df_warns_as_in_pytorch(torch):
    for module, make in ((torch.distributions, torch.tensor), (distributions, tg.tensor)):
        with pytest.warns(UserWarning, match="Low df values detected"):
            module.Wishart(2.5, covariance_matrix=make(COVARIANCE[0]))


def test_samples_are_positive_definite_with_pytorchs_moments_and_no_warning(torch):
    draws = 20_000
    tg.manual_seed(0)
    dist = distributions.Wishart(tg.tensor(DF + 4), covariance_matrix=tg.tensor(COVARIANCE / 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Singular sample detected." for samples that are not
        x = dist.sample((draws,))
    assert x.shape == (draws, 2, 3, 3) and not x.requires_grad and bool(dist.support.check(x).all())
    theirs = torch.distributions.Wishart(torch.tensor(DF + 4), covariance_matrix=torch.tensor(COVARIANCE / 4))
    mean, variance = theirs.mean.numpy(), theirs.variance.numpy()
    x = x.numpy()
    assert (numpy.abs(x.mean(0) - mean) < 6 * numpy.sqrt(variance / draws)).all()
    numpy.testing.assert_allclose(x.var(0), variance, rtol=0.15)


def test_rsample_gradients_in_the_scale_match_finite_differences():
    def rsample(L):
        tg.manual_seed(5)
        return distributions.Wishart(tg.tensor(DF), scale_tril=L, validate_args=False).rsample((2,))

    assert gradcheck(rsample, [Tensor(MATRICES["scale_tril"], requires_grad=True)])


def test_rsample_gradient_in_df_is_the_chi2_samples():
    """For n = 1, X = σ²c with c = 2z, z ~ Gamma(ν/2, 1): dX/dν = σ²·dz/dα at α = ν/2, by the
    implicit derivative −(∂P(α, z)/∂α)/p(z) (P the Gamma CDF)."""
    df = Tensor(numpy.array([1.5, 4.0, 9.0]), requires_grad=True)
    sigma2 = numpy.array([[[0.5]], [[2.0]], [[1.0]]])
    tg.manual_seed(2)
    x = distributions.Wishart(df, covariance_matrix=tg.tensor(sigma2)).rsample((5,))
    x.sum().backward()
    z = x.detach().numpy()[..., 0, 0] / sigma2[:, 0, 0] / 2
    alpha = Tensor(numpy.broadcast_to(df.numpy() / 2, z.shape).copy(), requires_grad=True)
    gamma = distributions.Gamma(alpha, 1.0)
    gamma.cdf(tg.tensor(z)).sum().backward()
    dz = -alpha.grad.numpy() / gamma.log_prob(tg.tensor(z)).exp().detach().numpy()
    numpy.testing.assert_allclose(df.grad.numpy(), (sigma2[:, 0, 0] * dz).sum(0), rtol=1e-8)


def test_exponential_family_entropy_and_kl_match_pytorch(torch):
    ours = [distributions.Wishart(tg.tensor(DF + s), covariance_matrix=tg.tensor(COVARIANCE * (1 + s)))
            for s in (0.0, 0.5)]
    theirs = [torch.distributions.Wishart(torch.tensor(DF + s), covariance_matrix=torch.tensor(COVARIANCE * (1 + s)))
              for s in (0.0, 0.5)]
    numpy.testing.assert_allclose(distributions.ExponentialFamily.entropy(ours[0]).numpy(), ours[0].entropy().numpy(),
                                  rtol=1e-12)
    numpy.testing.assert_allclose(distributions.kl_divergence(*ours).numpy(),
                                  torch.distributions.kl_divergence(*theirs).detach().numpy(), rtol=1e-10)
