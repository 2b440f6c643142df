"""Dirichlet: gradients against finite differences (without validation, as a nudged
value leaves the simplex), the mode where every concentration is below 1, samples on
the simplex, and refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck


@pytest.mark.parametrize("shape", [(3,), (2, 4)])
def test_gradients_match_finite_differences(shape):
    rng = numpy.random.default_rng(0)
    alpha = Tensor(rng.uniform(0.5, 2.0, shape), requires_grad=True)
    weights = rng.uniform(0.1, 1.0, shape)
    value = Tensor(weights / weights.sum(-1, keepdims=True), requires_grad=True)

    def log_prob_and_moments(alpha, value):
        dist = tg.distributions.Dirichlet(alpha, validate_args=False)
        return dist.log_prob(value).sum() + dist.entropy().sum() + (dist.mean * dist.variance).sum()

    assert gradcheck(log_prob_and_moments, [alpha, value])


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")  # 0/0 where all αₖ < 1
def test_mode_matches_pytorch_also_where_every_concentration_is_below_1(same_as_pytorch):
    modes = same_as_pytorch(lambda D, t: D.Dirichlet(t([[0.5, 0.2, 0.9], [0.5, 2.0, 3.0], [2.0, 2.0, 2.0]])).mode)
    assert modes[0].tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_samples_lie_on_the_simplex(dtype):
    tg.manual_seed(0)
    x = tg.distributions.Dirichlet(tg.tensor([[0.05, 1.0, 3.0], [2.0, 2.0, 2.0]], dtype=dtype)).sample((500,))
    assert x.shape == (500, 2, 3) and x.dtype == dtype
    assert bool(tg.distributions.constraints.simplex.check(x).all())


INVALID = {
    "concentration": lambda D, t: D.Dirichlet(t([1.0, -2.0])),
    "0-d concentration": lambda D, t: D.Dirichlet(t(1.0)),
    "value": lambda D, t: D.Dirichlet(t([1.0, 1.0])).log_prob(t([0.5, 0.6])),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])
