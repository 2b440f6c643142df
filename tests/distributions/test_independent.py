"""Independent: how batch and event axes split, its support, rsample and expand, as in PyTorch."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg

BASES = {
    "Normal (2, 3, 4)": lambda D, t: D.Normal(t(numpy.zeros((2, 3, 4))), 1.0),
    "OneHotCategorical (2, 3) of 4 classes": lambda D, t: D.OneHotCategorical(t(numpy.ones((2, 3, 4)))),
}


@pytest.mark.parametrize("axes", [0, 1, 2])
@pytest.mark.parametrize("base", BASES)
def test_shapes_support_and_expand_match_pytorch(torch, base, axes):
    made = []
    for framework, module in ((tg, tg.distributions), (torch, torch.distributions)):
        dist = module.Independent(BASES[base](module, lambda v, f=framework: f.tensor(v)), axes)
        expanded = dist.expand((5, *dist.batch_shape))
        made.append((tuple(dist.batch_shape), tuple(dist.event_shape), repr(dist.support), dist.has_rsample,
                     tuple(expanded.batch_shape), tuple(expanded.event_shape), tuple(dist.sample((2,)).shape),
                     tuple(dist.entropy().shape), repr(dist)))
    assert made[0] == made[1]


def test_more_axes_than_the_batch_has_are_refused():
    with pytest.raises(ValueError, match=r"reinterpreted_batch_ndims <= len\(base_distribution.batch_shape\), "
                                         "actual 3 vs 2"):
        tg.distributions.Independent(tg.distributions.Normal(tg.zeros(2, 3), 1.0), 3)
