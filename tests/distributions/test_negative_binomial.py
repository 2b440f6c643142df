"""NegativeBinomial beyond the shared tests: the edges of its parameters against PyTorch
(no failures to wait for, a success probability of 0, real-valued counts), the frequencies
of its samples against its mass function, the half-open interval of its probabilities,
and refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import distributions
from tinygrad_bn.distributions import biject_to, constraints
from tinygrad_bn.distributions.constraints import HalfOpenInterval

COUNTS = numpy.array([0.0, 0.0, 2.5, 1.0, 4.0])
PROBS = numpy.array([0.3, 0.0, 0.3, 0.9, 0.5])
VALUES = numpy.array([[0.0, 0.0, 0.0, 0.0, 0.0], [3.0, 2.0, 1.0, 12.0, 7.0]])

CALLS = {
    "log_prob at the edges": lambda D, t: D.NegativeBinomial(t(COUNTS), t(PROBS)).log_prob(t(VALUES)),
    "moments at the edges": lambda D, t: _stack(D, [D.NegativeBinomial(t(COUNTS), t(PROBS)).mean,
                                                    D.NegativeBinomial(t(COUNTS), t(PROBS)).mode,
                                                    D.NegativeBinomial(t(COUNTS), t(PROBS)).variance]),
    "logits": lambda D, t: D.NegativeBinomial(t(COUNTS[2:]), logits=t([-3.0, 0.0, 5.0])).log_prob(t(VALUES[:, 2:])),
    "number of failures as a float": lambda D, t: D.NegativeBinomial(3.5, t(PROBS[2:])).log_prob(t(VALUES[:, 2:])),
}


def _stack(D, tensors):
    """The tensors stacked by the framework of the distributions module ``D``."""
    return (__import__("torch") if D.__name__.startswith("torch") else tg).stack(tensors)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log Γ(0) = ∞ where no failures are awaited, as in PyTorch
@pytest.mark.parametrize("label", CALLS)
def test_matches_pytorch(same_as_pytorch, label):
    same_as_pytorch(CALLS[label])


def test_sample_frequencies_follow_the_mass_function(torch):
    draws = 20_000
    total_count, probs = numpy.array([2.5, 0.0, 1.0]), numpy.array([0.3, 0.5, 0.7])
    dist = distributions.NegativeBinomial(tg.tensor(total_count), tg.tensor(probs))
    tg.manual_seed(0)
    x = dist.sample((draws,)).numpy()
    assert x.dtype == "float64" and (x == numpy.floor(x)).all() and (x[:, 1] == 0).all()  # r = 0: always 0
    counts = numpy.arange(8.0)
    mass = torch.distributions.NegativeBinomial(torch.tensor(total_count), torch.tensor(probs)).log_prob(
        torch.tensor(counts[:, None])).exp().numpy()
    frequency = (x[None] == counts[:, None, None]).mean(1)
    error = numpy.abs(frequency - mass) / numpy.sqrt(mass * (1 - mass) / draws + 1e-12)
    assert error.max() < 5, f"frequency off by {error.max():.1f} standard errors"


def test_probabilities_lie_in_a_half_open_interval(torch):
    ours, theirs = HalfOpenInterval(0.0, 1.0), torch.distributions.constraints.half_open_interval(0.0, 1.0)
    values = [0.0, 0.5, 1.0, -0.1]
    assert ours.check(tg.tensor(values)).tolist() == theirs.check(torch.tensor(values)).tolist() == [True, True,
                                                                                                  False, False]
    assert repr(ours) == repr(theirs)
    x = numpy.array([-3.0, 0.0, 2.0])
    numpy.testing.assert_allclose(biject_to(ours)(tg.tensor(x)).numpy(),
                                  torch.distributions.biject_to(theirs)(torch.tensor(x)).numpy(), rtol=1e-12)
    assert type(biject_to(constraints.unit_interval)) is type(biject_to(ours))


INVALID = {
    "probs of 1": lambda D, t: D.NegativeBinomial(2.0, t([0.5, 1.0])),
    "negative total_count": lambda D, t: D.NegativeBinomial(-1.0, t(0.5)),
    "fraction": lambda D, t: D.NegativeBinomial(2.0, t(0.5)).log_prob(t(0.5)),
    "negative value": lambda D, t: D.NegativeBinomial(2.0, t(0.5)).log_prob(t(-1.0)),
    "neither probs nor logits": lambda D, t: D.NegativeBinomial(2.0),
    "both": lambda D, t: D.NegativeBinomial(2.0, t(0.5), t(0.0)),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])


def test_pytorch_has_no_entropy_for_it(torch):
    for module, t in ((distributions, tg.tensor), (torch.distributions, torch.tensor)):
        with pytest.raises(NotImplementedError):
            module.NegativeBinomial(2.0, t(0.5)).entropy()
