"""The shared helpers against PyTorch's ``torch.distributions.utils`` (and softplus
against ``nn.functional.softplus``): values, dtypes and gradients, at the extremes too."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck
from tinygrad_bn.distributions.utils import (
    broadcast_all,
    clamp_probs,
    logits_to_probs,
    probs_to_logits,
    softplus,
    sum_rightmost,
)


@pytest.mark.parametrize("values", [
    (0.5, 1),
    (numpy.zeros((2, 1)), 2.0),
    (3, numpy.ones(3, dtype="float32"), numpy.zeros((2, 1))),
    (numpy.arange(3), 0.5),
], ids=["numbers", "tensor and number", "three", "integer tensor"])
def test_broadcast_all_matches_pytorch(torch, values):
    ours = broadcast_all(*(tg.tensor(v) if isinstance(v, numpy.ndarray) else v for v in values))
    theirs = torch.distributions.utils.broadcast_all(*(torch.tensor(v) if isinstance(v, numpy.ndarray) else v
                                                       for v in values))
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.shape == tuple(other.shape) and str(other.dtype) == f"torch.{mine.dtype}"
        numpy.testing.assert_array_equal(mine.numpy(), other.numpy())


def test_broadcast_all_passes_gradients_back():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (wide, _) = broadcast_all(x, tg.zeros(3, 1))
    wide.sum().backward()
    assert wide.shape == (3, 2) and x.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_probabilities_and_logits_match_pytorch(torch, dtype):
    probs = numpy.array([[0.0, 1e-20, 0.3, 0.7], [1.0, 0.5, 1 - 1e-9, 0.25]], dtype=dtype)
    logits = numpy.array([[-1000.0, -3.0, 0.0, 40.0], [1000.0, 2.0, -0.5, 0.0]], dtype=dtype)
    utils = torch.distributions.utils
    pairs = [
        (clamp_probs(tg.tensor(probs)), utils.clamp_probs(torch.tensor(probs))),
        (probs_to_logits(tg.tensor(probs)), utils.probs_to_logits(torch.tensor(probs))),
        (probs_to_logits(tg.tensor(probs), is_binary=True), utils.probs_to_logits(torch.tensor(probs), True)),
        (logits_to_probs(tg.tensor(logits)), utils.logits_to_probs(torch.tensor(logits))),
        (logits_to_probs(tg.tensor(logits), is_binary=True), utils.logits_to_probs(torch.tensor(logits), True)),
    ]
    for ours, theirs in pairs:
        assert ours.dtype == dtype
        numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softplus_matches_pytorch_with_its_gradient_at_zero(torch, dtype):
    values = numpy.array([-1000.0, -30.0, -1.0, 0.0, 1e-8, 1.0, 30.0, 1000.0], dtype=dtype)
    x = tg.tensor(values, requires_grad=True)
    theirs_x = torch.tensor(values, requires_grad=True)
    ours, theirs = softplus(x), torch.nn.functional.softplus(theirs_x)
    rtol = 1e-6 if dtype == "float32" else 1e-14
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-30)
    (dx,) = grad(ours.sum(), [x])
    assert dx.numpy()[3] == 0.5  # σ(0), where the kinks of max(x, 0) and |x| meet
    # σ(x) itself: PyTorch's softplus is x above 20, of slope 1
    numpy.testing.assert_allclose(dx.numpy(), torch.sigmoid(theirs_x).detach().numpy(), rtol=rtol, atol=1e-30)


def test_softplus_gradient_matches_finite_differences():
    assert gradcheck(softplus, tg.tensor([-3.0, -0.2, 0.4, 5.0], dtype=tg.float64, requires_grad=True))


def test_sum_rightmost():
    x = tg.arange(24.0).reshape(2, 3, 4)
    assert sum_rightmost(x, 0) is x
    assert sum_rightmost(x, 2).tolist() == x.numpy().sum(axis=(1, 2)).tolist()
    assert sum_rightmost(x, 3).item() == 276.0
