"""Normal at the edges: the CDF far out, the inverse CDF at 0, 1 and deep in the tails."""

from __future__ import annotations

import numpy


def test_cdf_far_out_matches_pytorch(same_as_pytorch):
    values = same_as_pytorch(lambda D, t: D.Normal(t(1.0), t(2.0)).cdf(t([-80.0, -10.0, 1.0, 10.0, 80.0])))
    assert values[0] == 0.0 and values[-1] == 1.0 and values[2] == 0.5


def test_icdf_at_the_ends_and_in_the_tails_matches_pytorch(same_as_pytorch):
    values = same_as_pytorch(lambda D, t: D.Normal(t(1.0), t(2.0)).icdf(t([0.0, 1.0, 0.5])))
    assert values.tolist() == [-numpy.inf, numpy.inf, 1.0]
    # 2p − 1 keeps p to 1e-16 absolute, so both are as far from the true quantile as that allows
    same_as_pytorch(lambda D, t: D.Normal(t(0.0), t(1.0)).icdf(t([1e-10, 1e-7, 1 - 1e-7])), rtol=1e-7)


def test_icdf_inverts_cdf(same_as_pytorch):
    x = same_as_pytorch(lambda D, t: D.Normal(t([0.5]), t([3.0])).icdf(D.Normal(t([0.5]), t([3.0])).cdf(
        t([-7.0, -1.0, 0.0, 2.5, 7.0]))), rtol=1e-10)
    numpy.testing.assert_allclose(x, [-7.0, -1.0, 0.0, 2.5, 7.0], rtol=1e-10, atol=1e-12)
