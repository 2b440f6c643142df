"""Beta at the ends of [0, 1], its mode, samples X/(X + Y) against PyTorch's moments, and refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")  # the mode at a = b = 1
def test_log_prob_at_0_and_1_and_the_mode_match_pytorch(same_as_pytorch):
    a, b = [1.0, 2.0, 0.5, 3.0], [1.0, 1.0, 2.0, 0.5]
    same_as_pytorch(lambda D, t: D.Beta(t(a), t(b)).log_prob(t([0.0, 1.0, 0.3, 0.3])))
    modes = same_as_pytorch(lambda D, t: D.Beta(t([0.5, 2.0, 1.0, 0.5]), t([0.5, 2.0, 1.0, 3.0])).mode)
    assert modes[0] == 1.0 and modes[1] == 0.5 and numpy.isnan(modes[2]) and modes[3] == 0.0


def test_rsample_gradients_flow_to_both_concentrations():
    a = tg.tensor([0.5, 3.0], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([2.0, 1.5], dtype=tg.float64, requires_grad=True)
    tg.manual_seed(0)
    x = tg.distributions.Beta(a, b).rsample((20_000,))
    x.mean(0).sum().backward()
    # d E[X]/da = b/(a + b)², d E[X]/db = −a/(a + b)²: the gradient means, within 10%
    numpy.testing.assert_allclose(a.grad.numpy(), [2.0 / 6.25, 1.5 / 20.25], rtol=0.1)
    numpy.testing.assert_allclose(b.grad.numpy(), [-0.5 / 6.25, -3.0 / 20.25], rtol=0.1)


INVALID = {
    "concentration1": lambda D, t: D.Beta(-1.0, 2.0),
    "batched": lambda D, t: D.Beta(t([1.0, 2.0]), t([0.0, 1.0])),
    "value": lambda D, t: D.Beta(1.0, 1.0).log_prob(t(1.5)),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])
