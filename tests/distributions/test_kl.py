"""kl_divergence against PyTorch's for every pair registered here (values, infinities
where q cannot produce what p does, gradients), against finite differences in float64,
and the dispatch of register_kl."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck

RNG = numpy.random.default_rng(0)


def _simplex(shape):
    weights = RNG.uniform(0.1, 1.0, shape)
    return weights / weights.sum(-1, keepdims=True)


LOC_P, LOC_Q, SCALE_P, SCALE_Q = RNG.standard_normal((2, 3)), RNG.standard_normal(3), RNG.uniform(0.5, 2, (2, 3)), \
    RNG.uniform(0.5, 2, 3)
# label -> (family of p, p's arguments, family of q, q's arguments, reinterpreted axes); arrays become leaves
PAIRS = {
    "Normal": ("Normal", dict(loc=LOC_P, scale=SCALE_P), "Normal", dict(loc=LOC_Q, scale=SCALE_Q), 0),
    "Normal, scalar q": ("Normal", dict(loc=LOC_P, scale=SCALE_P), "Normal", dict(loc=0.0, scale=1.0), 0),
    "Bernoulli": ("Bernoulli", dict(probs=RNG.uniform(0.1, 0.9, (2, 3))), "Bernoulli",
                  dict(logits=RNG.standard_normal((2, 3))), 0),  # PyTorch's needs p and q of one shape
    "Bernoulli at 0 and 1": ("Bernoulli", dict(probs=numpy.array([0.0, 1.0, 0.3, 0.3, 0.0])), "Bernoulli",
                             dict(probs=numpy.array([0.4, 0.4, 0.0, 1.0, 0.0])), 0),
    "Categorical": ("Categorical", dict(probs=_simplex((2, 4))), "Categorical", dict(logits=RNG.standard_normal(4)),
                    0),
    "Categorical with empty classes": ("Categorical", dict(probs=numpy.array([[0.5, 0.5, 0.0], [0.5, 0.0, 0.5]])),
                                       "Categorical", dict(probs=numpy.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])), 0),
    "OneHotCategorical": ("OneHotCategorical", dict(logits=RNG.standard_normal((3, 4))), "OneHotCategorical",
                          dict(probs=_simplex(4)), 0),
    "Uniform": ("Uniform", dict(low=numpy.array([0.0, 0.5, -1.0]), high=numpy.array([1.0, 2.0, 1.0])), "Uniform",
                dict(low=numpy.array([-1.0, 0.0, 0.0]), high=numpy.array([2.0, 3.0, 1.0])), 0),
    "Exponential": ("Exponential", dict(rate=RNG.uniform(0.5, 2, (2, 3))), "Exponential",
                    dict(rate=RNG.uniform(0.5, 2, 3)), 0),
    "Laplace": ("Laplace", dict(loc=LOC_P, scale=SCALE_P), "Laplace", dict(loc=LOC_Q, scale=SCALE_Q), 0),
    "Independent": ("Normal", dict(loc=LOC_P, scale=SCALE_P), "Normal", dict(loc=LOC_Q, scale=SCALE_Q), 1),
    "Gamma": ("Gamma", dict(concentration=SCALE_P, rate=RNG.uniform(0.5, 2, (2, 3))), "Gamma",
              dict(concentration=SCALE_Q, rate=RNG.uniform(0.5, 2, 3)), 0),
    "Beta": ("Beta", dict(concentration1=SCALE_P, concentration0=RNG.uniform(0.5, 2, (2, 3))), "Beta",
             dict(concentration1=RNG.uniform(0.5, 2, (2, 3)), concentration0=RNG.uniform(0.5, 2, (2, 3))), 0),
    "Dirichlet": ("Dirichlet", dict(concentration=RNG.uniform(0.5, 2, (2, 4))), "Dirichlet",
                  dict(concentration=RNG.uniform(0.5, 2, (2, 4))), 0),
    "Poisson": ("Poisson", dict(rate=RNG.uniform(0.5, 4, (2, 3))), "Poisson", dict(rate=RNG.uniform(0.5, 4, (2, 3))),
                0),
}
TRIGAMMA = {"Gamma", "Beta", "Dirichlet"}  # gradients through PyTorch's trigamma, good to 5e-10 only
TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-11, atol=1e-12)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("label", PAIRS)
def test_matches_pytorch_with_gradients(torch, kl_pair, label, dtype):
    p, q, our_leaves = kl_pair(tg, PAIRS[label], dtype)
    their_p, their_q, their_leaves = kl_pair(torch, PAIRS[label], dtype)
    ours, theirs = distributions.kl_divergence(p, q), torch.distributions.kl_divergence(their_p, their_q)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == dtype
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), **TOLERANCE[dtype])
    finite = numpy.isfinite(theirs.detach().numpy())  # no gradient through an infinite KL
    upstream = numpy.where(finite, numpy.random.default_rng(1).standard_normal(ours.shape), 0.0).astype(dtype)
    our_grads = grad(ours, our_leaves, Tensor(upstream), allow_unused=True)
    their_grads = torch.autograd.grad(theirs, their_leaves, torch.from_numpy(upstream), allow_unused=True)
    tolerance = dict(rtol=1e-9, atol=1e-9) if label in TRIGAMMA and dtype == "float64" else TOLERANCE[dtype]
    for leaf, mine, other in zip(our_leaves, our_grads, their_grads, strict=True):
        mine = numpy.zeros(leaf.shape) if mine is None else mine.numpy()
        other = numpy.zeros(leaf.shape) if other is None else other.numpy()
        numpy.testing.assert_allclose(mine, other, **tolerance)


@pytest.mark.parametrize("label", [label for label in PAIRS if "0 and 1" not in label and "empty" not in label])
def test_gradients_match_finite_differences(kl_pair, label):
    _, _, leaves = kl_pair(tg, PAIRS[label], "float64")

    def kl(*tensors):
        p, q, _ = kl_pair(tg, PAIRS[label], "float64", tensors)
        return distributions.kl_divergence(p, q)

    assert gradcheck(kl, [Tensor(leaf.numpy(), requires_grad=True) for leaf in leaves])


def test_bernoulli_batches_broadcast_where_pytorch_needs_one_shape(torch):
    probs, logits = RNG.uniform(0.1, 0.9, (2, 3)), RNG.standard_normal(3)
    ours = distributions.kl_divergence(distributions.Bernoulli(tg.tensor(probs)),
                                       distributions.Bernoulli(logits=tg.tensor(logits)))
    their_q = torch.distributions.Bernoulli(logits=torch.tensor(logits)).expand((2, 3))
    theirs = torch.distributions.kl_divergence(torch.distributions.Bernoulli(torch.tensor(probs)), their_q)
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), **TOLERANCE["float64"])


def test_kl_of_a_distribution_with_itself_is_zero():
    for p in (distributions.Normal(tg.zeros(3), 2.0), distributions.Categorical(logits=tg.tensor([0.5, 1.0, 3.0])),
              distributions.Uniform(0.0, 2.0), distributions.Laplace(1.0, 0.5), distributions.Exponential(3.0),
              distributions.Gamma(2.0, 3.0), distributions.Beta(0.5, 2.0), distributions.Poisson(4.0),
              distributions.Dirichlet(tg.tensor([0.5, 1.0, 3.0])), distributions.Gumbel(1.0, 2.0),
              distributions.LogNormal(0.5, 1.5)):
        assert numpy.abs(distributions.kl_divergence(p, p).numpy()).max() < 1e-6, p


class Standard(distributions.Normal):
    """A subclass with a KL of its own against itself."""


class Wide(distributions.Normal):
    """A subclass with none of its own: it dispatches to Normal's."""


@distributions.register_kl(Standard, Standard)
def _kl_standard(p, q):
    return p.loc * 0 + 7.0


def test_the_nearest_registered_pair_is_chosen():
    p, q = Standard(0.0, 1.0), Standard(1.0, 1.0)
    assert distributions.kl_divergence(p, q).item() == 7.0
    assert distributions.kl_divergence(p, distributions.Normal(1.0, 1.0)).item() == 0.5
    assert distributions.kl_divergence(Wide(0.0, 1.0), Wide(1.0, 1.0)).item() == 0.5


def test_two_equally_near_pairs_warn_as_ambiguous():
    class P(distributions.Normal):
        pass

    class Q(distributions.Normal):
        pass

    distributions.register_kl(P, distributions.Normal)(lambda p, q: p.loc * 0 + 1.0)
    distributions.register_kl(distributions.Normal, Q)(lambda p, q: p.loc * 0 + 2.0)
    with pytest.warns(RuntimeWarning, match=r"Ambiguous kl_divergence\(P, Q\).*register_kl\(P, Q\)"):
        assert distributions.kl_divergence(P(0.0, 1.0), Q(0.0, 1.0)).item() == 1.0


def test_pairs_without_a_formula_say_so():
    with pytest.raises(NotImplementedError, match="No KL.*p type Laplace and q type Gumbel; register one"):
        distributions.kl_divergence(distributions.Laplace(0.0, 1.0), distributions.Gumbel(0.0, 1.0))
    p = distributions.Independent(distributions.Normal(tg.zeros(2, 3), 1.0), 1)
    q = distributions.Independent(distributions.Normal(tg.zeros(2, 3), 1.0), 2)
    with pytest.raises(NotImplementedError, match="same reinterpreted_batch_ndims, got 1 and 2"):
        distributions.kl_divergence(p, q)


def test_register_kl_wants_distribution_classes():
    with pytest.raises(TypeError, match="type_q to be a Distribution subclass, got <class 'int'>"):
        distributions.register_kl(distributions.Normal, int)


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")  # log λq = −∞
def test_poisson_kl_at_a_rate_of_0():
    p, q = distributions.Poisson(tg.tensor([0.0, 2.0])), distributions.Poisson(tg.tensor([3.0, 0.0]))
    assert distributions.kl_divergence(p, q).tolist() == [3.0, float("inf")]  # λq, and ∞ (PyTorch: NaN, ∞)
