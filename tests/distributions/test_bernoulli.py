"""Bernoulli at extreme logits and at probabilities 0, 1/2 and 1, with gradients."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg

EXTREMES = {"logits": [-1000.0, -40.0, 0.0, 40.0, 1000.0], "probs": [0.0, 1e-30, 0.5, 1 - 1e-12, 1.0]}


@pytest.mark.parametrize("given", EXTREMES)
def test_extremes_match_pytorch_with_gradients(torch, given):
    results = []
    for framework, module in ((tg, tg.distributions), (torch, torch.distributions)):
        parameter = framework.tensor(EXTREMES[given], dtype=framework.float64, requires_grad=True)
        dist = module.Bernoulli(**{given: parameter})
        value = framework.tensor([[0.0] * 5, [1.0] * 5], dtype=framework.float64)
        log_prob, entropy = dist.log_prob(value), dist.entropy()
        (log_prob.sum() + entropy.sum()).backward()
        results.append([log_prob.detach().numpy(), entropy.detach().numpy(), parameter.grad.numpy()])
    for ours, theirs in zip(*results, strict=True):
        assert numpy.isfinite(ours).all()
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_mode_is_nan_at_one_half(same_as_pytorch):
    modes = same_as_pytorch(lambda D, t: D.Bernoulli(t([0.2, 0.5, 0.7])).mode)
    assert numpy.isnan(modes[1]) and modes[[0, 2]].tolist() == [0.0, 1.0]
