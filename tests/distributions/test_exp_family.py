"""ExponentialFamily: the families PyTorch derives from it, their natural parameters and
log-normalizers through the entropy and KL divergence that the base computes from them
(against the families' closed forms and PyTorch's base-class results), the refusals of
what a family does not give, and a family defined outside the library."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import distributions
from tinygrad_bn.distributions import ExponentialFamily, kl_divergence, register_kl
from tinygrad_bn.distributions.kl import _KL_REGISTRY

RNG = numpy.random.default_rng(6)
POSITIVE, REAL, PROBS = RNG.uniform(0.5, 2.0, (2, 3)), RNG.standard_normal((2, 3)), RNG.uniform(0.1, 0.9, (2, 3))

# family -> (p's arguments, q's arguments), arrays of one batch shape
MEMBERS = {
    "Normal": ((REAL, POSITIVE), (REAL[::-1].copy(), POSITIVE[:, ::-1].copy())),
    "Exponential": ((POSITIVE,), (POSITIVE[::-1].copy(),)),
    "Gamma": ((POSITIVE, POSITIVE[::-1].copy()), (POSITIVE[:, ::-1].copy(), POSITIVE)),
    "Chi2": ((POSITIVE + 1,), (POSITIVE[::-1] + 1,)),
    "Beta": ((POSITIVE, POSITIVE[::-1].copy()), (POSITIVE[:, ::-1].copy(), POSITIVE)),
    "Dirichlet": ((POSITIVE,), (POSITIVE[::-1].copy(),)),
    "Bernoulli": ((PROBS,), (PROBS[::-1].copy(),)),
    "Poisson": ((POSITIVE,), (POSITIVE[::-1].copy(),)),
    "ContinuousBernoulli": ((PROBS,), (PROBS[::-1].copy(),)),
}
WITH_CARRIER = ("Normal", "Exponential", "Gamma", "Chi2", "Bernoulli", "ContinuousBernoulli")  # E log h(X) given


def _build(module, family, args, make):
    return getattr(module, family)(*[make(a) for a in args])


@pytest.mark.parametrize("family", list(MEMBERS) + ["Laplace", "Uniform", "Categorical", "Pareto", "Kumaraswamy"])
def test_the_same_families_are_exponential_families_as_in_pytorch(torch, family):
    ours, theirs = getattr(distributions, family), getattr(torch.distributions, family)
    assert issubclass(ours, ExponentialFamily) == issubclass(theirs, torch.distributions.ExponentialFamily)


@pytest.mark.parametrize("family", WITH_CARRIER)
def test_bregman_entropy_matches_the_closed_form_and_pytorchs(torch, family):
    args = MEMBERS[family][0]
    ours = _build(distributions, family, args, lambda a: tg.tensor(a))
    theirs = _build(torch.distributions, family, args, lambda a: torch.tensor(a))
    bregman = ExponentialFamily.entropy(ours)
    numpy.testing.assert_allclose(bregman.numpy(), ours.entropy().numpy(), rtol=1e-6)
    numpy.testing.assert_allclose(bregman.numpy(),
                                  torch.distributions.ExponentialFamily.entropy(theirs).detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("family", ["Beta", "Dirichlet", "Poisson"])
def test_bregman_entropy_needs_the_carrier_measure_as_in_pytorch(torch, family):
    args = MEMBERS[family][0]
    with pytest.raises(NotImplementedError):
        torch.distributions.ExponentialFamily.entropy(_build(torch.distributions, family, args, torch.tensor))
    with pytest.raises(NotImplementedError, match="mean carrier measure"):
        ExponentialFamily.entropy(_build(distributions, family, args, tg.tensor))


@pytest.mark.parametrize("family", MEMBERS)
def test_bregman_kl_matches_the_closed_form_and_pytorchs_with_gradients(torch, family):
    bregman_ours = _KL_REGISTRY[ExponentialFamily, ExponentialFamily]
    bregman_theirs = torch.distributions.kl._KL_REGISTRY[(torch.distributions.ExponentialFamily,) * 2]
    results = []
    for framework, module, bregman in ((tg, distributions, bregman_ours),
                                       (torch, torch.distributions, bregman_theirs)):
        q_leaves = [framework.tensor(a, requires_grad=True) for a in MEMBERS[family][1]]
        p = _build(module, family, MEMBERS[family][0], framework.tensor)
        q = getattr(module, family)(*q_leaves)
        kl = bregman(p, q)
        kl.sum().backward()
        results.append((kl.detach().numpy(), [leaf.grad.numpy() for leaf in q_leaves],
                        module.kl_divergence(p, q).detach().numpy()))
    (ours, our_grads, closed), (theirs, their_grads, _) = results
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    numpy.testing.assert_allclose(ours, closed, rtol=1e-6, atol=1e-9)
    for our_grad, their_grad in zip(our_grads, their_grads, strict=True):
        numpy.testing.assert_allclose(our_grad, their_grad, rtol=1e-10, atol=1e-12)


def test_bregman_kl_refuses_two_families(torch):
    bregman = _KL_REGISTRY[ExponentialFamily, ExponentialFamily]
    with pytest.raises(NotImplementedError, match="different exponential families"):
        bregman(distributions.Exponential(1.0), distributions.Gamma(1.0, 1.0))


class Rayleigh(ExponentialFamily):
    """p(x) = (x/σ²) e^(−x²/2σ²): natural parameter θ = −1/(2σ²) of T(x) = x², h(x) = x, and
    A(θ) = −log(−2θ); E log X = log σ + (log 2 − γ)/2."""

    arg_constraints = {}
    support = distributions.constraints.positive

    def __init__(self, scale):
        self.scale = scale
        super().__init__(scale.shape)

    @property
    def _natural_params(self):
        return (-0.5 / self.scale.square(),)

    def _log_normalizer(self, theta):
        return -(-2 * theta).log()

    @property
    def _mean_carrier_measure(self):
        return self.scale.log() + (math.log(2) - numpy.euler_gamma) / 2


def test_a_family_defined_outside_gets_its_entropy_and_kl_from_the_log_normalizer():
    sigma_p, sigma_q = POSITIVE, POSITIVE[::-1]
    p, q = Rayleigh(tg.tensor(sigma_p)), Rayleigh(tg.tensor(sigma_q))
    # H = 1 + log(σ/√2) + γ/2;  KL = 2 log(σq/σp) + σp²/σq² − 1
    numpy.testing.assert_allclose(p.entropy().numpy(), 1 + numpy.log(sigma_p / math.sqrt(2)) + numpy.euler_gamma / 2,
                                  rtol=1e-12)
    numpy.testing.assert_allclose(kl_divergence(p, q).numpy(),
                                  2 * numpy.log(sigma_q / sigma_p) + sigma_p**2 / sigma_q**2 - 1, rtol=1e-12)


def test_a_registered_pair_wins_over_the_bregman_divergence():
    class Scaled(Rayleigh):
        pass

    @register_kl(Scaled, Scaled)
    def _zero(p, q):
        return p.scale * 0

    try:
        p = Scaled(tg.tensor(POSITIVE))
        assert (kl_divergence(p, Scaled(tg.tensor(POSITIVE[::-1]))).numpy() == 0).all()
    finally:
        del _KL_REGISTRY[Scaled, Scaled]
