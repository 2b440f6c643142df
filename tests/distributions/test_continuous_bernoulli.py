"""ContinuousBernoulli: every method against PyTorch's numbers (on both sides of the
Taylor region about λ = ½), with gradients, given probs or logits, in float64 and float32;
shapes, expand and repr; the refusals; reparameterized gradients against finite
differences; samples by support and moments; and the KL pairs PyTorch registers."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.check import gradcheck

# λ far from ½, just outside and inside the Taylor region (0.499, 0.501], and at ½
PROBS = numpy.array([[0.03, 0.2, 0.4985, 0.4995], [0.5, 0.5007, 0.5012, 0.93]])
LOGITS = numpy.log(PROBS / (1 - PROBS))
VALUES = numpy.random.default_rng(2).uniform(0.0, 1.0, (3, 2, 4))
U = numpy.random.default_rng(3).uniform(0.02, 0.98, (3, 2, 4))
ARGUMENTS = {"probs": PROBS, "logits": LOGITS}
# Just outside the Taylor region the closed forms cancel: 1/(1 − 2λ)² is 10⁵ there, so an ulp
# of a log (NumPy's or PyTorch's) moves the variance by 1e-11 and its gradient by 1e-8. There
# the two agree to what the formulas allow; elsewhere to 1e-10.
FAR = numpy.abs(PROBS - 0.5) > 0.01
NEAR_TOLERANCE = {"float64": (dict(rtol=0, atol=1e-9), dict(rtol=0, atol=1e-6)),
                  "float32": (dict(rtol=0, atol=1e-4), None)}


def assert_close(ours, theirs, far, near):
    """``ours`` and ``theirs`` (of a shape ending in PROBS's) alike: to ``far`` away from λ = ½,
    to ``near`` near it."""
    mask = numpy.broadcast_to(FAR, ours.shape)
    numpy.testing.assert_allclose(ours[mask], theirs[mask], **far)
    numpy.testing.assert_allclose(ours[~mask], theirs[~mask], **near)


def _call(given, method, parameter=None):
    """``call(D, t)``: ``method`` of the distribution given ``given`` (``parameter``, or the
    array of that name made a tensor by ``t``), at VALUES (or U for icdf)."""
    def call(D, t):
        dist = D.ContinuousBernoulli(**{given: t(ARGUMENTS[given]) if parameter is None else parameter})
        if method in ("log_prob", "cdf"):
            return getattr(dist, method)(t(VALUES))
        if method == "icdf":
            return dist.icdf(t(U))
        return dist.entropy() if method == "entropy" else getattr(dist, method)
    return call


METHODS = ("log_prob", "cdf", "icdf", "entropy", "mean", "variance", "stddev", "probs", "logits")


@pytest.mark.parametrize("given", ARGUMENTS)
@pytest.mark.parametrize("method", METHODS)
def test_matches_pytorch_in_float64_with_gradients(torch, given, method):
    results = []
    for framework in (tg, torch):
        leaf = framework.tensor(ARGUMENTS[given], dtype=framework.float64, requires_grad=True)
        make = lambda v, framework=framework: framework.tensor(v, dtype=framework.float64)  # noqa: E731
        out = _call(given, method, leaf)(framework.distributions, make)
        out.sum().backward()
        results.append((out.detach().numpy(), leaf.grad.numpy()))
    (ours, our_grad), (theirs, their_grad) = results
    near_values, near_grads = NEAR_TOLERANCE["float64"]
    assert_close(ours, theirs, dict(rtol=1e-10, atol=1e-14), near_values)
    assert_close(our_grad, their_grad, dict(rtol=1e-9, atol=1e-12), near_grads)


@pytest.mark.parametrize("method", ["log_prob", "cdf", "entropy", "mean", "variance"])
def test_matches_pytorch_in_float32(torch, method):
    ours = _call("probs", method)(distributions, lambda v: tg.tensor(v, dtype=tg.float32))
    theirs = _call("probs", method)(torch.distributions, lambda v: torch.tensor(v, dtype=torch.float32))
    assert ours.dtype == tg.float32
    far, near = dict(rtol=1e-5, atol=1e-6), NEAR_TOLERANCE["float32"][0]
    assert_close(ours.detach().numpy(), theirs.detach().numpy(), far, near)


@pytest.mark.parametrize("given", ARGUMENTS)
def test_shapes_repr_and_expand_match_pytorch(torch, given):
    ours = distributions.ContinuousBernoulli(**{given: tg.tensor(ARGUMENTS[given])})
    theirs = torch.distributions.ContinuousBernoulli(**{given: torch.tensor(ARGUMENTS[given])})
    assert ours.batch_shape == tuple(theirs.batch_shape) == (2, 4) and ours.event_shape == ()
    assert repr(ours) == repr(theirs) and ours.param_shape == tuple(theirs.param_shape)
    assert ours.has_rsample and isinstance(ours, distributions.ExponentialFamily)
    wide_ours, wide_theirs = ours.expand((3, 2, 4)), theirs.expand((3, 2, 4))
    assert type(wide_ours) is distributions.ContinuousBernoulli and wide_ours.batch_shape == (3, 2, 4)
    assert wide_ours._param.shape == (3, 2, 4) and repr(wide_ours) == repr(wide_theirs)
    far, near = dict(rtol=1e-10), NEAR_TOLERANCE["float64"][0]
    assert_close(wide_ours.log_prob(tg.tensor(VALUES)).numpy(),
                 wide_theirs.log_prob(torch.tensor(VALUES)).numpy(), far, near)
    assert_close(wide_ours.variance.numpy(), wide_theirs.variance.numpy(), far, near)


def test_a_number_gives_an_empty_batch_and_probs_are_clamped(torch):
    ours, theirs = distributions.ContinuousBernoulli(0.3), torch.distributions.ContinuousBernoulli(0.3)
    assert ours.batch_shape == () == tuple(theirs.batch_shape) and repr(ours) == repr(theirs)
    # without an explicit validate_args a probability out of [0, 1] is clamped, as in PyTorch
    ours, theirs = distributions.ContinuousBernoulli(1.5), torch.distributions.ContinuousBernoulli(1.5)
    assert ours.probs.item() == theirs.probs.item() < 1


INVALID = {
    "both": lambda D, t: D.ContinuousBernoulli(probs=t(0.5), logits=t(0.0)),
    "neither": lambda D, t: D.ContinuousBernoulli(),
    "probs with validate_args": lambda D, t: D.ContinuousBernoulli(t([0.5, 1.5]), validate_args=True),
    "logits": lambda D, t: D.ContinuousBernoulli(logits=t(float("nan"))),
    "value": lambda D, t: D.ContinuousBernoulli(0.3).log_prob(t(1.5)),
    "cdf value": lambda D, t: D.ContinuousBernoulli(0.3).cdf(t(-0.5)),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])


@pytest.mark.parametrize("given", ARGUMENTS)
def test_rsample_gradients_match_finite_differences(given):
    def rsample(parameter):
        tg.manual_seed(4)
        return distributions.ContinuousBernoulli(**{given: parameter}).rsample((3,))

    away = ARGUMENTS[given][:, [0, 1, 3]]  # away from the edges of the Taylor region, where it switches
    assert gradcheck(rsample, [Tensor(away, requires_grad=True)])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_samples_lie_in_the_unit_interval_with_pytorchs_moments(torch, dtype):
    draws = 40_000
    tg.manual_seed(0)
    dist = distributions.ContinuousBernoulli(tg.tensor(PROBS, dtype=dtype))
    x = dist.sample((draws,))
    assert x.shape == (draws, 2, 4) and x.dtype == tg.dtype(dtype) and not x.requires_grad
    assert bool(dist.support.check(x).all())
    theirs = torch.distributions.ContinuousBernoulli(torch.tensor(PROBS))
    mean, variance = theirs.mean.numpy(), theirs.variance.numpy()
    x = x.numpy().astype("float64")
    assert (numpy.abs(x.mean(0) - mean) < 6 * numpy.sqrt(variance / draws)).all()
    numpy.testing.assert_allclose(x.var(0), variance, rtol=0.05)


RNG = numpy.random.default_rng(8)
KL_PAIRS = {
    "ContinuousBernoulli ContinuousBernoulli": ("ContinuousBernoulli", (PROBS,), "ContinuousBernoulli",
                                                (PROBS[::-1].copy(),)),
    "Beta ContinuousBernoulli": ("Beta", (RNG.uniform(0.5, 2, (2, 4)), RNG.uniform(0.5, 2, (2, 4))),
                                 "ContinuousBernoulli", (PROBS,)),
    "Uniform ContinuousBernoulli": ("Uniform", (numpy.array([0.1, -0.1, 0.3, 0.5]), numpy.array([0.9, 0.5, 1.2, 0.6])),
                                    "ContinuousBernoulli", (PROBS,)),
    "ContinuousBernoulli Exponential": ("ContinuousBernoulli", (PROBS,), "Exponential", (RNG.uniform(0.5, 2, 4),)),
    "ContinuousBernoulli Normal": ("ContinuousBernoulli", (PROBS,), "Normal",
                                   (RNG.standard_normal(4), RNG.uniform(0.5, 2, 4))),
    "ContinuousBernoulli Uniform": ("ContinuousBernoulli", (PROBS,), "Uniform",
                                    (numpy.array([-0.5, 0.2, -1.0, -0.1]), numpy.array([1.5, 2.0, 0.8, 1.1]))),
    "ContinuousBernoulli Pareto": ("ContinuousBernoulli", (PROBS,), "Pareto", (1.0, 2.0)),
    "Exponential ContinuousBernoulli": ("Exponential", (RNG.uniform(0.5, 2, (2, 4)),), "ContinuousBernoulli", (PROBS,)),
    "Gamma ContinuousBernoulli": ("Gamma", (RNG.uniform(0.5, 2, (2, 4)), 1.0), "ContinuousBernoulli", (PROBS,)),
    "Gumbel ContinuousBernoulli": ("Gumbel", (RNG.standard_normal((2, 4)), 1.0), "ContinuousBernoulli", (PROBS,)),
    "Laplace ContinuousBernoulli": ("Laplace", (RNG.standard_normal((2, 4)), 1.0), "ContinuousBernoulli", (PROBS,)),
    "Normal ContinuousBernoulli": ("Normal", (RNG.standard_normal((2, 4)), 1.0), "ContinuousBernoulli", (PROBS,)),
    "Pareto ContinuousBernoulli": ("Pareto", (RNG.uniform(0.5, 2, (2, 4)), 2.0), "ContinuousBernoulli", (PROBS,)),
}


def _kl(D, t, pair):
    family_p, args_p, family_q, args_q = pair
    make = lambda a: a if isinstance(a, float) else t(a)  # noqa: E731
    p = getattr(D, family_p)(*[make(a) for a in args_p])
    q = getattr(D, family_q)(*[make(a) for a in args_q])
    return D.kl_divergence(p, q)


@pytest.mark.parametrize("label", KL_PAIRS)
def test_kl_matches_pytorch(same_as_pytorch, label):
    same_as_pytorch(lambda D, t: _kl(D, t, KL_PAIRS[label]), rtol=1e-10, atol=1e-9)  # atol: near λ = ½


def test_kl_to_a_uniform_on_exactly_the_unit_interval_is_finite():
    """−H(p) + log 1 (PyTorch 2.13 gives ∞ where the uniform's ends are 0 or 1 themselves)."""
    p = distributions.ContinuousBernoulli(tg.tensor(PROBS))
    kl = distributions.kl_divergence(p, distributions.Uniform(tg.tensor(0.0, dtype=tg.float64), 1.0))
    numpy.testing.assert_allclose(kl.numpy(), -p.entropy().numpy(), rtol=1e-12)


@pytest.mark.parametrize("label", ["ContinuousBernoulli ContinuousBernoulli", "Beta ContinuousBernoulli",
                                   "ContinuousBernoulli Normal"])
def test_kl_gradients_match_finite_differences(label):
    family_p, args_p, family_q, args_q = KL_PAIRS[label]
    arrays = [a[..., [0, 1, 3]] if a.shape[-1] == 4 else a for a in args_p + args_q]
    leaves = [Tensor(a, requires_grad=True) for a in arrays]

    def kl(*params):
        p = getattr(distributions, family_p)(*params[: len(args_p)])
        q = getattr(distributions, family_q)(*params[len(args_p):])
        return distributions.kl_divergence(p, q)

    assert gradcheck(kl, leaves)
