"""Multinomial against torch.distributions.Multinomial: log_prob and its gradients, mean,
variance, entropy, the counts drawn after the same seed, support, expand and validation."""

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck
from tinygrad_bn.distributions import Multinomial

TOLERANCE = {"float32": {"rtol": 1e-5, "atol": 1e-6}, "float64": {"rtol": 1e-12, "atol": 1e-12}}
# PyTorch's entropy takes log n! in float32 whatever the dtype (an error of 6e-8 at n = 5); ours in the dtype
ENTROPY_TOLERANCE = {**TOLERANCE, "float64": {"rtol": 0, "atol": 1e-7}}


def _pair(torch, parameter, array, n, dtype):
    """Our distribution and PyTorch's, of ``parameter`` (probs or logits) from one array."""
    ours = tg.tensor(array.astype(dtype), requires_grad=True)
    theirs = torch.tensor(array.astype(dtype), requires_grad=True)
    return ((ours, Multinomial(n, **{parameter: ours})),
            (theirs, torch.distributions.Multinomial(n, **{parameter: theirs})))


def _counts(rng, batch, classes, n):
    return numpy.stack([rng.multinomial(n, numpy.full(classes, 1 / classes)) for _ in range(math.prod(batch))]) \
        .reshape(*batch, classes).astype(float)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("parameter", ["probs", "logits"])
@pytest.mark.parametrize("batch", [(), (3,), (2, 2)], ids=str)
def test_log_prob_and_moments_match_pytorch(torch, batch, parameter, dtype):
    rng = numpy.random.default_rng(0)
    array = rng.uniform(0.1, 2.0, (*batch, 4)) if parameter == "probs" else rng.standard_normal((*batch, 4))
    (x, ours), (y, theirs) = _pair(torch, parameter, array, 5, dtype)
    value = _counts(rng, batch, 4, 5).astype(dtype)
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
    results = [(d.log_prob(lib.tensor(value)), d.mean, d.variance, d.entropy())
               for d, lib in ((ours, tg), (theirs, torch))]
    for a, b, tolerance in zip(*results, [TOLERANCE[dtype]] * 3 + [ENTROPY_TOLERANCE[dtype]], strict=True):
        assert a.dtype == dtype and a.shape == tuple(b.shape)
        numpy.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tolerance)
    upstream = rng.standard_normal(results[0][0].shape).astype(dtype)
    log_prob, _, _, entropy = results[0]
    ((log_prob + entropy) * tg.tensor(upstream)).sum().backward()
    log_prob, _, _, entropy = results[1]
    ((log_prob + entropy) * torch.tensor(upstream)).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), **TOLERANCE[dtype])


def test_log_prob_gradcheck():
    logits = tg.tensor(numpy.random.default_rng(1).standard_normal((2, 3)), requires_grad=True)
    value = tg.tensor([[2.0, 0.0, 1.0], [0.0, 3.0, 0.0]])
    assert gradcheck(lambda ell: Multinomial(3, logits=ell).log_prob(value) + Multinomial(3, logits=ell).entropy(),
                     (logits,))


def test_a_class_of_probability_zero_counted_zero_times_adds_nothing(torch):
    probs = numpy.array([0.0, 0.25, 0.75])
    value = numpy.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]])
    ours = Multinomial(3, tg.tensor(probs)).log_prob(tg.tensor(value))
    theirs = torch.distributions.Multinomial(3, torch.tensor(probs)).log_prob(torch.tensor(value))
    assert math.isfinite(ours.tolist()[0])
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)], ids=str)
def test_samples_are_pytorchs_after_the_same_seed(torch, sample_shape):
    probs = numpy.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], dtype="float32")
    tg.manual_seed(7)
    torch.manual_seed(7)
    ours = Multinomial(6, tg.tensor(probs)).sample(sample_shape)
    theirs = torch.distributions.Multinomial(6, torch.tensor(probs)).sample(sample_shape)
    assert ours.dtype == "float32" and ours.shape == tuple(theirs.shape)
    assert ours.tolist() == theirs.tolist()


def test_sample_means_approach_the_mean():
    tg.manual_seed(0)
    d = Multinomial(10, tg.tensor([0.2, 0.3, 0.5], dtype=tg.float64))
    numpy.testing.assert_allclose(d.sample((4000,)).mean(0).numpy(), d.mean.numpy(), atol=0.1)


def test_expand_matches_pytorch(torch):
    probs = numpy.array([0.2, 0.3, 0.5])
    ours = Multinomial(4, tg.tensor(probs)).expand((2, 3))
    theirs = torch.distributions.Multinomial(4, torch.tensor(probs)).expand((2, 3))
    assert ours.batch_shape == (2, 3) and ours.total_count == theirs.total_count == 4
    value = numpy.array([1.0, 1.0, 2.0])
    numpy.testing.assert_allclose(ours.log_prob(tg.tensor(value)).numpy(), theirs.log_prob(torch.tensor(value)).numpy(),
                                  rtol=1e-12)
    assert ours.sample().shape == (2, 3, 3)


def test_support_and_validation_match_pytorch(torch):
    probs = numpy.array([0.2, 0.8])
    for value in ([1.0, 1.0], [3.0, 0.0], [-1.0, 2.0], [0.5, 0.5]):
        ours = Multinomial(2, tg.tensor(probs)).support.check(tg.tensor(value)).item()
        theirs = torch.distributions.Multinomial(2, torch.tensor(probs)).support.check(torch.tensor(value)).item()
        assert ours == theirs, value
    support = Multinomial(2, tg.tensor(probs)).support
    assert support.is_discrete and support.event_dim == 1
    with pytest.raises(ValueError, match="support"):
        Multinomial(2, tg.tensor(probs), validate_args=True).log_prob(tg.tensor([3.0, 0.0]))
    with pytest.raises(ValueError):
        torch.distributions.Multinomial(2, torch.tensor(probs), validate_args=True).log_prob(torch.tensor([3.0, 0.0]))
    with pytest.raises(ValueError):
        Multinomial(2, tg.tensor([-0.5, 1.5]), validate_args=True)
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count"):
        torch.distributions.Multinomial(torch.tensor([2, 3]), torch.tensor(probs))
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count"):
        Multinomial(tg.tensor([2, 3]), tg.tensor(probs))
    with pytest.raises(ValueError):
        Multinomial(2)  # neither probs nor logits


def test_on_the_strict_device_as_on_the_cpu(strict_cuda):
    logits = numpy.random.default_rng(6).standard_normal((2, 3))
    value = numpy.array([[2.0, 0.0, 1.0], [0.0, 3.0, 0.0]])
    results = {}
    for device in ("cpu", "cuda"):
        ell = tg.tensor(logits, requires_grad=True, device=device)
        d = Multinomial(3, logits=ell, validate_args=True)
        out = d.log_prob(tg.tensor(value, device=device)) + d.entropy()
        out.sum().backward()
        tg.manual_seed(3)
        results[device] = [t.detach().numpy() for t in (out, ell.grad, d.sample((4,)), d.mean, d.variance)]
    for on_device, on_cpu in zip(results["cuda"], results["cpu"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)
