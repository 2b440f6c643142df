"""cosine_similarity, pairwise_distance and cdist: values and gradients against PyTorch
(also where points coincide and vectors are zero), finite differences, the modules,
and the errors."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

TOLERANCE = {"float32": dict(rtol=2e-5, atol=1e-6), "float64": dict(rtol=1e-11, atol=1e-13)}


def _function(framework, name):
    """``framework``'s function ``name``: from nn.functional, or torch.cdist."""
    return getattr(framework, name) if name == "cdist" else getattr(framework.nn.functional, name)


def _run(framework, name, arrays, options, dtype):
    """The output and the gradient of each input (zeros where none flows), for a random
    upstream gradient, as arrays."""
    inputs = [framework.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    output = _function(framework, name)(*inputs, **options)
    upstream = numpy.random.default_rng(9).standard_normal(tuple(output.shape)).astype(dtype)
    output.backward(framework.tensor(upstream))
    grads = [numpy.zeros(t.shape, dtype) if t.grad is None else t.grad.numpy() for t in inputs]
    return [output.detach().numpy(), *grads]


def assert_like_pytorch(torch, name, arrays, options, dtype):
    ours, theirs = _run(tg, name, arrays, options, dtype), _run(torch, name, arrays, options, dtype)
    assert ours[0].shape == theirs[0].shape
    assert ours[0].dtype == numpy.dtype(dtype)
    for mine, other, what in zip(ours, theirs, ("output", "x1 gradient", "x2 gradient"), strict=True):
        numpy.testing.assert_allclose(mine, other, err_msg=what, **TOLERANCE[dtype])


def _normal(*shape, seed=0):
    return numpy.random.default_rng([seed, *shape]).standard_normal(shape)


# (function, x1 shape, x2 shape, options)
CASES = {
    "cosine (N, D)": ("cosine_similarity", (4, 5), (4, 5), {}),
    "cosine dim 0": ("cosine_similarity", (4, 5), (4, 5), dict(dim=0)),
    "cosine broadcast, last axis": ("cosine_similarity", (2, 3, 4), (3, 4), dict(dim=-1)),
    "cosine broadcast along dim": ("cosine_similarity", (3, 1), (3, 4), dict(dim=1)),
    "cosine eps holds the norms": ("cosine_similarity", (4, 5), (4, 5), dict(eps=3.0)),
    "pairwise p 2": ("pairwise_distance", (4, 5), (4, 5), {}),
    "pairwise p 1": ("pairwise_distance", (4, 5), (4, 5), dict(p=1.0)),
    "pairwise p 3, keepdim": ("pairwise_distance", (4, 5), (4, 5), dict(p=3.0, keepdim=True)),
    "pairwise p 0.5": ("pairwise_distance", (4, 5), (4, 5), dict(p=0.5)),
    "pairwise p inf": ("pairwise_distance", (4, 5), (4, 5), dict(p=math.inf)),
    "pairwise p 0": ("pairwise_distance", (4, 5), (4, 5), dict(p=0.0)),
    "pairwise one row against rows": ("pairwise_distance", (5,), (3, 5), dict(eps=0.1)),
    "pairwise unbatched": ("pairwise_distance", (5,), (5,), {}),
    "cdist p 2": ("cdist", (4, 3), (5, 3), {}),
    "cdist batched": ("cdist", (2, 4, 3), (2, 5, 3), {}),
    "cdist broadcast batch": ("cdist", (4, 3), (2, 5, 3), {}),
    "cdist p 1": ("cdist", (2, 4, 3), (1, 5, 3), dict(p=1.0)),
    "cdist p 3": ("cdist", (4, 3), (5, 3), dict(p=3.0)),
    "cdist p 0.5": ("cdist", (4, 3), (5, 3), dict(p=0.5)),
    "cdist p inf": ("cdist", (4, 3), (5, 3), dict(p=math.inf)),
    "cdist p 0": ("cdist", (4, 3), (5, 3), dict(p=0.0)),
    "cdist without mm": ("cdist", (4, 3), (5, 3), dict(compute_mode="donot_use_mm_for_euclid_dist")),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_values_and_gradients_match_pytorch(torch, case, dtype):
    name, shape1, shape2, options = CASES[case]
    assert_like_pytorch(torch, name, [_normal(*shape1, seed=1), _normal(*shape2, seed=2)], options, dtype)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cdist_of_coinciding_points_has_pytorchs_finite_gradient(torch, p, dtype):
    x1 = _normal(4, 3, seed=3)
    x2 = numpy.concatenate([x1[2:], _normal(2, 3, seed=4), x1[:1]])  # rows 2, 3 and 0 of x1 again
    ours = _run(tg, "cdist", [x1, x2], dict(p=p), dtype)
    assert all(numpy.isfinite(a).all() for a in ours)
    assert ours[0][2, 0] == ours[0][3, 1] == ours[0][0, 4] == 0.0
    assert_like_pytorch(torch, "cdist", [x1, x2], dict(p=p), dtype)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5])
def test_pairwise_distance_of_coinciding_points_is_eps_apart(torch, p):
    x = _normal(3, 4, seed=5)
    ours = _run(tg, "pairwise_distance", [x, x.copy()], dict(p=p), "float64")
    numpy.testing.assert_allclose(ours[0], 1e-6 * 4 ** (1 / p), rtol=1e-12)  # ε·n^(1/p)
    assert_like_pytorch(torch, "pairwise_distance", [x, x.copy()], dict(p=p), "float64")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cosine_similarity_of_zero_vectors_matches_pytorch(torch, dtype):
    x1, x2 = _normal(4, 3, seed=6), _normal(4, 3, seed=7)
    x1[0] = x2[1] = 0.0
    x1[2] = x2[2] = 0.0
    ours = _run(tg, "cosine_similarity", [x1, x2], {}, dtype)
    assert ours[0][[0, 1, 2]].tolist() == [0.0, 0.0, 0.0]
    assert_like_pytorch(torch, "cosine_similarity", [x1, x2], {}, dtype)


@pytest.mark.parametrize("function, options", [
    (F.cosine_similarity, {}), (F.cosine_similarity, dict(dim=0, eps=0.5)),
    (F.pairwise_distance, {}), (F.pairwise_distance, dict(p=3.0, eps=0.0)), (F.pairwise_distance, dict(p=1.5)),
    (tg.cdist, {}), (tg.cdist, dict(p=1.5)), (tg.cdist, dict(p=3.0)),
], ids=["cosine", "cosine-dim0-eps", "pairwise", "pairwise-p3", "pairwise-p1.5", "cdist", "cdist-p1.5", "cdist-p3"])
def test_gradients_match_finite_differences(function, options):
    x1 = Tensor(_normal(3, 4, seed=8), requires_grad=True)
    x2 = Tensor(_normal(2, 4, seed=9) if function is tg.cdist else _normal(3, 4, seed=9), requires_grad=True)
    assert gradcheck(lambda a, b: function(a, b, **options), [x1, x2])


@pytest.mark.parametrize("function, options", [(F.cosine_similarity, {}), (tg.cdist, dict(p=3.0))],
                         ids=["cosine", "cdist-p3"])
def test_second_derivatives_match_finite_differences(function, options):
    x1, x2 = Tensor(_normal(3, 4, seed=12), requires_grad=True), Tensor(_normal(3, 4, seed=13), requires_grad=True)
    assert gradgradcheck(lambda a, b: function(a, b, **options), [x1, x2])


def test_the_modules_are_the_functions_and_print_like_pytorch(torch):
    x1, x2 = Tensor(_normal(3, 4, seed=10)), Tensor(_normal(3, 4, seed=11))
    for ours, theirs, function, options in (
        (nn.CosineSimilarity(dim=0, eps=1e-3), torch.nn.CosineSimilarity(dim=0, eps=1e-3), F.cosine_similarity,
         dict(dim=0, eps=1e-3)),
        (nn.PairwiseDistance(p=1.0, keepdim=True), torch.nn.PairwiseDistance(p=1.0, keepdim=True),
         F.pairwise_distance, dict(p=1.0, keepdim=True)),
    ):
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == []
        assert ours(x1, x2).tolist() == function(x1, x2, **options).tolist()
    assert nn.PairwiseDistance(p=3.0).norm == torch.nn.PairwiseDistance(p=3.0).norm


@pytest.mark.parametrize("call, error, words", [
    (lambda: tg.cdist(tg.ones(3), tg.ones(2, 3)), ValueError, r"cdist expects x1 of shape \(\.\.\., P, M\) and x2 "
     r"of shape \(\.\.\., R, M\) whose leading axes broadcast together, got \(3,\) and \(2, 3\)"),
    (lambda: tg.cdist(tg.ones(2, 3), tg.ones(2, 4)), RuntimeError, r"got \(2, 3\) and \(2, 4\)"),
    (lambda: tg.cdist(tg.ones(2, 2, 3), tg.ones(3, 2, 3)), RuntimeError, r"got \(2, 2, 3\) and \(3, 2, 3\)"),
    (lambda: tg.cdist(tg.ones(2, 3), tg.ones(2, 3), p=-1.0), RuntimeError, r"cdist expects p >= 0 \(or math.inf\), "
     r"got p=-1.0"),
    (lambda: tg.cdist(tg.ones(2, 3), tg.ones(2, 3), compute_mode="fast"), ValueError, "cdist: compute_mode must be "
     "one of .* got 'fast'"),
    (lambda: F.pairwise_distance(tg.ones(2, 3), tg.ones(2, 4)), ValueError, r"pairwise_distance expects x1 and x2 "
     r"that broadcast together, got x1 \(2, 3\), x2 \(2, 4\)"),
    (lambda: F.pairwise_distance(tg.ones(2, 3), tg.ones(2, 3), p=-2), ValueError, "pairwise_distance expects p >= 0"),
    (lambda: F.cosine_similarity(tg.ones(2, 3), tg.ones(3, 2)), ValueError, r"cosine_similarity expects x1 and x2 "
     r"that broadcast together, got x1 \(2, 3\), x2 \(3, 2\)"),
    (lambda: F.cosine_similarity(tg.ones(3), tg.ones(3)), ValueError, r"dim 1 is out of range for a tensor with 1 "
     r"dimensions"),
])
def test_wrong_arguments_are_refused_clearly(call, error, words):
    with pytest.raises(error, match=words):
        call()
