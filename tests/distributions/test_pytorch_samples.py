"""Samples that are PyTorch's after the same seed: the families PyTorch draws from its
own stream (normals, uniforms, exponential_ and cauchy_ fills) and those built on them,
with the reparameterized gradients that come with them. Gamma-based families draw
their own way (see tinygrad_bn/distributions/draws.py) and are not listed."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn

# name -> the distribution's parameters, as arrays
FAMILIES = {
    "Normal": ([0.5, -1.0, 3.0], [2.0, 0.3, 1.0]),
    "Uniform": ([0.0, 1.0, -2.0], [2.0, 3.0, -1.5]),
    "Exponential": ([0.5, 2.0, 7.0],),
    "Cauchy": ([0.5, 1.0, -4.0], [2.0, 0.3, 1.0]),
    "HalfCauchy": ([0.5, 1.0, 3.0],),
    "Laplace": ([0.5, 1.0, -4.0], [2.0, 0.3, 1.0]),
    "Gumbel": ([0.5, 1.0, -4.0], [2.0, 0.3, 1.0]),
    "LogNormal": ([0.5, 1.0, -1.0], [0.2, 0.3, 1.0]),
    "HalfNormal": ([0.5, 1.0, 3.0],),
    "Weibull": ([0.5, 1.0, 2.0], [2.0, 0.3, 1.5]),
    "Pareto": ([0.5, 1.0, 2.0], [2.0, 3.0, 1.5]),
    "Kumaraswamy": ([0.5, 1.0, 2.0], [2.0, 0.3, 1.5]),
}


def _samples(framework, name, dtype, shape):
    framework.manual_seed(3)
    parameters = [framework.tensor(p, dtype=getattr(framework, dtype), requires_grad=True) for p in FAMILIES[name]]
    sample = getattr(framework.distributions, name)(*parameters).rsample(shape)
    sample.backward(framework.ones_like(sample))
    return [sample.detach().numpy(), *(p.grad.numpy() for p in parameters), framework.rand(2).numpy()]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(), (5,), (40, 2)])
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_samples_and_their_gradients_are_pytorchs_after_the_same_seed(torch, name, dtype, shape):
    ours, theirs = _samples(tinygrad_bn, name, dtype, shape), _samples(torch, name, dtype, shape)
    # float32: the same draws, but the transforms' logs and differences round apart (Gumbel's
    # −log(−log u) near 0, Laplace's log1p(−|u|)): a few units in the fourth digit at worst
    tolerance = {"float32": 1e-4, "float64": 1e-12}[dtype]
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(mine, other, rtol=tolerance, atol=tolerance)
