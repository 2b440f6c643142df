"""The classes added with Pareto … Wishart on the strict stand-in device: samples,
log-probabilities, entropies, transforms and their gradients computed there, never
through NumPy, and equal to the host's."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import distributions
from tinygrad_bn.distributions import transforms

RNG = numpy.random.default_rng(41)
POSITIVE = RNG.uniform(1.5, 3.0, (2, 3))
PROBS = RNG.uniform(0.1, 0.9, (2, 3))
A = RNG.standard_normal((3, 3))
COVARIANCE = A @ A.T + numpy.eye(3)

# label -> maker(parameter on the device) -> distribution (the parameter is positive, (2, 3))
FAMILIES = {
    "Pareto": lambda p: distributions.Pareto(p, p + 1),
    "InverseGamma": lambda p: distributions.InverseGamma(p, p),
    "Kumaraswamy": lambda p: distributions.Kumaraswamy(p, p + 0.5),
    "FisherSnedecor": lambda p: distributions.FisherSnedecor(p + 2, p + 4),
    "GeneralizedPareto": lambda p: distributions.GeneralizedPareto(p, p, p - 2),
    "ContinuousBernoulli": lambda p: distributions.ContinuousBernoulli(p / 3.5),
    "LogisticNormal": lambda p: distributions.LogisticNormal(p - 2, p),
    "OneHotCategoricalStraightThrough": lambda p: distributions.OneHotCategoricalStraightThrough(p),
    "LKJCholesky": lambda p: distributions.LKJCholesky(3, p),
    "Wishart": lambda p: distributions.Wishart(p + 2, covariance_matrix=tg.tensor(COVARIANCE, device=p.device)),
}
SAMPLE_ONLY = ("LKJCholesky",)  # samples not reparameterized


@pytest.mark.parametrize("family", FAMILIES)
def test_computes_on_the_device_as_on_the_host(strict_cuda, family):
    results = {}
    for device in ("cpu", "cuda"):
        parameter = tg.tensor(POSITIVE, device=device, requires_grad=True)
        dist = FAMILIES[family](parameter)
        tg.manual_seed(3)
        x = dist.sample((4,)) if family in SAMPLE_ONLY else dist.rsample((4,))
        assert x.device == device
        total = dist.log_prob(x.detach()).sum() + (0 if family in SAMPLE_ONLY else x.sum())
        if family not in ("FisherSnedecor", "LKJCholesky", "LogisticNormal", "OneHotCategoricalStraightThrough"):
            total = total + dist.entropy().sum()
        total.backward()
        results[device] = [x.detach().numpy(), parameter.grad.numpy()]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)


TRANSFORMS = {
    "Cat": lambda: transforms.CatTransform([transforms.ExpTransform(), transforms.SigmoidTransform()], dim=-1,
                                           lengths=[2, 1]),
    "Stack": lambda: transforms.StackTransform([transforms.ExpTransform(), transforms.TanhTransform()], dim=0),
    "CorrCholesky": lambda: transforms.CorrCholeskyTransform(),
}


@pytest.mark.parametrize("label", TRANSFORMS)
def test_transforms_compute_on_the_device_as_on_the_host(strict_cuda, label):
    results = {}
    for device in ("cpu", "cuda"):
        x = tg.tensor(PROBS, device=device, requires_grad=True)
        t = TRANSFORMS[label]()
        y = t(x)
        (y.sum() + t.inv(y).sum() + t.log_abs_det_jacobian(x, y).sum()).backward()
        assert y.device == device
        results[device] = [y.detach().numpy(), x.grad.numpy()]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)
