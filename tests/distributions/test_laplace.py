"""Laplace at its location (the kink of its density) and at the ends of its inverse CDF."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log1p:RuntimeWarning")  # icdf(1)
def test_cdf_and_icdf_at_the_location_and_the_ends_match_pytorch(same_as_pytorch):
    assert same_as_pytorch(lambda D, t: D.Laplace(t(1.0), t(2.0)).cdf(t([1.0]))).tolist() == [0.5]
    values = same_as_pytorch(lambda D, t: D.Laplace(t(1.0), t(2.0)).icdf(t([0.0, 0.5, 1.0, 1e-12])))
    assert values[:3].tolist() == [-numpy.inf, 1.0, numpy.inf]


def test_gradients_at_the_location_match_pytorch(torch):
    grads = []
    for framework, module in ((tg, tg.distributions), (torch, torch.distributions)):
        loc = framework.tensor([1.0, 1.0], dtype=framework.float64, requires_grad=True)
        value = framework.tensor([1.0, 1.0], dtype=framework.float64, requires_grad=True)
        dist = module.Laplace(loc, framework.tensor([2.0, 2.0], dtype=framework.float64))
        (dist.log_prob(value).sum() + dist.cdf(value).sum()).backward()
        grads.append([loc.grad.numpy(), value.grad.numpy()])
    for ours, theirs in zip(*grads, strict=True):
        numpy.testing.assert_array_equal(ours, theirs)
