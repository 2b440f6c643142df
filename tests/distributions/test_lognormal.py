"""LogNormal at the edges: cdf and icdf at the ends, and refusals like PyTorch's (and Gumbel's)."""

from __future__ import annotations

import numpy
import pytest


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")  # icdf(0), icdf(1)
def test_icdf_at_the_ends_and_cdf_far_out_match_pytorch(same_as_pytorch):
    values = same_as_pytorch(lambda D, t: D.LogNormal(t(0.5), t(2.0)).icdf(t([0.0, 1.0, 0.5])))
    assert values[0] == 0.0 and values[1] == numpy.inf
    same_as_pytorch(lambda D, t: D.LogNormal(t(0.5), t(2.0)).cdf(t([1e-30, 1.0, 1e30])))


INVALID = {
    "LogNormal scale": lambda D, t: D.LogNormal(0.0, -1.0),
    "LogNormal value": lambda D, t: D.LogNormal(0.0, 1.0).log_prob(t(0.0)),
    "LogNormal cdf": lambda D, t: D.LogNormal(0.0, 1.0).cdf(t(-1.0)),  # reported by the Normal, of log(−1)
    "Gumbel scale": lambda D, t: D.Gumbel(t([0.0, 1.0]), 0.0),
}


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")  # log(−1)
@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])
