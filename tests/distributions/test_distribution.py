"""Every family against ``torch.distributions`` on the same parameters: values, shapes,
dtypes and gradients of log_prob, cdf, icdf, entropy and the moments; gradients against
finite differences in float64; expand and repr."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck

TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-11, atol=1e-12)}
VALUE_METHODS = ("log_prob", "cdf", "icdf")
# families whose parameters' last axis is no batch axis
EVENT_LAST = ("Categorical", "OneHotCategorical", "Dirichlet", "MultivariateNormal")


def evaluate(dist, method, value=None):
    if method in VALUE_METHODS:
        return getattr(dist, method)(value)
    if method == "entropy":
        return dist.entropy()
    return getattr(dist, method)


def host_value(case, method, host, sample_shape=(3,)):
    """Values for ``method``: probabilities for icdf, points of the support otherwise."""
    values = case.host_values(host, sample_shape)
    if method == "icdf":
        return numpy.random.default_rng(2).uniform(0.05, 0.95, values.shape)
    return values


def run(framework, case, method, host, value, dtype):
    """The method's output, and the leaves it may depend on: the array parameters and,
    when it is a float, the value."""
    dist, leaves = case.build(framework, host, dtype, requires_grad=True)
    inputs = list(leaves.values())
    if method in VALUE_METHODS:
        floating = value.dtype.kind == "f"
        given = framework.tensor(value, dtype=getattr(framework, dtype) if floating else None, requires_grad=floating)
        inputs += [given] if floating else []
        return evaluate(dist, method, given), inputs
    return evaluate(dist, method), inputs


def test_matches_pytorch(torch, family_case, dtype):
    host = family_case.host_params()
    for method in family_case.methods:
        value = host_value(family_case, method, host) if method in VALUE_METHODS else None
        ours, our_inputs = run(tg, family_case, method, host, value, dtype)
        theirs, their_inputs = run(torch, family_case, method, host, value, dtype)
        assert ours.shape == tuple(theirs.shape) and str(theirs.dtype) == f"torch.{ours.dtype}", method
        numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), err_msg=method, **TOLERANCE[dtype])
        if not theirs.requires_grad or numpy.isnan(ours.numpy()).all():  # no gradient (mode), or NaN everywhere
            assert not ours.requires_grad or numpy.isnan(ours.numpy()).all(), method
            continue
        upstream = numpy.random.default_rng(3).standard_normal(ours.shape).astype(dtype)
        our_grads = grad(ours, our_inputs, Tensor(upstream), allow_unused=True)
        their_grads = torch.autograd.grad(theirs, their_inputs, torch.from_numpy(upstream), allow_unused=True)
        tolerance = dict(rtol=1e-9, atol=1e-9) if family_case.trigamma and dtype == "float64" else TOLERANCE[dtype]
        for leaf, mine, other in zip(our_inputs, our_grads, their_grads, strict=True):
            mine = numpy.zeros(leaf.shape) if mine is None else mine.numpy()
            other = numpy.zeros(leaf.shape) if other is None else other.numpy()
            numpy.testing.assert_allclose(mine, other, err_msg=f"gradient of {method}", **tolerance)


# a Dirichlet's value nudged leaves the simplex, a matrix nudged in one entry its constraint: test_dirichlet.py
# and test_multivariate_normal.py check them otherwise
@pytest.mark.families(lambda case: not case.scalar and case.family not in ("Dirichlet", "MultivariateNormal"))
def test_gradients_match_finite_differences(family_case):
    host = family_case.host_params()
    names = [name for name, p in host.items() if not isinstance(p, float)]
    discrete = family_case.build(tg, host)[0].support.is_discrete  # its values are not to be nudged
    for method in family_case.differentiable_methods:
        value = host_value(family_case, method, host, sample_shape=(1,)) if method in VALUE_METHODS else None
        leaves = [Tensor(host[name], requires_grad=True) for name in names]
        floating_value = value is not None and not discrete
        if floating_value:
            leaves.append(Tensor(value, requires_grad=True))
        fixed_value = None if value is None else Tensor(value)

        def fn(*tensors, method=method, floating_value=floating_value, fixed_value=fixed_value):
            dist = family_case.from_arguments(tg, {**host, **dict(zip(names, tensors, strict=False))})
            return evaluate(dist, method, tensors[-1] if floating_value else fixed_value)

        assert gradcheck(fn, leaves), method


def test_expand_matches_pytorch_and_passes_gradients_back(torch, family_case):
    host = family_case.host_params()
    ours, leaves = family_case.build(tg, host, requires_grad=True)
    theirs, _ = family_case.build(torch, host)
    batch_shape = (2, *ours.batch_shape)
    expanded, their_expanded = ours.expand(batch_shape), theirs.expand(batch_shape)
    assert type(expanded) is type(ours) and expanded.batch_shape == batch_shape == tuple(their_expanded.batch_shape)
    assert expanded.event_shape == ours.event_shape
    value = family_case.host_values(host, sample_shape=(3, 2))
    dtype = "float32" if family_case.scalar else "float64"
    log_prob = expanded.log_prob(tg.tensor(value, dtype=dtype if value.dtype.kind == "f" else None))
    expected = their_expanded.log_prob(torch.tensor(value, dtype=getattr(torch, dtype) if value.dtype.kind == "f"
                                                    else None))
    numpy.testing.assert_allclose(log_prob.numpy(), expected.numpy(), **TOLERANCE[dtype])
    if leaves:
        log_prob.sum().backward()
        assert all(leaf.grad is not None and leaf.grad.shape == leaf.shape for leaf in leaves.values())


@pytest.mark.families(lambda case: len(case.param_shape) > (1 if case.family in EVENT_LAST else 0) + case.wrap)
def test_expand_refuses_a_batch_shape_the_parameters_do_not_broadcast_to(family_case):
    dist, _ = family_case.build(tg, family_case.host_params())
    with pytest.raises(ValueError, match="cannot broadcast"):
        dist.expand((*dist.batch_shape[:-1], dist.batch_shape[-1] + 1))


def test_repr_matches_pytorch(torch, family_case):
    host = family_case.host_params()
    assert repr(family_case.build(tg, host)[0]) == repr(family_case.build(torch, host)[0])


def test_python_numbers_become_float32_tensors():
    dist = tg.distributions.Normal(0, 1.5)
    assert dist.loc.dtype == dist.scale.dtype == "float32" and dist.batch_shape == ()
    mixed = tg.distributions.Normal(tg.zeros(2, dtype=tg.float64), 2.0)
    assert mixed.scale.dtype == "float64" and mixed.scale.tolist() == [2.0, 2.0]


def test_probs_and_logits_are_computed_once_when_asked_for():
    dist = tg.distributions.Categorical(logits=tg.tensor([[0.0, 1.0], [2.0, 2.0]]))
    assert "probs" not in repr(dist)
    assert dist.probs is dist.probs
    assert repr(dist) == "Categorical(probs: torch.Size([2, 2]), logits: torch.Size([2, 2]))"


# Validation ---------------------------------------------------------------------------

NAN = float("nan")
# label -> call(distributions module, tensor maker) that PyTorch and we refuse with one message
INVALID = {
    "Normal scale": lambda D, t: D.Normal(0.0, -1.0),
    "Normal loc": lambda D, t: D.Normal(NAN, 1.0),
    "Uniform": lambda D, t: D.Uniform(1.0, 0.0),
    "Uniform batched": lambda D, t: D.Uniform(t([0.0, 2.0]), 1.0),
    "Exponential": lambda D, t: D.Exponential(0.0),
    "Laplace": lambda D, t: D.Laplace(0.0, -2.0),
    "Bernoulli probs": lambda D, t: D.Bernoulli(1.5),
    "Bernoulli logits": lambda D, t: D.Bernoulli(logits=NAN),
    "Categorical probs": lambda D, t: D.Categorical(t([-1.0, 2.0])),
    "Categorical logits": lambda D, t: D.Categorical(logits=t([0.0, NAN])),
    "OneHotCategorical": lambda D, t: D.OneHotCategorical(t([[0.5, 0.5], [-0.5, 1.5]])),
    "Normal value": lambda D, t: D.Normal(0.0, 1.0).log_prob(t(NAN)),
    "Uniform value": lambda D, t: D.Uniform(0.0, 1.0).log_prob(t(1.5)),
    "Uniform cdf": lambda D, t: D.Uniform(t([0.0, 1.0]), 2.0).cdf(t([0.5, 0.5])),
    "Exponential value": lambda D, t: D.Exponential(1.0).log_prob(t(-1.0)),
    "Exponential cdf": lambda D, t: D.Exponential(1.0).cdf(t(-1.0)),
    "Laplace cdf": lambda D, t: D.Laplace(0.0, 1.0).cdf(t(NAN)),
    "Bernoulli value": lambda D, t: D.Bernoulli(0.3).log_prob(t(0.5)),
    "Categorical value": lambda D, t: D.Categorical(t([1.0, 1.0, 1.0])).log_prob(t(3)),
    "Categorical fraction": lambda D, t: D.Categorical(t([1.0, 1.0, 1.0])).log_prob(t(0.5)),
    "OneHotCategorical value": lambda D, t: D.OneHotCategorical(t([1.0, 1.0, 1.0])).log_prob(t([1.0, 1.0, 0.0])),
    "Independent value": lambda D, t: D.Independent(D.Normal(t([0.0, 0.0]), 1.0), 1).log_prob(t([0.0, NAN])),
    "both probs and logits": lambda D, t: D.Bernoulli(0.5, 0.0),
    "neither probs nor logits": lambda D, t: D.Categorical(),
    "0-d probs": lambda D, t: D.Categorical(t(0.5)),
    "Independent of too many axes": lambda D, t: D.Independent(D.Normal(0.0, 1.0), 1),
}


# the maximum inside log-sum-exp divides 0 by 0 at a NaN logit, as NumPy warns
NAN_LOGIT = pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")


@pytest.mark.parametrize("label", [pytest.param(label, marks=NAN_LOGIT) if label == "Categorical logits" else label
                                   for label in INVALID])
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])


@pytest.mark.parametrize("call, message", [
    (lambda: tg.distributions.Normal(0.0, 1.0).log_prob(0.5), "The value argument to log_prob must be a Tensor, got "
     "float"),
    (lambda: tg.distributions.Laplace(0.0, 1.0).cdf(0.5), "The value argument to cdf must be a Tensor"),
    (lambda: tg.distributions.Normal(tg.zeros(3), 1.0).log_prob(tg.zeros(2)), r"Value is not broadcastable with "
     r"batch_shape\+event_shape: \(2,\) vs \(3,\)"),
    (lambda: tg.distributions.OneHotCategorical(tg.ones(3)).log_prob(tg.zeros(2)), r"The right-most size of value "
     r"must match event_shape: \(2,\) vs \(3,\)"),
    (lambda: tg.distributions.Normal(tg.zeros(2), tg.ones(3)), r"parameters of shapes \(2,\) and \(3,\) do not "
     "broadcast together"),
    (lambda: tg.distributions.Normal([0.0], 1.0), "broadcast_all expects Tensors or Python numbers, got list, float"),
    (lambda: tg.distributions.Distribution.set_default_validate_args("yes"), "expects True or False, got 'yes'"),
])
def test_wrong_arguments_say_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_unbroadcastable_parameters_are_a_runtime_error_as_in_pytorch():
    with pytest.raises(RuntimeError):
        tg.distributions.Uniform(tg.zeros(2), tg.ones(3))


def test_a_categorical_wants_a_tensor():
    with pytest.raises(TypeError, match=r"Categorical expects probs as a Tensor of shape \(..., K\), got list"):
        tg.distributions.Categorical([0.5, 0.5])


def test_validation_is_off_when_asked_per_distribution_or_by_default(default_validation):
    D = tg.distributions
    assert D.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    dist = D.Normal(0.0, 1.0, validate_args=False)
    assert numpy.isnan(dist.log_prob(tg.tensor(NAN)).item()) and dist.log_prob(0.5).dtype == "float32"
    assert dist.expand((2,))._validate_args is False
    assert D.Uniform(0.0, 1.0, validate_args=False).log_prob(tg.tensor(2.0)).item() == -numpy.inf
    D.Distribution.set_default_validate_args(False)
    assert D.Bernoulli(1.5).probs.item() == 1.5
    with pytest.raises(ValueError, match="Expected parameter rate"):
        D.Exponential(-1.0, validate_args=True)
    D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.Bernoulli(1.5)
