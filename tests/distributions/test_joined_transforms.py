"""CatTransform, StackTransform, CumulativeDistributionTransform and the constraints
cat and stack, against PyTorch's in float64: the map, its inverse and log-Jacobian with
their gradients, domains and codomains on values, event_dim, bijective, sign, caching,
biject_to of the joined constraints, the errors; log-Jacobians against the autograd's."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck
from tinygrad_bn.distributions import constraints, transforms

RNG = numpy.random.default_rng(12)
X34, X43 = RNG.uniform(0.1, 0.9, (3, 4)), RNG.uniform(0.1, 0.9, (4, 3))
X234 = RNG.uniform(0.1, 0.9, (2, 3, 4))

# label -> (maker(transforms module) -> transform, input)
JOINED = {
    "Cat along the last axis": (lambda T: T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, -2.0),
                                                          T.SigmoidTransform()], dim=-1, lengths=[1, 2, 1]), X34),
    "Cat along the first axis": (lambda T: T.CatTransform([T.ExpTransform(), T.PowerTransform(2.0)], dim=0,
                                                          lengths=[3, 1]), X43),
    "Cat of one slice each": (lambda T: T.CatTransform([T.TanhTransform(), T.ExpTransform(), T.SoftplusTransform()],
                                                       dim=1), X234[:, :, 0]),
    "Cat with event_dim 1": (lambda T: T.CatTransform([T.IndependentTransform(T.ExpTransform(), 1),
                                                       T.AffineTransform(0.5, 3.0)], dim=0, lengths=[1, 1]),
                             X234),
    "Cat inside the event": (lambda T: T.CatTransform([T.AffineTransform(0.5, 3.0, event_dim=1),
                                                       T.ExpTransform()], dim=-1, lengths=[3, 1]), X34),
    "Stack along the last axis": (lambda T: T.StackTransform([T.ExpTransform(), T.AffineTransform(1.0, -2.0),
                                                              T.SigmoidTransform(), T.TanhTransform()], dim=-1), X34),
    "Stack along the first axis": (lambda T: T.StackTransform([T.ExpTransform(), T.PowerTransform(0.5)], dim=0),
                                   X234),
    "Stack of event_dim 1": (lambda T: T.StackTransform([T.IndependentTransform(T.ExpTransform(), 1),
                                                         T.IndependentTransform(T.TanhTransform(), 1)], dim=0), X234),
    "Laplace's CDF": (lambda T: T.CumulativeDistributionTransform(_framework(T).distributions.Laplace(0.3, 1.5)), X34),
    "Exponential's CDF": (lambda T: T.CumulativeDistributionTransform(_exponential(_framework(T))), X34),
}


def _exponential(framework):
    return framework.distributions.Exponential(framework.tensor([0.5, 1.0, 2.0, 4.0], dtype=framework.float64))


def _framework(T):
    """tinygrad_bn or torch, from a transforms module."""
    return tg if T is transforms else __import__("torch")


def _build(framework, label):
    make, x = JOINED[label]
    module = transforms if framework is tg else framework.distributions.transforms
    return make(module), framework.tensor(x, dtype=framework.float64, requires_grad=True)


def _log_jacobian(t, x, y):
    try:
        return t.log_abs_det_jacobian(x, y)
    except NotImplementedError:
        return None


@pytest.mark.parametrize("label", JOINED)
def test_map_inverse_and_log_jacobian_match_pytorch_with_gradients(torch, label):
    results = []
    for framework in (tg, torch):
        t, x = _build(framework, label)
        y = t(x)
        x_back = t.inv(y.detach())
        ladj = _log_jacobian(t, x, y)
        outputs = [y, x_back] + ([ladj] if ladj is not None else [])
        total = sum((out * (1 + framework.arange(out.numel(), dtype=framework.float64).reshape(out.shape))).sum()
                    for out in outputs)
        total.backward()
        results.append(([out.detach().numpy() for out in outputs], x.grad.numpy()))
    (ours, our_grad), (theirs, their_grad) = results
    tolerance = dict(rtol=1e-12, atol=1e-13)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        numpy.testing.assert_allclose(a, b, **tolerance)
    numpy.testing.assert_allclose(our_grad, their_grad, **tolerance)


@pytest.mark.parametrize("label", JOINED)
def test_properties_match_pytorch(torch, label):
    ours, x = _build(tg, label)
    theirs, x_theirs = _build(torch, label)
    assert ours.bijective == theirs.bijective and ours.event_dim == theirs.event_dim
    assert ours.domain.event_dim == theirs.domain.event_dim and ours.codomain.event_dim == theirs.codomain.event_dim
    assert ours.forward_shape(x.shape) == tuple(theirs.forward_shape(x_theirs.shape))
    y, y_theirs = ours(x), theirs(x_theirs)
    for constraint, theirs_constraint, value, value_theirs in ((ours.domain, theirs.domain, x, x_theirs),
                                                               (ours.codomain, theirs.codomain, y, y_theirs)):
        try:
            expected = theirs_constraint.check(value_theirs).numpy()
        except RuntimeError:  # parts of several event_dims: the checks do not join, there or here
            with pytest.raises(Exception):  # noqa: B017, PT011
                constraint.check(value)
            continue
        numpy.testing.assert_array_equal(constraint.check(value).numpy(), expected)
        assert bool(constraint.check(value).all())


@pytest.mark.parametrize("label", [label for label in JOINED if "CDF" not in label and "event" not in label])
def test_log_jacobian_is_the_autograds_for_elementwise_parts(label):
    # the joined parts act on numbers: the Jacobian is diagonal, log|J| elementwise = log|dy/dx|
    t, x = _build(tg, label)
    if not t.bijective:
        pytest.skip("no log-Jacobian")
    (slope,) = grad(t(x).sum(), x)
    numpy.testing.assert_allclose(t.log_abs_det_jacobian(x, t(x)).detach().numpy(), numpy.log(numpy.abs(slope.numpy())),
                                  rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("label", ["Cat along the last axis", "Stack along the first axis", "Cat with event_dim 1"])
def test_gradients_match_finite_differences(label):
    t, x = _build(tg, label)
    assert gradcheck(lambda x: t(x), [Tensor(x.numpy(), requires_grad=True)])
    assert gradcheck(lambda x: t.log_abs_det_jacobian(x, t(x)), [Tensor(x.numpy(), requires_grad=True)])


def test_caching_returns_the_same_objects_and_with_cache_joins_cached_parts():
    t = transforms.CatTransform([transforms.ExpTransform(), transforms.SigmoidTransform()], dim=-1, lengths=[2, 2])
    cached = t.with_cache(1)
    assert cached is not t and cached.with_cache(1) is cached and all(p._cache_size == 1 for p in cached.transforms)
    x = tg.tensor(X34)
    y = cached(x)
    assert cached(x) is y and cached.inv(y) is x
    stacked = transforms.StackTransform([transforms.ExpTransform()], dim=0, cache_size=1)
    assert stacked.transforms[0]._cache_size == 1 and stacked.with_cache(0)._cache_size == 0
    cdf = transforms.CumulativeDistributionTransform(distributions.Normal(0.0, 1.0))
    assert cdf.with_cache(1)._cache_size == 1 and cdf.with_cache(1).distribution is cdf.distribution


def test_cdf_transform_is_increasing_from_the_support(torch):
    ours = transforms.CumulativeDistributionTransform(distributions.Exponential(2.0))
    theirs = torch.distributions.transforms.CumulativeDistributionTransform(torch.distributions.Exponential(2.0))
    assert ours.sign == theirs.sign == 1 and repr(ours.domain) == repr(theirs.domain)
    assert repr(ours.codomain) == repr(theirs.codomain)


def test_pushing_a_distribution_through_its_cdf_gives_the_uniform(torch):
    value = RNG.uniform(0.05, 0.95, (5,))
    results = []
    for framework in (tg, torch):
        base = framework.distributions.Normal(framework.tensor(0.5, dtype=framework.float64), 2.0)
        pushed = framework.distributions.TransformedDistribution(
            base, framework.distributions.transforms.CumulativeDistributionTransform(base))
        results.append(pushed.log_prob(framework.tensor(value, dtype=framework.float64)).numpy())
    numpy.testing.assert_allclose(results[0], results[1], atol=1e-12)
    numpy.testing.assert_allclose(results[0], 0.0, atol=1e-12)


CONSTRAINTS = {
    "cat": lambda C: C.cat([C.positive, C.real, C.unit_interval], dim=-1, lengths=[1, 2, 1]),
    "stack": lambda C: C.stack([C.positive, C.real, C.unit_interval, C.greater_than(-1.0)], dim=-1),
    "stack of vectors": lambda C: C.stack([C.simplex, C.real_vector], dim=0),
    "stack of simplices": lambda C: C.stack([C.simplex, C.simplex], dim=0),
}
CHECKED = numpy.array([[0.5, -3.0, 2.0, 0.5], [-0.5, 1.0, 1.0, 0.5], [1.0, 0.0, 0.0, 1.5]])


@pytest.mark.parametrize("label", CONSTRAINTS)
def test_joined_constraints_check_as_pytorchs(torch, label):
    ours, theirs = CONSTRAINTS[label](constraints), CONSTRAINTS[label](torch.distributions.constraints)
    value = CHECKED if not label.startswith("stack of") else numpy.stack([CHECKED[:, :3] / 3, CHECKED[:, :3]])
    numpy.testing.assert_array_equal(ours.check(tg.tensor(value)).numpy(), theirs.check(torch.tensor(value)).numpy())
    assert ours.event_dim == theirs.event_dim and ours.is_discrete == theirs.is_discrete


@pytest.mark.parametrize("label", ["cat", "stack", "stack of simplices"])
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_biject_to_joined_constraints_matches_pytorch(torch, label, registry):
    ours = getattr(distributions, registry)(CONSTRAINTS[label](constraints))
    theirs = getattr(torch.distributions, registry)(CONSTRAINTS[label](torch.distributions.constraints))
    assert type(ours).__name__ == type(theirs).__name__
    x = RNG.standard_normal((3, 4)) if label != "stack of simplices" else RNG.standard_normal((2, 3, 3))
    y = ours(tg.tensor(x))
    numpy.testing.assert_allclose(y.numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-12, atol=1e-13)
    assert bool(CONSTRAINTS[label](constraints).check(y).all())


WRONG = {
    "Cat of a wrong size": lambda T, t: T.CatTransform([T.ExpTransform()], dim=0, lengths=[2])(t([1.0, 2.0, 3.0])),
    "Cat out of range": lambda T, t: T.CatTransform([T.ExpTransform()], dim=3)(t([1.0])),
    "Cat of a non-transform": lambda T, t: T.CatTransform([T.ExpTransform(), 1.0]),
    "Cat's lengths": lambda T, t: T.CatTransform([T.ExpTransform()], lengths=[1, 2]),
    "Stack of a wrong size": lambda T, t: T.StackTransform([T.ExpTransform()], dim=0)(t([1.0, 2.0])),
    "Stack's inverse": lambda T, t: T.StackTransform([T.ExpTransform()], dim=0).inv(t([1.0, 2.0])),
}


@pytest.mark.parametrize("label", WRONG)
def test_wrong_inputs_raise_assertion_errors_as_in_pytorch(torch, label):
    with pytest.raises(AssertionError):
        WRONG[label](torch.distributions.transforms, torch.tensor)
    with pytest.raises(AssertionError):
        WRONG[label](transforms, tg.tensor)
