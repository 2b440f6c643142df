"""TransformedDistribution against PyTorch's in float64: shapes, supports and reprs;
log_prob, cdf and icdf and their gradients with respect to the parameters and the
value; rsample fed the same normal draws in both libraries, and the reparameterization
identity dy/dμ = ±|∂y/∂x|; expand, KL divergence, caching, the strict device,
validation and the errors."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
import tinygrad_bn.distributions.normal
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.autograd import grad

RNG = numpy.random.default_rng(0)
LOC, SCALE, SIGNED = RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2.0, (2, 3)), RNG.standard_normal((2, 3))
SHIFT, FACTOR, CONCENTRATION = RNG.standard_normal(3), RNG.uniform(0.5, 2.0, 3), RNG.uniform(0.5, 2.0, (2, 4))
TRIL = numpy.tril(RNG.standard_normal((3, 3)), -1) + numpy.diag(RNG.uniform(0.5, 2.0, 3))
REALS = RNG.standard_normal((2, 3))
POSITIVE = RNG.uniform(0.2, 3.0, (2, 3))
UNIT = RNG.uniform(0.05, 0.95, (2, 3))
SIMPLEX = UNIT / UNIT.sum(-1, keepdims=True)
SIMPLEX_4 = RNG.uniform(0.1, 1.0, (2, 4))
SIMPLEX_4 /= SIMPLEX_4.sum(-1, keepdims=True)
TOLERANCE = dict(rtol=1e-11, atol=1e-12)
CONTINUOUS = ("log_prob", "cdf", "icdf")

# label -> (maker(distributions module, float64 tensor maker, parameters), host parameters, value, methods)
CASES = {
    "log-normal": (lambda D, t, p: D.TransformedDistribution(D.Normal(p["loc"], p["scale"]),
                                                             D.transforms.ExpTransform()),
                   dict(loc=LOC, scale=SCALE), POSITIVE, CONTINUOUS),
    "logistic": (lambda D, t, p: D.TransformedDistribution(
        D.Uniform(t(numpy.zeros(3)), 1.0), [D.transforms.SigmoidTransform().inv,
                                           D.transforms.AffineTransform(p["loc"], p["scale"])]),
                 dict(loc=LOC, scale=SCALE), REALS, CONTINUOUS),
    "decreasing affine": (lambda D, t, p: D.TransformedDistribution(D.Normal(p["loc"], p["scale"]),
                                                                    [D.transforms.AffineTransform(1.0, -2.0)]),
                          dict(loc=LOC, scale=SCALE), REALS, CONTINUOUS),
    "affine of signed tensors": (lambda D, t, p: D.TransformedDistribution(
        D.Normal(t(0.0), t(1.0)), [D.transforms.AffineTransform(p["loc"], p["scale"])]),
                                 dict(loc=LOC, scale=SIGNED), REALS, CONTINUOUS),
    "tanh": (lambda D, t, p: D.TransformedDistribution(D.Normal(p["loc"], p["scale"]), D.transforms.TanhTransform()),
             dict(loc=LOC, scale=SCALE), 2 * UNIT - 1, CONTINUOUS),
    "composed": (lambda D, t, p: D.TransformedDistribution(D.Normal(p["loc"], p["scale"]), [
        D.transforms.ComposeTransform([D.transforms.AffineTransform(p["shift"], p["factor"]),
                                       D.transforms.SoftplusTransform()]), D.transforms.PowerTransform(p["factor"])]),
                 dict(loc=LOC, scale=SCALE, shift=SHIFT, factor=FACTOR), POSITIVE, CONTINUOUS),
    "Weibull": (lambda D, t, p: D.TransformedDistribution(D.Exponential(t(numpy.ones((2, 3)))), [
        D.transforms.PowerTransform(1 / p["concentration"]), D.transforms.AffineTransform(0.0, p["scale"])]),
                dict(concentration=SCALE, scale=FACTOR), POSITIVE, CONTINUOUS),
    "no transforms": (lambda D, t, p: D.TransformedDistribution(D.Normal(p["loc"], p["scale"]), []),
                      dict(loc=LOC, scale=SCALE), REALS, CONTINUOUS),
    "stick breaking": (lambda D, t, p: D.TransformedDistribution(D.Normal(p["loc"], p["scale"]),
                                                                 D.transforms.StickBreakingTransform()),
                       dict(loc=LOC, scale=SCALE), SIMPLEX_4, ("log_prob",)),
    "affine over vectors": (lambda D, t, p: D.TransformedDistribution(
        D.Normal(p["loc"], p["scale"]), [D.transforms.AffineTransform(p["shift"], p["factor"], event_dim=1)]),
                            dict(loc=LOC, scale=SCALE, shift=SHIFT, factor=FACTOR), REALS, ("log_prob",)),
    "independent sigmoid": (lambda D, t, p: D.TransformedDistribution(
        D.Normal(p["loc"], p["scale"]), [D.transforms.IndependentTransform(D.transforms.SigmoidTransform(), 2)]),
                            dict(loc=LOC, scale=SCALE), UNIT, ("log_prob",)),
    "reshape": (lambda D, t, p: D.TransformedDistribution(
        D.Normal(p["loc"], p["scale"]), [D.transforms.ReshapeTransform((2, 3), (6,)), D.transforms.ExpTransform()]),
                dict(loc=LOC, scale=SCALE), POSITIVE.reshape(6), ("log_prob",)),
    "Dirichlet, exp": (lambda D, t, p: D.TransformedDistribution(D.Dirichlet(p["concentration"]),
                                                                 D.transforms.ExpTransform()),
                       dict(concentration=CONCENTRATION), numpy.exp(SIMPLEX_4), ("log_prob",)),
    "MultivariateNormal, softplus": (lambda D, t, p: D.TransformedDistribution(
        D.MultivariateNormal(p["loc"], scale_tril=p["scale_tril"]), D.transforms.SoftplusTransform()),
                                     dict(loc=LOC, scale_tril=TRIL), POSITIVE, ("log_prob",)),
}
# the cases whose base is a Normal of leaves loc and scale, and those of them whose events are numbers
NORMAL_BASE = ["log-normal", "decreasing affine", "tanh", "composed", "no transforms", "stick breaking",
               "affine over vectors", "independent sigmoid", "reshape"]
UNIVARIATE = ["log-normal", "decreasing affine", "tanh", "composed", "no transforms"]


def build(framework, label, requires_grad=True, **device):
    """The distribution in ``framework`` and its float64 parameter leaves."""
    make, host, _, _ = CASES[label]
    module = distributions if framework is tg else framework.distributions
    leaves = {name: framework.tensor(value, dtype=framework.float64, requires_grad=requires_grad, **device)
              for name, value in host.items()}
    return make(module, lambda v: framework.tensor(v, dtype=framework.float64, **device), leaves), leaves


def method_input(label, method, dist):
    """The value for ``method``: probabilities for icdf, points of the support otherwise."""
    if method == "icdf":
        return numpy.random.default_rng(4).uniform(0.05, 0.95, tuple(dist.batch_shape))
    return CASES[label][2]


def assert_same(torch, ours, theirs, our_leaves, their_leaves, what):
    """Values alike, and gradients alike for one random upstream gradient."""
    assert ours.shape == tuple(theirs.shape), what
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), err_msg=what, **TOLERANCE)
    upstream = numpy.random.default_rng(5).standard_normal(ours.shape)
    # retained: a parameter computed once (1/concentration) serves every method of a distribution
    mine = grad(ours, our_leaves, Tensor(upstream), retain_graph=True, allow_unused=True)
    other = torch.autograd.grad(theirs, their_leaves, torch.from_numpy(upstream), retain_graph=True,
                                allow_unused=True)
    for leaf, a, b in zip(our_leaves, mine, other, strict=True):
        a = numpy.zeros(leaf.shape) if a is None else a.numpy()
        b = numpy.zeros(leaf.shape) if b is None else b.numpy()
        numpy.testing.assert_allclose(a, b, err_msg=f"gradient of {what}", **TOLERANCE)


def describe(dist):
    expanded = dist.expand((5, *dist.batch_shape))
    return (tuple(dist.batch_shape), tuple(dist.event_shape), repr(dist.support), dist.has_rsample, repr(dist),
            tuple(dist.sample((4,)).shape), tuple(expanded.batch_shape), tuple(expanded.event_shape))


@pytest.mark.parametrize("label", CASES)
def test_matches_pytorch(torch, label):
    ours, our_params = build(tg, label)
    theirs, their_params = build(torch, label)
    assert describe(ours) == describe(theirs)
    for method in CASES[label][3]:
        value = method_input(label, method, ours)
        mine = tg.tensor(value, dtype=tg.float64, requires_grad=True)
        other = torch.tensor(value, dtype=torch.float64, requires_grad=True)
        assert_same(torch, getattr(ours, method)(mine), getattr(theirs, method)(other),
                    [mine, *our_params.values()], [other, *their_params.values()], f"{label} {method}")


@pytest.mark.parametrize("label", [label for label in CASES if "cdf" in CASES[label][3]])
def test_icdf_inverts_cdf(label):
    dist, _ = build(tg, label, requires_grad=False)
    value = tg.tensor(CASES[label][2], dtype=tg.float64)
    numpy.testing.assert_allclose(dist.icdf(dist.cdf(value)).numpy(), value.numpy(), rtol=1e-9)


@pytest.mark.parametrize("label", NORMAL_BASE)
def test_rsample_from_the_same_normal_draws_matches_pytorch(torch, monkeypatch, label):
    """Each library's Normal draws the same ε here, so rsample and its gradients must agree."""
    draws = numpy.random.default_rng(6).standard_normal(1000)

    def epsilon(shape):
        return draws[: math.prod(shape)].reshape(shape)

    monkeypatch.setattr(tinygrad_bn.distributions.normal, "standard_normal",
                        lambda shape, like: tg.tensor(epsilon(tuple(shape)), dtype=like.dtype))
    monkeypatch.setattr(torch.distributions.normal, "_standard_normal",
                        lambda shape, dtype, device: torch.tensor(epsilon(tuple(shape)), dtype=dtype))
    ours, our_params = build(tg, label)
    theirs, their_params = build(torch, label)
    assert_same(torch, ours.rsample((4,)), theirs.rsample((4,)), list(our_params.values()),
                list(their_params.values()), f"{label} rsample")


@pytest.mark.parametrize("label", UNIVARIATE)
def test_rsample_moves_with_the_location_as_the_jacobian_says(label):
    """y = f(μ + σε), so dy/dμ = f′(x) = ±exp(log|J(x)|), and log|J(x)| = log p_X(x) − log p_Y(y)."""
    dist, params = build(tg, label)
    tg.manual_seed(0)
    y = dist.rsample((3,))
    (dy_dloc,) = grad(y.sum(), params["loc"])
    x = y.detach()
    for transform in reversed(dist.transforms):
        x = transform.inv(x)
    y = y.detach()
    log_jacobian = dist.base_dist.log_prob(x) - dist.log_prob(y)
    sign = 1
    for transform in dist.transforms:
        sign = sign * transform.sign
    expected = (sign * log_jacobian.exp()).sum(0)  # the 3 draws of each distribution add up
    numpy.testing.assert_allclose(dy_dloc.numpy(), expected.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("label", CASES)
def test_runs_on_the_device_as_on_the_cpu(strict_cuda, label):
    results = {}
    for device in ("cpu", "cuda"):
        dist, params = build(tg, label, device=device)
        tg.manual_seed(2)
        sample = dist.rsample((2,))
        assert sample.device == device
        total = dist.log_prob(sample.detach()).sum() + sample.sum()
        for method in CASES[label][3][1:]:  # cdf and icdf
            total = total + getattr(dist, method)(tg.tensor(method_input(label, method, dist), dtype=tg.float64,
                                                            device=device)).sum()
        results[device] = [sample.detach().numpy(), *(g.numpy() for g in grad(total, list(params.values())))]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)


def test_a_log_normal_is_the_exp_of_a_normal():
    loc, scale = tg.tensor(LOC, dtype=tg.float64), tg.tensor(SCALE, dtype=tg.float64)
    pushed = distributions.TransformedDistribution(distributions.Normal(loc, scale), distributions.ExpTransform())
    family = distributions.LogNormal(loc, scale)
    value, probability = tg.tensor(POSITIVE, dtype=tg.float64), tg.tensor(UNIT, dtype=tg.float64)
    for method, argument in (("log_prob", value), ("cdf", value), ("icdf", probability)):
        numpy.testing.assert_allclose(getattr(pushed, method)(argument).numpy(),
                                      getattr(family, method)(argument).numpy(), rtol=1e-13, err_msg=method)
    tg.manual_seed(1)
    first = pushed.rsample((2,))
    tg.manual_seed(1)
    numpy.testing.assert_allclose(first.numpy(), family.rsample((2,)).numpy(), rtol=1e-15)


def test_samples_are_outside_the_graph_and_rsamples_inside():
    dist, params = build(tg, "logistic")
    assert not dist.sample((2,)).requires_grad
    sample = dist.rsample((2,))
    sample.sum().backward()
    assert params["loc"].grad.shape == (2, 3) and params["scale"].grad.shape == (2, 3)


def test_expand_matches_pytorch_and_passes_gradients_back(torch):
    for label in ("logistic", "stick breaking", "reshape"):
        ours, our_params = build(tg, label)
        theirs, their_params = build(torch, label)
        value = CASES[label][2]
        our_expanded, their_expanded = ours.expand((5, *ours.batch_shape)), theirs.expand((5, *theirs.batch_shape))
        assert type(our_expanded) is distributions.TransformedDistribution
        assert our_expanded.transforms is ours.transforms and our_expanded._validate_args
        assert_same(torch, our_expanded.log_prob(tg.tensor(value, dtype=tg.float64)),
                    their_expanded.log_prob(torch.tensor(value, dtype=torch.float64)), list(our_params.values()),
                    list(their_params.values()), f"{label} expanded")


def test_kl_divergence_is_the_bases_when_the_transforms_agree(torch):
    values = []
    for framework, module in ((tg, distributions), (torch, torch.distributions)):
        loc = framework.tensor(LOC, dtype=framework.float64, requires_grad=True)
        p = module.TransformedDistribution(module.Normal(loc, 1.0), module.transforms.ExpTransform())
        q = module.TransformedDistribution(module.Normal(framework.tensor(SHIFT, dtype=framework.float64), 2.0),
                                           [module.transforms.ExpTransform()])
        kl = module.kl_divergence(p, q)
        kl.sum().backward()
        values.append((kl.detach().numpy(), loc.grad.numpy()))
        other = module.TransformedDistribution(module.Normal(0.0, 1.0), module.transforms.SigmoidTransform())
        with pytest.raises(NotImplementedError):
            module.kl_divergence(p, other)
    for mine, theirs in zip(*values):
        numpy.testing.assert_allclose(mine, theirs, **TOLERANCE)


def test_a_cached_transform_scores_its_own_samples_where_the_inverse_would_overflow(torch):
    results = []
    for framework, module in ((tg, distributions), (torch, torch.distributions)):
        dist = module.TransformedDistribution(module.Normal(framework.tensor(0.0, dtype=framework.float64), 10.0),
                                              module.transforms.TanhTransform(cache_size=1))
        x = framework.tensor([25.0, -30.0, 0.5], dtype=framework.float64)
        y = dist.transforms[0](x)
        assert numpy.abs(y.numpy()[:2]).tolist() == [1.0, 1.0]
        results.append(dist.log_prob(y).numpy())
    assert numpy.isfinite(results[0]).all()
    numpy.testing.assert_allclose(results[0], results[1], **TOLERANCE)


# Validation and errors ---------------------------------------------------------------------

INVALID = {
    "transforms of another type": lambda D, t: D.TransformedDistribution(D.Normal(0.0, 1.0), "exp"),
    "a list with something else": lambda D, t: D.TransformedDistribution(D.Normal(0.0, 1.0),
                                                                         [D.transforms.ExpTransform(), 2.0]),
    "too few axes for the transforms": lambda D, t: D.TransformedDistribution(
        D.Normal(0.0, 1.0), D.transforms.StickBreakingTransform()),
    "a value outside the support": lambda D, t: D.TransformedDistribution(
        D.Normal(0.0, 1.0), D.transforms.ExpTransform()).log_prob(t(-1.0)),
    "a value outside the support, batched": lambda D, t: D.TransformedDistribution(
        D.Normal(t([0.0, 0.0]), 1.0), D.transforms.SigmoidTransform()).log_prob(t([0.5, 1.5])),
    "a cdf the base refuses": lambda D, t: D.TransformedDistribution(
        D.Normal(0.0, 1.0), D.transforms.ExpTransform()).cdf(t(-1.0)),  # reported by the Normal, of log(−1)
}


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")  # log(−1)
@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
def test_validation_can_be_turned_off():
    base = distributions.Normal(0.0, 1.0, validate_args=False)  # it checks log(−1) otherwise, as in PyTorch
    dist = distributions.TransformedDistribution(base, distributions.ExpTransform(), validate_args=False)
    assert math.isnan(dist.log_prob(tg.tensor(-1.0)).item())
    assert dist.expand((2,))._validate_args is False


def test_what_pytorch_does_not_define_is_not_implemented_here_either(torch):
    for framework, module in ((tg, distributions), (torch, torch.distributions)):
        folded = module.TransformedDistribution(module.Normal(0.0, 1.0), module.transforms.AbsTransform())
        with pytest.raises(NotImplementedError):
            folded.log_prob(framework.tensor(1.0))
        for moment in ("mean", "variance"):
            with pytest.raises(NotImplementedError):
                getattr(folded, moment)
        with pytest.raises(NotImplementedError):
            folded.entropy()
        counts = module.TransformedDistribution(module.Poisson(framework.tensor([2.0])),
                                                module.transforms.AffineTransform(1.0, 2.0))
        assert not counts.has_rsample and counts.sample((3,)).shape == (3, 1)
        with pytest.raises(NotImplementedError):
            counts.rsample()
        vectors = module.TransformedDistribution(module.Normal(framework.zeros(2, 3), 1.0),
                                                 module.transforms.StickBreakingTransform())
        with pytest.raises(NotImplementedError):  # the stick breaking has no sign, an Independent no cdf
            vectors.cdf(framework.full((2, 4), 0.25))
