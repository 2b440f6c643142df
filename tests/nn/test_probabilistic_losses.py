"""kl_div, poisson_nll_loss and gaussian_nll_loss: values and the gradients of every
input against PyTorch for each reduction, shapes, zeros in targets, the variance held
at eps, finite differences, and the errors."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

TOLERANCE = {"float32": dict(rtol=2e-5, atol=1e-6), "float64": dict(rtol=1e-11, atol=1e-13)}


def _run(framework, name, arguments, options, dtype):
    """The loss and the gradient of each array argument, for a random upstream gradient;
    numbers are passed as they are. PyTorch's "mean" warning for kl_div is silenced."""
    inputs = [framework.tensor(a.astype(dtype), requires_grad=True) if isinstance(a, numpy.ndarray) else a
              for a in arguments]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loss = getattr(framework.nn.functional, name)(*inputs, **options)
    upstream = numpy.random.default_rng(9).standard_normal(tuple(loss.shape)).astype(dtype)
    loss.backward(framework.tensor(upstream))
    return [loss.detach().numpy(), *(t.grad.numpy() for t in inputs if isinstance(t, framework.Tensor))]


def assert_like_pytorch(torch, name, arguments, options, dtype, finite_in_pytorch_only=False):
    """Our loss and gradients equal PyTorch's; with ``finite_in_pytorch_only`` only
    where PyTorch's are finite, and ours are finite everywhere."""
    ours, theirs = _run(tg, name, arguments, options, dtype), _run(torch, name, arguments, options, dtype)
    assert ours[0].shape == theirs[0].shape and ours[0].dtype == numpy.dtype(dtype)
    for i, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
        if finite_in_pytorch_only:
            assert numpy.isfinite(mine).all()
            mine, other = mine[numpy.isfinite(other)], other[numpy.isfinite(other)]
        numpy.testing.assert_allclose(mine, other, err_msg=f"output {i}", **TOLERANCE[dtype])


def log_probabilities(rng, shape):
    x = rng.standard_normal(shape)
    return x - numpy.log(numpy.exp(x).sum(axis=-1, keepdims=True))


def probabilities_with_zeros(rng, shape):
    p = rng.uniform(0, 1, shape) * (rng.random(shape) > 0.3)
    return p / p.sum(axis=-1, keepdims=True)


def counts(rng, shape):
    """Poisson counts 0, 1, 2 ... (0 and 1 get no Stirling term)."""
    return rng.poisson(2.0, shape).astype(float)


RNG = numpy.random.default_rng
# name -> (function, arguments made from a generator, options)
CASES = {
    "kl_div": ("kl_div", lambda r: [log_probabilities(r, (4, 5)), probabilities_with_zeros(r, (4, 5))], {}),
    "kl_div log_target": ("kl_div", lambda r: [log_probabilities(r, (4, 5)), log_probabilities(r, (4, 5))],
                          dict(log_target=True)),
    "kl_div target broadcast": ("kl_div", lambda r: [log_probabilities(r, (4, 5)), r.uniform(0.1, 1, (5,))], {}),
    "kl_div (N, C, L)": ("kl_div", lambda r: [log_probabilities(r, (2, 3, 4)), r.uniform(0.1, 1, (2, 3, 4))], {}),
    "poisson": ("poisson_nll_loss", lambda r: [r.standard_normal((4, 5)), counts(r, (4, 5))], {}),
    "poisson full": ("poisson_nll_loss", lambda r: [r.standard_normal((4, 5)), counts(r, (4, 5))], dict(full=True)),
    "poisson rates": ("poisson_nll_loss", lambda r: [r.uniform(0.1, 3, (4, 5)), counts(r, (4, 5))],
                      dict(log_input=False, full=True, eps=1e-3)),
    "poisson target broadcast": ("poisson_nll_loss", lambda r: [r.standard_normal((4, 5)), counts(r, (5,))], {}),
    "gaussian": ("gaussian_nll_loss", lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5)),
                                                 r.uniform(0.2, 2, (4, 5))], {}),
    "gaussian full": ("gaussian_nll_loss", lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5)),
                                                      r.uniform(0.2, 2, (4, 5))], dict(full=True)),
    "gaussian var per row": ("gaussian_nll_loss", lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5)),
                                                             r.uniform(0.2, 2, (4,))], {}),
    "gaussian var shared on axis 1": ("gaussian_nll_loss", lambda r: [r.standard_normal((2, 3, 4)),
                                                                      r.standard_normal((2, 3, 4)),
                                                                      r.uniform(0.2, 2, (2, 1, 4))], {}),
    "gaussian var a number": ("gaussian_nll_loss", lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5)),
                                                              0.5], {}),
    "gaussian unbatched": ("gaussian_nll_loss", lambda r: [r.standard_normal(5), r.standard_normal(5),
                                                           r.uniform(0.2, 2, (1,))], {}),
    "gaussian var below eps": ("gaussian_nll_loss", lambda r: [r.standard_normal((4, 5)), r.standard_normal((4, 5)),
                                                               r.uniform(0, 2e-2, (4, 5)) * (r.random((4, 5)) > 0.2)],
                               dict(eps=1e-2)),
}


def _reductions(name):
    return ["mean", "sum", "none", "batchmean"] if name == "kl_div" else ["mean", "sum", "none"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case, reduction", [(case, reduction) for case, (name, _, _) in CASES.items()
                                             for reduction in _reductions(name)])
def test_values_and_gradients_match_pytorch(torch, case, reduction, dtype):
    name, make, options = CASES[case]
    arguments = make(RNG(1))
    zeros_in_target = name != "gaussian_nll_loss" and not options.get("log_target") and (arguments[1] == 0).any()
    assert_like_pytorch(torch, name, arguments, {**options, "reduction": reduction}, dtype,
                        finite_in_pytorch_only=bool(zeros_in_target))


def test_a_zero_target_has_a_finite_gradient_where_pytorchs_is_nan(torch):
    x = numpy.log(numpy.array([0.25, 0.25, 0.5]))
    target = numpy.array([0.0, 0.5, 0.5])
    ours = _run(tg, "kl_div", [x, target], dict(reduction="sum"), "float64")
    theirs = _run(torch, "kl_div", [x, target], dict(reduction="sum"), "float64")
    numpy.testing.assert_allclose(ours[0], 0.5 * numpy.log(2.0), rtol=1e-15)  # 0 + 0.5·log(0.5/0.25) + 0
    assert numpy.isnan(theirs[2][0])
    upstream = numpy.random.default_rng(9).standard_normal(())
    # ∂/∂t of t·log t − t·x: log t + 1 − x, and −x at t = 0 where t·log t is flat
    expected = upstream * numpy.where(target > 0, numpy.log(numpy.where(target > 0, target, 1)) + 1 - x, -x)
    numpy.testing.assert_allclose(ours[2], expected, rtol=1e-14)


def test_poisson_full_adds_stirling_only_above_one():
    target = numpy.array([0.0, 1.0, 2.0, 7.0])
    x = Tensor(numpy.zeros(4))
    without, full = (F.poisson_nll_loss(x, target, full=flag, reduction="none").numpy() for flag in (False, True))
    t = numpy.maximum(target, 1)
    stirling = t * numpy.log(t) - t + 0.5 * numpy.log(2 * numpy.pi * t)
    numpy.testing.assert_allclose(full - without, numpy.where(target > 1, stirling, 0.0), rtol=1e-14, atol=0)


def test_gaussian_var_is_held_at_eps_with_the_gradient_passed_through(torch):
    """PyTorch clamps a clone of var under no_grad: the loss sees eps, var's gradient
    is the one at eps, also where var < eps."""
    mean, target, var = numpy.array([0.5, 0.5, 1.0]), numpy.zeros(3), numpy.array([1e-8, 0.5, 2.0])
    ours = _run(tg, "gaussian_nll_loss", [mean, target, var], dict(eps=1e-6, reduction="sum"), "float64")
    held = numpy.maximum(var, 1e-6)
    numpy.testing.assert_allclose(ours[0], 0.5 * (numpy.log(held) + mean**2 / held).sum(), rtol=1e-14)
    upstream = numpy.random.default_rng(9).standard_normal(())
    numpy.testing.assert_allclose(ours[3], upstream * 0.5 * (1 / held - mean**2 / held**2), rtol=1e-12)
    assert_like_pytorch(torch, "gaussian_nll_loss", [mean, target, var], dict(eps=1e-6, reduction="sum"), "float64")


@pytest.mark.parametrize("reduction, divisor", [("batchmean", 4), ("mean", 20), ("sum", 1)])
def test_kl_div_reductions_divide_as_documented_and_mean_warns(reduction, divisor):
    rng = RNG(2)
    x, target = Tensor(log_probabilities(rng, (4, 5))), rng.uniform(0.1, 1, (4, 5))
    total = F.kl_div(x, target, reduction="none").sum().item()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = F.kl_div(x, target, reduction=reduction).item()
    assert value == pytest.approx(total / divisor, rel=1e-12)
    warned = [w for w in caught if issubclass(w.category, UserWarning) and "batchmean" in str(w.message)]
    assert len(warned) == (reduction == "mean")


def test_kl_div_batchmean_of_a_0d_input_is_the_sum(torch):
    ours = F.kl_div(Tensor(-1.0), Tensor(0.5), reduction="batchmean").item()
    theirs = torch.nn.functional.kl_div(torch.tensor(-1.0), torch.tensor(0.5), reduction="batchmean").item()
    assert ours == pytest.approx(theirs, rel=1e-6)


@pytest.mark.parametrize("case", ["kl_div", "kl_div log_target", "poisson full", "poisson rates", "gaussian full",
                                  "gaussian var per row"])
def test_gradients_match_finite_differences(case):
    """Away from the kinks: no zero targets in kl_div, no Poisson target near 1, where
    the Stirling term starts (var below eps is flat, see the test above)."""
    name, make, options = CASES[case]
    arguments = [Tensor(a, requires_grad=True) if isinstance(a, numpy.ndarray) else a for a in make(RNG(3))]
    t = RNG(4).uniform(0, 5, (4, 5))
    smooth_targets = {"kl_div": t / 5 + 0.1, "poisson_nll_loss": numpy.where(t < 1, 0.8 * t, t + 0.3)}
    if name in smooth_targets and not options.get("log_target"):
        arguments[1] = Tensor(smooth_targets[name], requires_grad=True)
    assert gradcheck(lambda *a: getattr(F, name)(*a, **options, reduction="sum"), arguments)


@pytest.mark.parametrize("case", ["kl_div log_target", "gaussian var per row"])
def test_second_derivatives_match_finite_differences(case):
    name, make, options = CASES[case]
    arguments = [Tensor(a, requires_grad=True) for a in make(RNG(5))]
    assert gradgradcheck(lambda *a: getattr(F, name)(*a, **options, reduction="sum"), arguments)


@pytest.mark.parametrize("call, error, words", [
    (lambda x: F.kl_div(x, x, reduction="avg"), ValueError, r"kl_div: reduction must be one of \('mean', 'sum', "
     r"'none', 'batchmean'\), got 'avg'"),
    (lambda x: F.poisson_nll_loss(x, x, reduction="batchmean"), ValueError, r"poisson_nll_loss: reduction must be "
     r"one of \('mean', 'sum', 'none'\), got 'batchmean'"),
    (lambda x: F.kl_div(x, tg.ones(3)), RuntimeError, r"kl_div expects input and target that broadcast together, "
     r"got input \(2, 4\), target \(3,\)"),
    (lambda x: F.gaussian_nll_loss(x, x, -1.0), ValueError, "gaussian_nll_loss expects var >= 0, got -1.0"),
    (lambda x: F.gaussian_nll_loss(x, x, x - 1.0), ValueError, "gaussian_nll_loss expects var >= 0 everywhere, got "
     "values down to -1.0"),
    (lambda x: F.gaussian_nll_loss(x, x, tg.ones(4)), RuntimeError, r"gaussian_nll_loss expects var of the input's "
     r"shape \(2, 4\), that shape without its last axis \(2,\), or with one axis of size 1, got \(4,\)"),
    (lambda x: F.gaussian_nll_loss(x, x, tg.ones(1, 1)), ValueError, r"got \(1, 1\)"),
    (lambda x: F.gaussian_nll_loss(x, x, tg.ones(())), ValueError, r"got \(\)"),
])
def test_wrong_arguments_are_refused_clearly(call, error, words):
    with pytest.raises(error, match=words):
        call(tg.zeros(2, 4))
