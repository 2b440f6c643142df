"""kl_divergence between two families against PyTorch's: values (∞ where p reaches past q's
support), gradients, the pairs PyTorch registers as infinite, and Uniform against Laplace
(not in PyTorch) against quadrature."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck
from tinygrad_bn.errors import ShapeError

RNG = numpy.random.default_rng(7)
SHAPE = (2, 3)


def positive(shape=SHAPE, low=0.5, high=2.0):
    return RNG.uniform(low, high, shape)


def real(shape=SHAPE):
    return RNG.standard_normal(shape)


LOW = RNG.uniform(0.0, 0.4, SHAPE)
HIGH = LOW + RNG.uniform(0.2, 0.5, SHAPE)  # [low, high) within [0, 1)
LOW_MIXED = numpy.array([[-0.5, 0.1, 0.0], [0.2, -1.0, 0.3]])  # some intervals reach below 0, one starts at it
HIGH_MIXED = numpy.array([[0.5, 0.9, 0.5], [1.5, 0.5, 1.0]])  # one reaches past 1, one ends at it

# label -> (family of p, p's arguments, family of q, q's arguments, reinterpreted axes); arrays become leaves
PAIRS = {
    "Uniform, Normal": ("Uniform", dict(low=LOW - 1, high=HIGH + 1), "Normal", dict(loc=real(3), scale=positive(3)), 0),
    "Uniform, Exponential": ("Uniform", dict(low=LOW, high=HIGH + 1), "Exponential", dict(rate=positive()), 0),
    "Uniform, Exponential, lows below 0": ("Uniform", dict(low=LOW_MIXED, high=HIGH_MIXED), "Exponential",
                                           dict(rate=positive(3)), 0),
    "Uniform, Gamma": ("Uniform", dict(low=LOW + 0.1, high=HIGH + 1), "Gamma",
                       dict(concentration=positive(), rate=positive()), 0),
    "Uniform, Gamma, lows below 0": ("Uniform", dict(low=LOW_MIXED, high=HIGH_MIXED), "Gamma",
                                     dict(concentration=positive(), rate=positive()), 0),
    "Uniform, Chi2": ("Uniform", dict(low=LOW + 0.1, high=HIGH + 2), "Chi2", dict(df=positive(3, 1.0, 4.0)), 0),
    "Uniform, Gumbel": ("Uniform", dict(low=LOW - 1, high=HIGH), "Gumbel", dict(loc=real(), scale=positive()), 0),
    "Uniform, Beta": ("Uniform", dict(low=LOW + 0.05, high=HIGH), "Beta",
                      dict(concentration1=positive(), concentration0=positive()), 0),
    "Uniform, Beta, intervals outside [0, 1]": ("Uniform", dict(low=LOW_MIXED, high=HIGH_MIXED), "Beta",
                                                dict(concentration1=positive(), concentration0=positive()), 0),
    "Exponential, Normal": ("Exponential", dict(rate=positive()), "Normal", dict(loc=real(), scale=positive()), 0),
    "Exponential, Gamma": ("Exponential", dict(rate=positive()), "Gamma",
                           dict(concentration=positive(3), rate=positive(3)), 0),
    "Exponential, Gumbel": ("Exponential", dict(rate=positive()), "Gumbel", dict(loc=real(), scale=positive()), 0),
    "Gamma, Normal": ("Gamma", dict(concentration=positive(), rate=positive()), "Normal",
                      dict(loc=real(), scale=positive()), 0),
    "Gamma, Exponential": ("Gamma", dict(concentration=positive(), rate=positive()), "Exponential",
                           dict(rate=positive(3)), 0),
    "Chi2, Exponential": ("Chi2", dict(df=positive(SHAPE, 1.0, 4.0)), "Exponential", dict(rate=positive()), 0),
    "Gamma, Gumbel": ("Gamma", dict(concentration=positive(), rate=positive()), "Gumbel",
                      dict(loc=real(), scale=positive()), 0),
    "Beta, Normal": ("Beta", dict(concentration1=positive(), concentration0=positive()), "Normal",
                     dict(loc=real(), scale=positive()), 0),
    "Beta, Exponential": ("Beta", dict(concentration1=positive(), concentration0=positive()), "Exponential",
                          dict(rate=positive()), 0),
    "Beta, Gamma": ("Beta", dict(concentration1=positive(), concentration0=positive()), "Gamma",
                    dict(concentration=positive(), rate=positive()), 0),
    "Beta, Uniform": ("Beta", dict(concentration1=positive(), concentration0=positive()), "Uniform",
                      dict(low=LOW - 1, high=HIGH + 1), 0),
    "Beta, Uniform, intervals short of [0, 1]": ("Beta", dict(concentration1=positive(), concentration0=positive()),
                                                 "Uniform", dict(low=numpy.array([[-0.5, 0.1, 0.0], [0.0, -1.0, 0.3]]),
                                                                 high=numpy.array([[1.5, 1.2, 1.0], [0.9, 2.0, 1.0]])),
                                                 0),
    "Laplace, Normal": ("Laplace", dict(loc=real(), scale=positive()), "Normal", dict(loc=real(), scale=positive()),
                        0),
    "Normal, Laplace": ("Normal", dict(loc=real(), scale=positive()), "Laplace", dict(loc=real(), scale=positive()),
                        0),
    "Normal, Gumbel": ("Normal", dict(loc=real(), scale=positive()), "Gumbel", dict(loc=real(), scale=positive()), 0),
    "Gumbel, Normal": ("Gumbel", dict(loc=real(), scale=positive()), "Normal", dict(loc=real(), scale=positive()), 0),
    "Gumbel, Gumbel": ("Gumbel", dict(loc=real(), scale=positive()), "Gumbel", dict(loc=real(3), scale=positive(3)),
                       0),
    "LogNormal, LogNormal": ("LogNormal", dict(loc=real(), scale=positive()), "LogNormal",
                             dict(loc=real(), scale=positive()), 0),
    "Bernoulli, Poisson": ("Bernoulli", dict(probs=RNG.uniform(0.1, 0.9, SHAPE)), "Poisson", dict(rate=positive()),
                           0),
    "Independent Uniform, Normal": ("Uniform", dict(low=LOW - 1, high=HIGH), "Normal",
                                    dict(loc=real(), scale=positive()), 1),
}
TRIGAMMA = {"Uniform, Gamma", "Uniform, Gamma, lows below 0", "Uniform, Chi2", "Uniform, Beta",
            "Uniform, Beta, intervals outside [0, 1]", "Exponential, Gamma", "Gamma, Normal", "Gamma, Exponential",
            "Chi2, Exponential", "Gamma, Gumbel", "Beta, Normal", "Beta, Exponential", "Beta, Gamma", "Beta, Uniform",
            "Beta, Uniform, intervals short of [0, 1]"}  # gradients through PyTorch's trigamma: 5e-10 at best
TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-11, atol=1e-12)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("label", PAIRS)
def test_matches_pytorch_with_gradients(torch, kl_pair, label, dtype):
    p, q, our_leaves = kl_pair(tg, PAIRS[label], dtype)
    their_p, their_q, their_leaves = kl_pair(torch, PAIRS[label], dtype)
    ours, theirs = distributions.kl_divergence(p, q), torch.distributions.kl_divergence(their_p, their_q)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == dtype
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), **TOLERANCE[dtype])
    finite = numpy.isfinite(theirs.detach().numpy())
    assert finite.any()
    upstream = numpy.random.default_rng(1).standard_normal(ours.shape).astype(dtype)
    our_grads = grad(ours, our_leaves, Tensor(upstream), allow_unused=True)
    their_grads = torch.autograd.grad(theirs, their_leaves, torch.from_numpy(upstream), allow_unused=True)
    tolerance = dict(rtol=1e-9, atol=1e-9) if label in TRIGAMMA and dtype == "float64" else TOLERANCE[dtype]
    for leaf, mine, other in zip(our_leaves, our_grads, their_grads, strict=True):
        mine = numpy.zeros(leaf.shape) if mine is None else mine.numpy()
        other = numpy.zeros(leaf.shape) if other is None else other.numpy()
        # PyTorch's are NaN where it takes the log of a negative bound (the KL is ∞ there) or x·log x at
        # a bound of 0; ours are 0 there, the KL's ∞ being a constant (and xlogy's slope at 0 being 0)
        assert numpy.isfinite(mine).all()
        known = ~numpy.isnan(other)
        numpy.testing.assert_allclose(mine[known], other[known], **tolerance)


@pytest.mark.parametrize("label", [label for label in PAIRS if "outside" not in label and "below" not in label
                                   and "short" not in label])
def test_gradients_match_finite_differences(kl_pair, label):
    _, _, leaves = kl_pair(tg, PAIRS[label], "float64")

    def kl(*tensors):
        p, q, _ = kl_pair(tg, PAIRS[label], "float64", tensors)
        return distributions.kl_divergence(p, q)

    assert gradcheck(kl, [Tensor(leaf.numpy(), requires_grad=True) for leaf in leaves])


# label -> p's family and arguments; each is paired with every family PyTorch finds infinitely far from it
INFINITE_P = {
    "Normal": dict(loc=real(), scale=positive()),
    "Laplace": dict(loc=real(), scale=positive()),
    "Gumbel": dict(loc=real(), scale=positive()),
    "Exponential": dict(rate=positive()),
    "Gamma": dict(concentration=positive(), rate=positive()),
    "Chi2": dict(df=positive()),
    "Poisson": dict(rate=positive()),
}
Q = {"Beta": dict(concentration1=positive(3), concentration0=positive(3)), "Exponential": dict(rate=positive(3)),
     "Gamma": dict(concentration=positive(3), rate=positive(3)), "Uniform": dict(low=LOW[0], high=HIGH[0]),
     "Bernoulli": dict(probs=RNG.uniform(0.1, 0.9, 3))}
BEYOND = ("Beta", "Exponential", "Gamma", "Uniform")  # supports bounded below, or on both sides
FAR_FROM = {"Normal": BEYOND, "Laplace": BEYOND, "Gumbel": BEYOND, "Exponential": ("Beta", "Uniform"),
            "Gamma": ("Beta", "Uniform"), "Chi2": ("Beta", "Uniform"), "Poisson": ("Bernoulli",)}
INFINITE = [(p, q) for p, qs in FAR_FROM.items() for q in qs]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("family_p, family_q", INFINITE, ids=[f"{p}, {q}" for p, q in INFINITE])
def test_pairs_pytorch_finds_infinitely_far_apart(torch, family_p, family_q, dtype):
    results = []
    for framework in (tg, torch):
        module = distributions if framework is tg else framework.distributions

        def make(family, args, framework=framework, module=module):
            return getattr(module, family)(**{name: framework.tensor(value, dtype=getattr(framework, dtype),
                                                                       requires_grad=True)
                                              for name, value in args.items()})

        results.append(module.kl_divergence(make(family_p, INFINITE_P[family_p]), make(family_q, Q[family_q])))
    ours, theirs = results
    assert ours.shape == tuple(theirs.shape) == SHAPE and ours.dtype == dtype
    assert numpy.isposinf(ours.numpy()).all() and numpy.isposinf(theirs.numpy()).all()
    assert not ours.requires_grad and not theirs.requires_grad  # a constant, as PyTorch's


def test_an_infinite_kl_has_the_batch_shape_of_both():
    """PyTorch's has p's batch shape alone; here p's and q's broadcast, as for every finite pair."""
    p = distributions.Normal(tg.zeros(3), 1.0)
    q = distributions.Exponential(tg.ones(2, 1))
    assert distributions.kl_divergence(p, q).shape == (2, 3)
    with pytest.raises(ShapeError, match=r"batch shapes \(3,\) and \(2,\) do not broadcast together"):
        distributions.kl_divergence(p, distributions.Exponential(tg.ones(2)))


def _uniform_laplace_by_quadrature(low, high, loc, scale, points=400_000):
    """−log(h − l) − mean of log q over [l, h] by the midpoint rule, with a node at the kink."""
    total = 0.0
    for a, b in ((low, min(max(loc, low), high)), (min(max(loc, low), high), high)):
        if b > a:
            x = a + (numpy.arange(points) + 0.5) * (b - a) / points
            total += numpy.mean(-numpy.log(2 * scale) - numpy.abs(x - loc) / scale) * (b - a)
    return -numpy.log(high - low) - total / (high - low)


@pytest.mark.parametrize("loc", [-1.0, 0.3, 0.75, 2.5], ids=["below", "inside", "inside, right", "above"])
def test_uniform_laplace_which_pytorch_lacks_agrees_with_quadrature(loc):
    low, high, scale = 0.2, 1.4, 0.7
    ours = distributions.kl_divergence(distributions.Uniform(tg.tensor(low, dtype=tg.float64), high),
                                       distributions.Laplace(tg.tensor(loc, dtype=tg.float64), scale))
    assert ours.item() == pytest.approx(_uniform_laplace_by_quadrature(low, high, loc, scale), rel=1e-9, abs=1e-11)


def test_uniform_laplace_is_not_in_pytorch(torch):
    with pytest.raises(NotImplementedError):
        torch.distributions.kl_divergence(torch.distributions.Uniform(0.0, 1.0), torch.distributions.Laplace(0.0, 1.0))
    p, q = distributions.Uniform(0.0, 1.0), distributions.Laplace(0.5, 1.0)
    assert distributions.kl_divergence(p, q).item() > 0


@pytest.mark.parametrize("pair", [
    ("Uniform", dict(low=0.0, high=2.0), "Exponential", dict(rate=1.0)),  # low at the support's edge: finite
    ("Uniform", dict(low=0.0, high=1.0), "Beta", dict(concentration1=2.0, concentration0=3.0)),
    ("Beta", dict(concentration1=2.0, concentration0=3.0), "Uniform", dict(low=0.0, high=1.0)),
    ("Bernoulli", dict(probs=0.0), "Poisson", dict(rate=2.0)),
    ("Bernoulli", dict(probs=1.0), "Poisson", dict(rate=2.0)),
], ids=lambda pair: f"{pair[0]}{pair[1]}, {pair[2]}{pair[3]}")
def test_edges_of_the_supports_as_pytorch(same_as_pytorch, pair):
    family_p, args_p, family_q, args_q = pair
    same_as_pytorch(lambda D, t: D.kl_divergence(getattr(D, family_p)(**{k: t(v) for k, v in args_p.items()}),
                                                 getattr(D, family_q)(**{k: t(v) for k, v in args_q.items()})),
                    rtol=1e-12, atol=1e-12)


def test_a_kl_of_a_distribution_with_its_moment_match_is_smaller_than_with_others():
    """KL(p ‖ N(μ, σ²)) is least at p's own mean and variance."""
    p = distributions.Gamma(tg.tensor(3.0, dtype=tg.float64), 2.0)
    best = distributions.kl_divergence(p, distributions.Normal(p.mean, p.stddev)).item()
    for shift, stretch in ((0.1, 1.0), (0.0, 1.2), (-0.2, 0.8)):
        other = distributions.Normal(p.mean + shift, p.stddev * stretch)
        assert distributions.kl_divergence(p, other).item() > best > 0
