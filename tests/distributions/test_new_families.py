"""Cauchy, HalfCauchy, HalfNormal, StudentT, Geometric and Binomial beyond the shared
tests: Cauchy's and HalfCauchy's undefined moments and their quantiles against PyTorch, the KL
pairs of these families, reparameterized gradients
against finite differences, unequal Binomial trial counts, and refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.check import gradcheck

RNG = numpy.random.default_rng(0)
LOC, SCALE, VALUES = RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2, (2, 3)), RNG.standard_normal((4, 2, 3))
PROBS = numpy.linspace(0.05, 0.95, 6)

CALLS = {
    "Cauchy log_prob": lambda D, t: D.Cauchy(t(LOC), t(SCALE)).log_prob(t(VALUES)),
    "Cauchy cdf": lambda D, t: D.Cauchy(t(LOC), t(SCALE)).cdf(t(VALUES)),
    "Cauchy icdf": lambda D, t: D.Cauchy(t(LOC), t(SCALE)).icdf(t(PROBS.reshape(2, 3))),
    "Cauchy entropy": lambda D, t: D.Cauchy(t(LOC), t(SCALE)).entropy(),
    "Cauchy moments": lambda D, t: tg_stack(D, [D.Cauchy(t(LOC), t(SCALE)).mean, D.Cauchy(t(LOC), t(SCALE)).variance,
                                                D.Cauchy(t(LOC), t(SCALE)).mode]),
    "HalfCauchy log_prob": lambda D, t: D.HalfCauchy(t(SCALE)).log_prob(t(numpy.abs(VALUES))),
    "HalfCauchy cdf": lambda D, t: D.HalfCauchy(t(SCALE)).cdf(t(numpy.abs(VALUES))),
    "HalfCauchy icdf": lambda D, t: D.HalfCauchy(t(SCALE[0])).icdf(t(PROBS.reshape(2, 3))),
    "HalfCauchy entropy": lambda D, t: D.HalfCauchy(t(SCALE)).entropy(),
    "HalfCauchy moments": lambda D, t: tg_stack(D, [D.HalfCauchy(t(SCALE)).mean, D.HalfCauchy(t(SCALE)).variance,
                                                    D.HalfCauchy(t(SCALE)).mode]),
    "HalfNormal log_prob below 0": lambda D, t: D.HalfNormal(t(SCALE), validate_args=False).log_prob(t(VALUES)),
    "StudentT moments for small df": lambda D, t: tg_stack(D, [D.StudentT(t([0.5, 1.0, 1.5, 2.0, 3.0])).mean,
                                                               D.StudentT(t([0.5, 1.0, 1.5, 2.0, 3.0])).variance]),
    "Binomial unequal counts": lambda D, t: D.Binomial(t([1.0, 4.0, 9.0]), t([0.2, 0.5, 0.9])).log_prob(
        t([[0.0, 4.0, 9.0], [1.0, 2.0, 3.0]])),
    "Binomial mode": lambda D, t: D.Binomial(t([3.0, 4.0, 9.0]), t([0.5, 0.6, 1.0])).mode,
    "Geometric certain success": lambda D, t: D.Geometric(t([1.0, 0.5])).log_prob(t([0.0, 3.0])),
}


def tg_stack(D, tensors):
    """The tensors stacked by the framework of the distributions module ``D``."""
    return (__import__("torch") if D.__name__.startswith("torch") else tg).stack(tensors)


@pytest.mark.parametrize("label", CALLS)
def test_matches_pytorch(same_as_pytorch, label):
    same_as_pytorch(CALLS[label])


# label -> (family, p's arguments, q's arguments); arrays become float64 leaves
KL_PAIRS = {
    "HalfNormal": ("HalfNormal", dict(scale=SCALE), dict(scale=RNG.uniform(0.5, 2, 3))),
    "Cauchy": ("Cauchy", dict(loc=LOC, scale=SCALE), dict(loc=RNG.standard_normal(3), scale=RNG.uniform(0.5, 2, 3))),
    "Geometric": ("Geometric", dict(probs=RNG.uniform(0.1, 0.9, (2, 3))), dict(logits=RNG.standard_normal((2, 3)))),
    "Binomial": ("Binomial", dict(total_count=5.0, probs=RNG.uniform(0.1, 0.9, (2, 3))),
                 dict(total_count=5.0, logits=RNG.standard_normal((2, 3)))),
}


def _kl(framework, label, tensors=None):
    module = distributions if framework is tg else framework.distributions
    family, args_p, args_q = KL_PAIRS[label]
    made = iter(tensors or [])
    leaves = []

    def arguments(args):
        result = {}
        for name, value in args.items():
            if isinstance(value, float):
                result[name] = value
            elif tensors is not None:
                result[name] = next(made)
            else:
                result[name] = framework.tensor(value, dtype=framework.float64, requires_grad=True)
                leaves.append(result[name])
        return result

    p, q = getattr(module, family)(**arguments(args_p)), getattr(module, family)(**arguments(args_q))
    return module.kl_divergence(p, q), leaves


@pytest.mark.parametrize("label", KL_PAIRS)
def test_kl_matches_pytorch_with_gradients(torch, label):
    ours, our_leaves = _kl(tg, label)
    theirs, their_leaves = _kl(torch, label)
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-11, atol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    for mine, other in zip(our_leaves, their_leaves, strict=True):
        numpy.testing.assert_allclose(mine.grad.numpy(), other.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("label", KL_PAIRS)
def test_kl_gradients_match_finite_differences(label):
    _, leaves = _kl(tg, label)
    assert gradcheck(lambda *t: _kl(tg, label, t)[0], [Tensor(leaf.numpy(), requires_grad=True) for leaf in leaves])


def test_binomial_kl_with_more_trials_in_q_is_refused_and_fewer_is_infinite(torch):
    for module in (distributions, torch.distributions):
        t = tg.tensor if module is distributions else torch.tensor
        with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
            module.kl_divergence(module.Binomial(t([2.0]), t([0.5])), module.Binomial(t([3.0]), t([0.5])))
    kl = distributions.kl_divergence(distributions.Binomial(tg.tensor([3.0, 2.0]), tg.tensor([0.5, 0.5])),
                                     distributions.Binomial(tg.tensor([2.0, 2.0]), tg.tensor([0.5, 0.5])))
    assert kl.tolist() == [numpy.inf, 0.0]


RSAMPLED = {
    "HalfNormal": lambda scale: distributions.HalfNormal(scale),
    "Cauchy": lambda scale: distributions.Cauchy(scale - 1, scale),
    "HalfCauchy": lambda scale: distributions.HalfCauchy(scale),
    "StudentT": lambda scale: distributions.StudentT(5.0, scale - 1, scale),  # df: through rejection sampling
}


@pytest.mark.parametrize("family", RSAMPLED)
def test_rsample_gradients_match_finite_differences(family):
    def fn(scale):
        tg.manual_seed(7)
        return RSAMPLED[family](scale).rsample((4,))

    assert gradcheck(fn, [Tensor(SCALE, requires_grad=True)])


@pytest.mark.parametrize("family", ["Cauchy", "HalfCauchy"])
def test_heavy_tailed_samples_follow_pytorchs_cdf(torch, family):
    args = (LOC, SCALE) if family == "Cauchy" else (SCALE,)
    tg.manual_seed(0)
    samples = getattr(distributions, family)(*(tg.tensor(a) for a in args)).sample((20_000,)).numpy()
    cdf = getattr(torch.distributions, family)(*(torch.tensor(a) for a in args)).cdf(
        torch.from_numpy(numpy.sort(samples, axis=0))).numpy()
    steps = (numpy.arange(20_001) / 20_000).reshape(-1, 1, 1)
    assert numpy.sqrt(20_000) * numpy.maximum(steps[1:] - cdf, cdf - steps[:-1]).max() < 1.95


def test_binomial_samples_with_unequal_counts_stay_in_the_support():
    tg.manual_seed(0)
    dist = distributions.Binomial(tg.tensor([0.0, 3.0, 10.0], dtype=tg.float64), tg.tensor([0.5, 0.3, 0.7],
                                                                                             dtype=tg.float64))
    x = dist.sample((20_000,)).numpy()
    assert x.dtype == "float64" and (x.max(0) <= [0, 3, 10]).all() and x.min() >= 0
    assert numpy.all(numpy.abs(x.mean(0) - [0.0, 0.9, 7.0]) < 5 * numpy.sqrt([1e-12, 0.63, 2.1]) / numpy.sqrt(20_000)
                     + 1e-12)


@pytest.mark.parametrize("family", ["Cauchy", "HalfCauchy"])
def test_heavy_tailed_samples_on_the_strict_device(strict_cuda, family):
    results = {}
    for device in ("cpu", "cuda"):
        scale = tg.tensor(SCALE, device=device, requires_grad=True)
        dist = distributions.Cauchy(scale - 1, scale) if family == "Cauchy" else distributions.HalfCauchy(scale)
        tg.manual_seed(3)
        x = dist.rsample((5,))
        assert x.device == device
        (x.sum() + dist.log_prob(x.detach()).sum() + dist.entropy().sum()).backward()
        results[device] = [x.detach().numpy(), scale.grad.numpy()]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)


@pytest.mark.parametrize("family, args", [("Cauchy", (0.5, 2.0)), ("HalfCauchy", (2.0,)),
                                          ("Cauchy", ("loc", "scale"))])
def test_repr_and_expand_match_pytorch(torch, family, args):
    arrays = {"loc": LOC, "scale": SCALE}
    ours = getattr(distributions, family)(*(tg.tensor(arrays[a]) if isinstance(a, str) else a for a in args))
    theirs = getattr(torch.distributions, family)(*(torch.tensor(arrays[a]) if isinstance(a, str) else a
                                                    for a in args))
    assert repr(ours) == repr(theirs)
    shape = (2, *ours.batch_shape)
    assert ours.expand(shape).batch_shape == tuple(theirs.expand(shape).batch_shape)


INVALID = {
    "HalfNormal scale": lambda D, t: D.HalfNormal(-1.0),
    "HalfNormal negative value": lambda D, t: D.HalfNormal(1.0).log_prob(t(-1.0)),
    "Cauchy scale": lambda D, t: D.Cauchy(0.0, 0.0),
    "HalfCauchy scale": lambda D, t: D.HalfCauchy(-2.0),
    "StudentT df": lambda D, t: D.StudentT(0.0),
    "Geometric zero probs": lambda D, t: D.Geometric(t([0.0, 0.5])),
    "Geometric fraction": lambda D, t: D.Geometric(0.5).log_prob(t(0.5)),
    "Binomial count": lambda D, t: D.Binomial(t(1.5), t(0.5)),
    "Binomial above total_count": lambda D, t: D.Binomial(t(3.0), t(0.5)).log_prob(t(4.0)),
    "Binomial neither": lambda D, t: D.Binomial(3),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])
