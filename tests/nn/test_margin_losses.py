"""The margin losses of embeddings and of class scores: values and gradients against
PyTorch for each reduction, shapes, weights, gradients at a hinge's corner, extreme
scores, finite differences, and the errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-11, atol=1e-13)}


class PerFramework:
    """An option made for each framework, as ``make(framework)`` (a distance function)."""

    def __init__(self, make):
        self.make = make


class Fixed:
    """A float array given without requires_grad (PyTorch refuses to differentiate some targets)."""

    def __init__(self, array):
        self.array = array


def _tensor(framework, a, dtype):
    """A leaf that requires grad for a float array; a fixed tensor for a :class:`Fixed`
    one, and for integer class indices."""
    if isinstance(a, Fixed):
        return framework.tensor(a.array.astype(dtype))
    return framework.tensor(a.astype(dtype), requires_grad=True) if a.dtype.kind == "f" else framework.tensor(a)


def _option(framework, value, dtype):
    if isinstance(value, PerFramework):
        return value.make(framework)
    return framework.tensor(numpy.asarray(value, dtype=dtype)) if isinstance(value, list) else value


def _run(framework, name, arrays, options, dtype):
    """The loss and the gradient of each array that requires grad (zeros where none
    flows), for a random upstream gradient."""
    inputs = [_tensor(framework, a, dtype) for a in arrays]
    given = {key: _option(framework, value, dtype) for key, value in options.items()}
    loss = getattr(framework.nn.functional, name)(*inputs, **given)
    upstream = numpy.random.default_rng(9).standard_normal(tuple(loss.shape)).astype(dtype)
    loss.backward(framework.tensor(upstream))
    grads = [numpy.zeros(t.shape, dtype) if t.grad is None else t.grad.numpy() for t in inputs if t.requires_grad]
    return [loss.detach().numpy(), *grads]


def assert_like_pytorch(torch, name, arrays, options, dtype):
    ours, theirs = _run(tg, name, arrays, options, dtype), _run(torch, name, arrays, options, dtype)
    assert ours[0].shape == theirs[0].shape and ours[0].dtype == numpy.dtype(dtype)
    for i, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
        numpy.testing.assert_allclose(mine, other, err_msg=f"output {i}", **TOLERANCE[dtype])


def signs(r, shape):
    return r.choice([-1.0, 1.0], shape)


def label_rows(r, rows, classes):
    """Target rows of class indices ended by −1 (then anything), one row listing a class twice."""
    labels = numpy.stack([r.permutation(classes) for _ in range(rows)])
    labels[numpy.arange(rows), r.integers(1, classes, rows)] = -1
    labels[0, :3] = [1, 1, -1]
    return labels


def cosine_distance(framework):
    return lambda a, b: 1.0 - framework.nn.functional.cosine_similarity(a, b)


RNG = numpy.random.default_rng
# name -> (function, arrays made from a generator, options)
CASES = {
    "cosine embedding": ("cosine_embedding_loss", lambda r: [r.standard_normal((5, 4)), r.standard_normal((5, 4)),
                                                             signs(r, 5)], {}),
    "cosine embedding, margin, int targets": ("cosine_embedding_loss", lambda r: [
        r.standard_normal((5, 4)), r.standard_normal((5, 4)), r.choice([-1, 1], 5)], dict(margin=-0.3)),
    "cosine embedding unbatched": ("cosine_embedding_loss", lambda r: [r.standard_normal(4), r.standard_normal(4),
                                                                       numpy.array(-1.0)], {}),
    "margin ranking": ("margin_ranking_loss", lambda r: [r.standard_normal(6), r.standard_normal(6), signs(r, 6)],
                       dict(margin=0.2)),
    "margin ranking broadcast": ("margin_ranking_loss", lambda r: [r.standard_normal((4, 3)), r.standard_normal((1, 3)),
                                                                   signs(r, (4, 1))], {}),
    "hinge embedding": ("hinge_embedding_loss", lambda r: [2 * r.standard_normal((4, 3)), signs(r, (4, 3))], {}),
    "hinge embedding, target broadcast": ("hinge_embedding_loss", lambda r: [2 * r.standard_normal((4, 3)),
                                                                             signs(r, 3)], dict(margin=1.5)),
    "soft margin": ("soft_margin_loss", lambda r: [3 * r.standard_normal((4, 3)), Fixed(signs(r, (4, 3)))], {}),
    "multilabel soft margin": ("multilabel_soft_margin_loss", lambda r: [3 * r.standard_normal((4, 3)),
                                                                         r.integers(0, 2, (4, 3)).astype(float)], {}),
    "multilabel soft margin, weight": ("multilabel_soft_margin_loss", lambda r: [
        3 * r.standard_normal((4, 3)), r.uniform(0, 1, (4, 3))], dict(weight=[0.5, 2.0, 1.0])),
    "multilabel soft margin unbatched": ("multilabel_soft_margin_loss", lambda r: [
        r.standard_normal(3), r.integers(0, 2, 3).astype(float)], {}),
    "multi margin": ("multi_margin_loss", lambda r: [r.standard_normal((5, 4)), r.integers(0, 4, 5)], {}),
    "multi margin p 2, weight": ("multi_margin_loss", lambda r: [r.standard_normal((5, 4)), r.integers(0, 4, 5)],
                                 dict(p=2, margin=0.5, weight=[0.5, 2.0, 1.0, 3.0])),
    "multi margin unbatched": ("multi_margin_loss", lambda r: [r.standard_normal(4), numpy.array(2)], {}),
    "multilabel margin": ("multilabel_margin_loss", lambda r: [r.standard_normal((3, 5)), label_rows(r, 3, 5)], {}),
    "multilabel margin unbatched": ("multilabel_margin_loss", lambda r: [r.standard_normal(5), label_rows(r, 1, 5)[0]],
                                    {}),
    "triplet": ("triplet_margin_loss", lambda r: [r.standard_normal((5, 4)) for _ in range(3)], {}),
    "triplet p 1, swap": ("triplet_margin_loss", lambda r: [r.standard_normal((5, 4)) for _ in range(3)],
                          dict(p=1, swap=True, margin=2.0)),
    "triplet p 3, eps": ("triplet_margin_loss", lambda r: [r.standard_normal((5, 4)) for _ in range(3)],
                         dict(p=3, eps=1e-2, margin=1.5)),
    "triplet unbatched": ("triplet_margin_loss", lambda r: [r.standard_normal(4) for _ in range(3)], dict(margin=3.0)),
    "triplet with distance": ("triplet_margin_with_distance_loss", lambda r: [r.standard_normal((5, 4))
                                                                              for _ in range(3)], dict(margin=2.0)),
    "triplet with cosine distance, swap": ("triplet_margin_with_distance_loss", lambda r: [
        r.standard_normal((5, 4)) for _ in range(3)], dict(distance_function=PerFramework(cosine_distance), swap=True)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", CASES)
def test_values_and_gradients_match_pytorch(torch, case, reduction, dtype):
    name, make, options = CASES[case]
    assert_like_pytorch(torch, name, make(RNG(1)), {**options, "reduction": reduction}, dtype)


def test_a_hinge_at_its_corner_passes_the_gradient_as_pytorchs_does(torch):
    """margin_ranking_loss's hinge at exactly 0 passes the gradient (PyTorch's clamp_min);
    multi_margin_loss's passes none (PyTorch counts only h > 0)."""
    ranking = [numpy.array([1.5, 0.0]), numpy.array([1.0, 1.0]), numpy.array([1.0, 1.0])]
    ours = _run(tg, "margin_ranking_loss", ranking, dict(margin=0.5, reduction="sum"), "float64")
    assert ours[1][0] != 0.0  # −y·(1.5 − 1.0) + 0.5 = 0
    assert_like_pytorch(torch, "margin_ranking_loss", ranking, dict(margin=0.5, reduction="sum"), "float64")
    scores = [numpy.array([[1.0, 0.0, 0.5]]), numpy.array([0])]  # 1 − 1 + 0 = 0 for class 1
    ours = _run(tg, "multi_margin_loss", scores, dict(reduction="sum"), "float64")
    assert ours[1][0, 1] == 0.0
    assert_like_pytorch(torch, "multi_margin_loss", scores, dict(reduction="sum"), "float64")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_soft_margin_is_finite_for_extreme_scores(dtype):
    x = Tensor(numpy.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype), requires_grad=True)
    loss = F.soft_margin_loss(x, numpy.ones(5, dtype=dtype), reduction="none")
    loss.sum().backward()
    # log(1 + e^(−x)): 1000, 50, log 2, e^(−50), 0; its slope −σ(−x)
    numpy.testing.assert_allclose(loss.numpy(), [1000.0, 50.0, numpy.log(2), numpy.exp(-50.0), 0.0], rtol=1e-6)
    numpy.testing.assert_allclose(x.grad.numpy(), [-1.0, -1.0, -0.5, -numpy.exp(-50.0), 0.0], rtol=1e-6)


@pytest.mark.parametrize("case", ["cosine embedding", "margin ranking", "hinge embedding", "soft margin",
                                  "multilabel soft margin, weight", "multi margin", "multi margin p 2, weight",
                                  "multilabel margin", "triplet", "triplet p 1, swap",
                                  "triplet with cosine distance, swap"])
def test_gradients_match_finite_differences(case):
    name, make, options = CASES[case]
    arrays = make(RNG(2))
    inputs = [_tensor(tg, a, "float64") for a in arrays]
    given = {key: _option(tg, value, "float64") for key, value in options.items()}
    assert gradcheck(lambda *a: getattr(F, name)(*a, **given, reduction="sum"), inputs)


@pytest.mark.parametrize("case", ["soft margin", "multilabel soft margin, weight", "triplet p 1, swap"])
def test_second_derivatives_match_finite_differences(case):
    name, make, options = CASES[case]
    inputs = [_tensor(tg, a, "float64") for a in make(RNG(3))]
    given = {key: _option(tg, value, "float64") for key, value in options.items()}
    assert gradgradcheck(lambda *a: getattr(F, name)(*a, **given, reduction="sum"), inputs)


@pytest.mark.parametrize("call, error, words", [
    (lambda x: F.cosine_embedding_loss(x, x, tg.ones(2, 1)), RuntimeError, r"cosine_embedding_loss expects inputs "
     r"\(N, D\) with a target \(N,\), or \(D,\) with a 0-d target, got \(2, 4\), \(2, 4\) and a target \(2, 1\)"),
    (lambda x: F.cosine_embedding_loss(x[0], x[0], tg.ones(2)), ValueError, r"got \(4,\), \(4,\) and a target"),
    (lambda x: F.margin_ranking_loss(x[0], x[0], tg.ones(())), RuntimeError, r"margin_ranking_loss expects input1, "
     r"input2 and target with one number of axes, got \(4,\), \(4,\) and \(\)"),
    (lambda x: F.hinge_embedding_loss(x, tg.ones(3)), ValueError, r"hinge_embedding_loss expects input and target "
     r"that broadcast together, got input \(2, 4\), target \(3,\)"),
    (lambda x: F.soft_margin_loss(x, x, reduction="batchmean"), ValueError, "soft_margin_loss: reduction must be one "
     "of .* got 'batchmean'"),
    (lambda x: F.multi_margin_loss(x, [0, 1], p=3), ValueError, "multi_margin_loss supports p = 1 or p = 2, got p=3"),
    (lambda x: F.multi_margin_loss(x, [0, 4]), ValueError, r"multi_margin_loss expects class indices in \[0, 4\), "
     r"got values from 0 to 4"),
    (lambda x: F.multi_margin_loss(x, [0.0, 1.0]), TypeError, "multi_margin_loss expects targets that are integer "
     "class indices, got dtype float"),
    (lambda x: F.multi_margin_loss(x, [0, 1, 2]), RuntimeError, r"multi_margin_loss expects 2 class indices, one per "
     r"row of scores of shape \(2, 4\), got a target of shape \(3,\)"),
    (lambda x: F.multi_margin_loss(x, [0, 1], weight=tg.ones(3)), RuntimeError, r"multi_margin_loss expects a weight "
     r"of shape \(4,\), one per class, got \(3,\)"),
    (lambda x: F.multi_margin_loss(x.reshape(2, 2, 2), [0, 1]), ValueError, r"multi_margin_loss expects scores "
     r"\(N, C\) or \(C,\), got \(2, 2, 2\)"),
    (lambda x: F.multilabel_margin_loss(x, [[0, -1, 0, 0], [4, -1, 0, 0]]), ValueError, r"multilabel_margin_loss "
     r"expects class indices in \[0, 4\), got values from 0 to 4"),
    (lambda x: F.multilabel_margin_loss(x, [0, 1, -1, 0]), RuntimeError, r"multilabel_margin_loss expects a target "
     r"of the input's shape \(2, 4\), got \(4,\)"),
    (lambda x: F.triplet_margin_loss(x, x, x, margin=0.0), ValueError, "triplet_margin_loss expects a margin greater "
     "than 0, got 0.0"),
    (lambda x: F.triplet_margin_with_distance_loss(x, x, x[0]), RuntimeError, r"triplet_margin_with_distance_loss "
     r"expects anchor, positive and negative with one number of axes, got \(2, 4\), \(2, 4\) and \(4,\)"),
])
def test_wrong_arguments_are_refused_clearly(call, error, words):
    with pytest.raises(error, match=words):
        call(tg.zeros(2, 4))
