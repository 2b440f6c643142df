"""LowRankMultivariateNormal beyond the shared tests: its matrices against PyTorch's with
gradients, against a MultivariateNormal of the same covariance, batches that broadcast,
the KL pairs PyTorch registers with MultivariateNormal, sample covariances, and refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck

RNG = numpy.random.default_rng(11)
LOC, W, D = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2)), RNG.uniform(0.5, 2.0, (4, 1, 3))
TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-11, atol=1e-12)}
MATRICES = ("covariance_matrix", "precision_matrix", "scale_tril", "variance", "entropy", "log_prob")
VALUE = RNG.standard_normal((5, 4, 2, 3))


def _call(dist, method, make):
    if method == "entropy":
        return dist.entropy()
    if method == "log_prob":
        return dist.log_prob(make(VALUE))
    return getattr(dist, method)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("method", MATRICES)
def test_broadcast_batches_match_pytorch_with_gradients(torch, method, dtype):
    results = []
    for framework in (tg, torch):
        module = distributions if framework is tg else torch.distributions
        leaves = [framework.tensor(a, dtype=getattr(framework, dtype), requires_grad=True) for a in (LOC, W, D)]
        dist = module.LowRankMultivariateNormal(*leaves)
        out = _call(dist, method, lambda v, f=framework: f.tensor(v, dtype=getattr(f, dtype)))
        results.append((dist, out, leaves))
    (ours, mine, our_leaves), (theirs, other, their_leaves) = results
    assert ours.batch_shape == tuple(theirs.batch_shape) == (4, 2) and mine.shape == tuple(other.shape)
    numpy.testing.assert_allclose(mine.numpy(), other.detach().numpy(), **TOLERANCE[dtype])
    upstream = numpy.random.default_rng(1).standard_normal(mine.shape).astype(dtype)
    our_grads = grad(mine, our_leaves, Tensor(upstream), allow_unused=True)  # the matrices do not reach loc
    their_grads = torch.autograd.grad(other, their_leaves, torch.from_numpy(upstream), allow_unused=True)
    for a, b in zip(our_grads, their_grads, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            numpy.testing.assert_allclose(a.numpy(), b.numpy(), **TOLERANCE[dtype])


def test_is_the_multivariate_normal_of_its_covariance():
    loc, cov_factor, cov_diag = (tg.tensor(a) for a in (LOC, W, D))
    low_rank = distributions.LowRankMultivariateNormal(loc, cov_factor, cov_diag)
    full = distributions.MultivariateNormal(loc, covariance_matrix=cov_factor @ cov_factor.T + cov_diag.diag_embed())
    value = tg.tensor(VALUE)
    numpy.testing.assert_allclose(low_rank.log_prob(value).numpy(), full.log_prob(value).numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(low_rank.entropy().numpy(), full.entropy().numpy(), rtol=1e-12)
    covariance = low_rank.covariance_matrix.numpy()
    numpy.testing.assert_allclose(low_rank.precision_matrix.numpy(), numpy.linalg.inv(covariance), rtol=1e-10,
                                  atol=1e-12)
    L = low_rank.scale_tril.numpy()
    numpy.testing.assert_allclose(L @ L.swapaxes(-1, -2), covariance, rtol=1e-12, atol=1e-14)
    assert (numpy.triu(L, 1) == 0).all()


def test_log_prob_gradients_match_finite_differences():
    value = Tensor(VALUE[:1], requires_grad=True)

    def log_prob(loc, cov_factor, cov_diag, value):
        return distributions.LowRankMultivariateNormal(loc, cov_factor, cov_diag).log_prob(value)

    assert gradcheck(log_prob, [Tensor(a, requires_grad=True) for a in (LOC, W, D)] + [value])


def test_rsample_gradients_match_finite_differences():
    def rsample(loc, cov_factor, cov_diag):
        tg.manual_seed(5)
        return distributions.LowRankMultivariateNormal(loc, cov_factor, cov_diag).rsample((3,))

    assert gradcheck(rsample, [Tensor(a, requires_grad=True) for a in (LOC, W, D[0])])


def test_sample_covariances_match_the_covariance_matrix():
    draws = 20_000
    dist = distributions.LowRankMultivariateNormal(tg.tensor(LOC[0]), tg.tensor(W), tg.tensor(D[0, 0]))
    tg.manual_seed(0)
    x = dist.sample((draws,)).numpy()
    centred = x - dist.loc.numpy()
    products = centred[:, :, None] * centred[:, None, :]  # with the known mean: unbiased, and its SE is simple
    error = numpy.abs(products.mean(0) - dist.covariance_matrix.numpy()) / (products.std(0) / numpy.sqrt(draws))
    assert error.max() < 5, f"sample covariance off by {error.max():.1f} standard errors"


# label -> (family of p, p's arguments, family of q, q's arguments, reinterpreted axes)
def _positive_definite(shape):
    A = RNG.standard_normal(shape + shape[-1:])
    return A @ A.swapaxes(-1, -2) + numpy.eye(shape[-1])


PAIRS = {
    "LowRank, LowRank": ("LowRankMultivariateNormal", dict(loc=LOC, cov_factor=W, cov_diag=D[0, 0]),
                         "LowRankMultivariateNormal", dict(loc=RNG.standard_normal(3),
                                                           cov_factor=RNG.standard_normal((2, 3, 1)),
                                                           cov_diag=RNG.uniform(0.5, 2.0, 3)), 0),
    "MultivariateNormal, LowRank": ("MultivariateNormal", dict(loc=LOC, covariance_matrix=_positive_definite((3,))),
                                    "LowRankMultivariateNormal", dict(loc=LOC[0], cov_factor=W, cov_diag=D[1, 0]), 0),
    "LowRank, MultivariateNormal": ("LowRankMultivariateNormal", dict(loc=LOC[1], cov_factor=W, cov_diag=D[2, 0]),
                                    "MultivariateNormal", dict(loc=LOC, scale_tril=numpy.linalg.cholesky(
                                        _positive_definite((2, 3)))), 0),
    "Independent LowRank": ("LowRankMultivariateNormal", dict(loc=LOC, cov_factor=W, cov_diag=D[0, 0]),
                            "LowRankMultivariateNormal", dict(loc=LOC[::-1].copy(), cov_factor=W[::-1].copy(),
                                                              cov_diag=D[3, 0]), 1),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("label", PAIRS)
def test_kl_matches_pytorch_with_gradients(torch, kl_pair, label, dtype):
    p, q, our_leaves = kl_pair(tg, PAIRS[label], dtype)
    their_p, their_q, their_leaves = kl_pair(torch, PAIRS[label], dtype)
    ours, theirs = distributions.kl_divergence(p, q), torch.distributions.kl_divergence(their_p, their_q)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == dtype
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), **TOLERANCE[dtype])
    upstream = numpy.random.default_rng(2).standard_normal(ours.shape).astype(dtype)
    our_grads = grad(ours, our_leaves, Tensor(upstream))
    their_grads = torch.autograd.grad(theirs, their_leaves, torch.from_numpy(upstream))
    for mine, other in zip(our_grads, their_grads, strict=True):
        numpy.testing.assert_allclose(mine.numpy(), other.numpy(), **TOLERANCE[dtype])


# a MultivariateNormal's matrix nudged in one entry leaves its constraint (its gradients are PyTorch's above)
@pytest.mark.parametrize("label", [label for label in PAIRS if "MultivariateNormal" not in label])
def test_kl_gradients_match_finite_differences(kl_pair, label):
    _, _, leaves = kl_pair(tg, PAIRS[label], "float64")

    def kl(*tensors):
        p, q, _ = kl_pair(tg, PAIRS[label], "float64", tensors)
        return distributions.kl_divergence(p, q)

    assert gradcheck(kl, [Tensor(leaf.numpy(), requires_grad=True) for leaf in leaves])


def test_kl_with_itself_and_with_its_full_covariance_is_zero():
    p = distributions.LowRankMultivariateNormal(tg.tensor(LOC), tg.tensor(W), tg.tensor(D[0, 0]))
    full = distributions.MultivariateNormal(p.loc, covariance_matrix=p.covariance_matrix)
    for q in (p, full):
        assert numpy.abs(distributions.kl_divergence(p, q).numpy()).max() < 1e-12
        assert numpy.abs(distributions.kl_divergence(q, p).numpy()).max() < 1e-12


def test_kl_of_events_of_two_shapes_is_refused():
    p = distributions.LowRankMultivariateNormal(tg.zeros(3), tg.ones(3, 1), tg.ones(3))
    q = distributions.MultivariateNormal(tg.zeros(2), tg.eye(2))
    with pytest.raises(ValueError, match=r"needs events of one shape, got \(3,\) and \(2,\)"):
        distributions.kl_divergence(p, q)


INVALID = {
    "0-d loc": lambda D, t: D.LowRankMultivariateNormal(t(0.0), t([[1.0]]), t([1.0])),
    "1-d cov_factor": lambda D, t: D.LowRankMultivariateNormal(t([0.0, 0.0]), t([1.0, 1.0]), t([1.0, 1.0])),
    "cov_factor rows": lambda D, t: D.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0]]), t([1.0, 1.0])),
    "cov_diag length": lambda D, t: D.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [1.0]]), t([1.0])),
    "batches": lambda D, t: D.LowRankMultivariateNormal(t([[0.0, 0.0]] * 2), t([[[1.0], [1.0]]] * 3),
                                                        t([1.0, 1.0])),
    "cov_diag not positive": lambda D, t: D.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [1.0]]),
                                                                      t([1.0, 0.0])),
    "loc NaN": lambda D, t: D.LowRankMultivariateNormal(t([0.0, float("nan")]), t([[1.0], [1.0]]), t([1.0, 1.0])),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])


def test_parameters_must_be_tensors():
    with pytest.raises(TypeError, match="LowRankMultivariateNormal expects cov_diag as a Tensor, got list"):
        distributions.LowRankMultivariateNormal(tg.zeros(2), tg.ones(2, 1), [1.0, 1.0])
