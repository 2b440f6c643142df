"""Uniform at the edges of its interval, where PyTorch's half-open interval shows."""

from __future__ import annotations

import numpy

import tinygrad_bn as tg


def test_log_prob_includes_low_and_excludes_high_as_pytorch(same_as_pytorch):
    values = same_as_pytorch(lambda D, t: D.Uniform(t(-1.0), t(3.0)).log_prob(t([-1.0, 0.0, 3.0])))
    assert values[0] == values[1] == -numpy.log(4.0) and values[2] == -numpy.inf


def test_cdf_is_held_within_0_and_1_outside_the_interval(same_as_pytorch):
    values = same_as_pytorch(lambda D, t: D.Uniform(t(0.0), t(2.0), validate_args=False).cdf(t([-1.0, 1.0, 5.0])))
    assert values.tolist() == [0.0, 0.5, 1.0]


def test_log_prob_passes_gradients_to_the_bounds_only_inside():
    low, high = tg.tensor([0.0, 0.0], requires_grad=True), tg.tensor([2.0, 4.0], requires_grad=True)
    tg.distributions.Uniform(low, high).log_prob(tg.tensor([1.0, 4.0])).sum().backward()
    # −log(high − low) inside; the constant −∞ outside
    assert low.grad.tolist() == [0.5, 0.0] and high.grad.tolist() == [-0.5, 0.0]
