"""Exponential at 0 and at the ends of its inverse CDF."""

from __future__ import annotations

import numpy
import pytest


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log1p:RuntimeWarning")  # icdf(1)
def test_log_prob_cdf_and_icdf_at_the_edges_match_pytorch(same_as_pytorch):
    rate = [0.5, 4.0]
    log_prob = same_as_pytorch(lambda D, t: D.Exponential(t(rate)).log_prob(t([0.0, 0.0])))
    assert log_prob.tolist() == numpy.log(rate).tolist()
    assert same_as_pytorch(lambda D, t: D.Exponential(t(rate)).cdf(t([0.0, 0.0]))).tolist() == [0.0, 0.0]
    assert same_as_pytorch(lambda D, t: D.Exponential(t(rate)).icdf(t([0.0, 1.0]))).tolist() == [0.0, numpy.inf]
    same_as_pytorch(lambda D, t: D.Exponential(t(rate)).icdf(t([1e-12, 1 - 1e-12])))
