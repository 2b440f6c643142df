"""MultivariateNormal beyond what test_distribution.py and test_draws.py check for every
case: the three matrices and the KL divergence against PyTorch's (values and gradients),
batches of loc and matrix that broadcast, gradients against finite differences in
float64 (first and second), sample means and covariances, the matrices computed once,
refusals, and the strict device."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck, gradgradcheck

MVN = pytest.mark.families(lambda case: case.family == "MultivariateNormal")
MATRICES = ("scale_tril", "covariance_matrix", "precision_matrix")
TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-11, atol=1e-12)}
DTYPES = pytest.mark.parametrize("dtype", ["float32", "float64"])


def assert_matches_with_gradients(torch, ours, theirs, our_inputs, their_inputs, dtype, what):
    """Ours equals PyTorch's, and so do the gradients of ⟨upstream, output⟩ for one random upstream."""
    assert ours.shape == tuple(theirs.shape) and ours.dtype == dtype, what
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), err_msg=what, **TOLERANCE[dtype])
    upstream = numpy.random.default_rng(3).standard_normal(ours.shape).astype(dtype)
    our_grads = grad(ours, list(our_inputs), Tensor(upstream), retain_graph=True, allow_unused=True)
    their_grads = torch.autograd.grad(theirs, list(their_inputs), torch.from_numpy(upstream), retain_graph=True,
                                      allow_unused=True)
    for leaf, mine, other in zip(our_inputs, our_grads, their_grads, strict=True):
        mine = numpy.zeros(leaf.shape) if mine is None else mine.numpy()
        other = numpy.zeros(leaf.shape) if other is None else other.numpy()
        numpy.testing.assert_allclose(mine, other, err_msg=f"gradient of {what}", **TOLERANCE[dtype])


def matrix_name(case) -> str:
    """The matrix a case gives: covariance_matrix, precision_matrix or scale_tril."""
    return next(name for name in case.params if name != "loc")


def symmetrized(name, matrix):
    """(A + Aᵀ)/2 for a covariance or precision, so that finite differences in one entry
    keep it symmetric; a scale_tril as it is."""
    return matrix if name == "scale_tril" else (matrix + matrix.swapaxes(-1, -2)) / 2


# The three matrices -------------------------------------------------------------------


@MVN
def test_matrices_match_pytorch_with_gradients(torch, family_case, dtype):
    host = family_case.host_params()
    for name in MATRICES:
        ours, our_leaves = family_case.build(tg, host, dtype, requires_grad=True)
        theirs, their_leaves = family_case.build(torch, host, dtype, requires_grad=True)
        assert_matches_with_gradients(torch, getattr(ours, name), getattr(theirs, name), our_leaves.values(),
                                      their_leaves.values(), dtype, name)


@DTYPES
@pytest.mark.parametrize("loc_batch, matrix_batch", [((2,), ()), ((), (2,)), ((2, 1), (3,))])
@pytest.mark.parametrize("name", MATRICES)
def test_batches_of_loc_and_matrix_broadcast_as_in_pytorch(torch, family_cases, name, loc_batch, matrix_batch,
                                                           dtype):
    sampler = next(case.params[name] for case in family_cases.values() if name in case.params)
    rng = numpy.random.default_rng(0)
    host = {"loc": rng.standard_normal((*loc_batch, 3)), name: sampler(rng, (*matrix_batch, 3))}
    value = rng.standard_normal((4, *numpy.broadcast_shapes(loc_batch, matrix_batch), 3))
    results = {}
    for framework in (tg, torch):
        leaves = [framework.tensor(host[key], dtype=getattr(framework, dtype), requires_grad=True) for key in host]
        module = distributions if framework is tg else framework.distributions
        dist = module.MultivariateNormal(leaves[0], **{name: leaves[1]})
        given = framework.tensor(value, dtype=getattr(framework, dtype))
        outputs = {"log_prob": dist.log_prob(given), "entropy": dist.entropy(), "variance": dist.variance,
                   **{matrix: getattr(dist, matrix) for matrix in MATRICES}}
        results[framework] = (dist, outputs, leaves)
    (ours, our_outputs, our_leaves), (theirs, their_outputs, their_leaves) = results[tg], results[torch]
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == (3,)
    assert ours.rsample((5,)).shape == (5, *ours.batch_shape, 3)
    for what in our_outputs:
        assert_matches_with_gradients(torch, our_outputs[what], their_outputs[what], our_leaves, their_leaves, dtype,
                                      what)


def test_matrices_are_computed_once_and_shown_once_asked_for(torch):
    loc, precision = [[0.0, 1.0]], [[2.0, 0.5], [0.5, 1.0]]
    ours = distributions.MultivariateNormal(tg.tensor(loc), precision_matrix=tg.tensor(precision))
    theirs = torch.distributions.MultivariateNormal(torch.tensor(loc), precision_matrix=torch.tensor(precision))
    assert repr(ours) == repr(theirs) == ("MultivariateNormal(loc: torch.Size([1, 2]), "
                                          "precision_matrix: torch.Size([1, 2, 2]))")
    assert ours.covariance_matrix is ours.covariance_matrix and theirs.covariance_matrix is not None
    assert repr(ours) == repr(theirs) and "scale_tril" not in repr(ours)
    expanded, their_expanded = ours.expand((3, 1)), theirs.expand((3, 1))
    assert repr(expanded) == repr(their_expanded)
    assert expanded.scale_tril.shape == (3, 1, 2, 2)
    numpy.testing.assert_allclose(expanded.scale_tril.numpy(), their_expanded.scale_tril.numpy(), rtol=1e-6)


# KL divergence -----------------------------------------------------------------------

# (case of p, case of q), q's parameters drawn with another seed
KL_PAIRS = [
    ("MultivariateNormal precision, batched", "MultivariateNormal covariance"),
    ("MultivariateNormal covariance", "MultivariateNormal scale_tril, batched"),
    ("MultivariateNormal scale_tril, batched", "MultivariateNormal precision, batched"),
    ("MultivariateNormal covariance, batched, n = 1", "MultivariateNormal covariance, batched, n = 1"),
]


def build_pair(framework, family_cases, pair, dtype):
    """p and q in ``framework``, and the leaves of both."""
    (p, p_leaves), (q, q_leaves) = (family_cases[label].build(framework, family_cases[label].host_params(seed), dtype,
                                                              requires_grad=True)
                                    for label, seed in zip(pair, (0, 1), strict=True))
    return p, q, [*p_leaves.values(), *q_leaves.values()]


@DTYPES
@pytest.mark.parametrize("pair", KL_PAIRS, ids=" ‖ ".join)
def test_kl_matches_pytorch_with_gradients(torch, family_cases, pair, dtype):
    p, q, our_leaves = build_pair(tg, family_cases, pair, dtype)
    their_p, their_q, their_leaves = build_pair(torch, family_cases, pair, dtype)
    ours, theirs = distributions.kl_divergence(p, q), torch.distributions.kl_divergence(their_p, their_q)
    assert_matches_with_gradients(torch, ours, theirs, our_leaves, their_leaves, dtype, "KL")


def test_kl_of_a_distribution_with_itself_is_zero_and_positive_otherwise():
    p = distributions.MultivariateNormal(tg.zeros(3, dtype="float64"), tg.tensor([[2.0, 0.5, 0.0], [0.5, 1.0, 0.2],
                                                                                  [0.0, 0.2, 3.0]], dtype="float64"))
    q = distributions.MultivariateNormal(tg.ones(3, dtype="float64"), scale_tril=tg.eye(3, dtype="float64"))
    assert abs(distributions.kl_divergence(p, p).item()) < 1e-14
    assert distributions.kl_divergence(p, q).item() > 0


# Finite differences ------------------------------------------------------------------


@MVN
def test_gradients_match_finite_differences(family_case):
    host, name = family_case.host_params(), matrix_name(family_case)
    leaves = [Tensor(host["loc"], requires_grad=True), Tensor(host[name], requires_grad=True),
              Tensor(family_case.host_values(host, (2,)), requires_grad=True)]

    def outputs(loc, matrix, value):
        tg.manual_seed(7)  # the same noise at every evaluation
        dist = distributions.MultivariateNormal(loc, **{name: symmetrized(name, matrix)}, validate_args=False)
        return (dist.log_prob(value), dist.entropy(), dist.variance, dist.rsample((2,)),
                *(getattr(dist, matrix) for matrix in MATRICES))

    assert gradcheck(outputs, leaves)
    assert gradgradcheck(lambda *tensors: outputs(*tensors)[0], leaves)


@pytest.mark.parametrize("pair", KL_PAIRS, ids=" ‖ ".join)
def test_kl_gradients_match_finite_differences(family_cases, pair):
    cases = [family_cases[label] for label in pair]
    hosts = [case.host_params(seed) for case, seed in zip(cases, (0, 1), strict=True)]
    names = [matrix_name(case) for case in cases]
    leaves = [Tensor(array, requires_grad=True) for host, name in zip(hosts, names, strict=True)
              for array in (host["loc"], host[name])]

    def kl(loc_p, matrix_p, loc_q, matrix_q):
        p, q = (distributions.MultivariateNormal(loc, **{name: symmetrized(name, matrix)}, validate_args=False)
                for loc, matrix, name in ((loc_p, matrix_p, names[0]), (loc_q, matrix_q, names[1])))
        return distributions.kl_divergence(p, q)

    assert gradcheck(kl, leaves)


# Samples -----------------------------------------------------------------------------

DRAWS = 20_000
# Each statistic below is a mean of DRAWS independent terms, so it is off its expectation by
# more than 5 of its standard errors with probability 6e-7 (normal tails, by the central
# limit theorem). A mean xᵢ has standard error √(Σᵢᵢ/N). A product (xᵢ − μᵢ)(xⱼ − μⱼ), about
# the true means so that its expectation is exactly Σᵢⱼ, has variance ΣᵢᵢΣⱼⱼ + Σᵢⱼ² (Isserlis'
# theorem: E[xᵢ²xⱼ²] = ΣᵢᵢΣⱼⱼ + 2Σᵢⱼ² for centred normals), so its mean has standard error
# √((ΣᵢᵢΣⱼⱼ + Σᵢⱼ²)/N).
STANDARD_ERRORS = 5


@MVN
def test_sample_means_and_covariances_match_pytorchs(torch, family_case, dtype):
    host = family_case.host_params()
    ours, _ = family_case.build(tg, host, dtype)
    theirs, _ = family_case.build(torch, host, "float64")
    tg.manual_seed(0)
    samples = ours.sample((DRAWS,))
    assert samples.shape == (DRAWS, *ours.batch_shape, *ours.event_shape) and samples.dtype == dtype
    mean, covariance = theirs.mean.numpy(), theirs.covariance_matrix.numpy()
    variance = numpy.diagonal(covariance, axis1=-2, axis2=-1)
    centred = samples.numpy().astype("float64") - mean
    mean_error = numpy.abs(centred.mean(0)) / numpy.sqrt(variance / DRAWS)
    products = (centred[..., :, None] * centred[..., None, :]).mean(0)
    product_variance = variance[..., :, None] * variance[..., None, :] + covariance**2
    covariance_error = numpy.abs(products - covariance) / numpy.sqrt(product_variance / DRAWS)
    assert mean_error.max() < STANDARD_ERRORS, f"sample mean off by {mean_error.max():.1f} standard errors"
    assert covariance_error.max() < STANDARD_ERRORS, f"covariance off by {covariance_error.max():.1f} standard errors"


@MVN
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_rsample_has_the_extended_shape_and_reaches_the_parameters(family_case, sample_shape):
    dist, leaves = family_case.build(tg, family_case.host_params(), requires_grad=True)
    x = dist.rsample(sample_shape)
    assert x.shape == (*sample_shape, *dist.batch_shape, *dist.event_shape) and x.requires_grad
    x.sum().backward()
    assert all(leaf.grad is not None and leaf.grad.shape == leaf.shape for leaf in leaves.values())


# Refusals ----------------------------------------------------------------------------

NAN = float("nan")
EYE = [[1.0, 0.0], [0.0, 1.0]]
# label -> call(distributions module, tensor maker) that PyTorch and we refuse with one message
INVALID = {
    "no matrix": lambda D, t: D.MultivariateNormal(t([0.0, 0.0])),
    "two matrices": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), t(EYE), scale_tril=t(EYE)),
    "0-d loc": lambda D, t: D.MultivariateNormal(t(0.0), t([[1.0]])),
    "1-d covariance": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), t([1.0, 1.0])),
    "1-d precision": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), precision_matrix=t([1.0, 1.0])),
    "1-d scale_tril": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([1.0, 1.0])),
    "NaN loc": lambda D, t: D.MultivariateNormal(t([0.0, NAN]), t(EYE)),
    "covariance not symmetric": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 0.5], [0.0, 1.0]])),
    "covariance not positive-definite": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 2.0], [2.0, 1.0]])),
    "precision singular": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), precision_matrix=t([[1.0, 1.0],
                                                                                               [1.0, 1.0]])),
    "scale_tril not triangular": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([[1.0, 0.5],
                                                                                                [0.0, 1.0]])),
    "scale_tril of a negative diagonal": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([[1.0, 0.0],
                                                                                                        [0.5, -1.0]])),
    "one of a batch not positive-definite": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), t([EYE, [[1.0, 0.0],
                                                                                                      [0.0, 0.0]]])),
    "NaN value": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), t(EYE)).log_prob(t([0.0, NAN])),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])


D = distributions


@pytest.mark.parametrize("call, error, message", [
    (lambda: D.MultivariateNormal(tg.zeros(3), tg.eye(2)), ValueError,
     r"expects covariance_matrix of shape \(..., 3, 3\) for loc of shape \(3,\), got \(2, 2\)"),
    (lambda: D.MultivariateNormal(tg.zeros(2, 2), scale_tril=tg.eye(2).expand(3, 2, 2)), RuntimeError,
     r"expects loc and scale_tril of batch shapes that broadcast together, got \(2,\) and \(3,\)"),
    (lambda: D.MultivariateNormal([0.0, 0.0], tg.eye(2)), TypeError,
     r"expects loc as a Tensor of shape \(..., n\), got list"),
    (lambda: D.MultivariateNormal(tg.zeros(2), precision_matrix=EYE), TypeError,
     r"expects precision_matrix as a Tensor of shape \(..., n, n\), got list"),
    (lambda: D.MultivariateNormal(tg.zeros(2), tg.eye(2, dtype="float64")), TypeError,
     "expects loc and covariance_matrix of one dtype, got float32 and float64"),
    (lambda: D.MultivariateNormal(tg.zeros(2), tg.eye(2)).log_prob(tg.zeros(3)), ValueError,
     r"The right-most size of value must match event_shape: \(3,\) vs \(2,\)"),
    (lambda: D.kl_divergence(D.MultivariateNormal(tg.zeros(2), tg.eye(2)), D.MultivariateNormal(tg.zeros(3),
                                                                                                tg.eye(3))),
     ValueError, r"needs events of one shape, got \(2,\) and \(3,\)"),
])
def test_wrong_arguments_say_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


# The strict device -------------------------------------------------------------------


@MVN
def test_runs_on_the_device_as_on_the_cpu(strict_cuda, family_case):
    host, other = family_case.host_params(), family_case.host_params(seed=1)
    value = family_case.host_values(host)
    results = {}
    for device in ("cpu", "cuda"):
        p, leaves = family_case.build(tg, host, requires_grad=True, device=device)
        q, _ = family_case.build(tg, other, device=device)
        outputs = [getattr(p, name) for name in MATRICES]
        outputs += [p.log_prob(tg.tensor(value, dtype=tg.float64, device=device)), p.entropy(), p.variance,
                    distributions.kl_divergence(p, q)]
        assert all(output.device == device for output in outputs)
        sum(output.sum() for output in outputs).backward()
        results[device] = [output.detach().numpy() for output in outputs] + [leaf.grad.numpy()
                                                                            for leaf in leaves.values()]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)
