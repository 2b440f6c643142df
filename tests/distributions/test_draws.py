"""Samples: their moments and CDFs against PyTorch's formulas for the same parameters
(20 000 draws, within a few standard errors), shapes, dtypes and support; rsample
differentiable and sample not; reproducible from a seed; drawn on the device."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck
from tinygrad_bn.distributions.draws import uniform

RSAMPLE = {"Normal", "Uniform", "Exponential", "Laplace"}  # the families with reparameterized samples
DRAWS = 20_000
STANDARD_ERRORS = 5  # a bound passed by chance with probability 1 − 6e-7 per statistic
KS_CRITICAL = 1.95  # √n·sup|Fₙ − F| stays below it with probability 0.999 (Kolmogorov's limit law)


def draws(case, dtype, seed=0, sample_shape=(DRAWS,)):
    host = case.host_params()
    dist, _ = case.build(tg, host, dtype)
    tg.manual_seed(seed)
    return dist.sample(sample_shape), host


def test_sample_moments_match_pytorchs_mean_and_variance(torch, family_case, dtype):
    samples, host = draws(family_case, dtype)
    theirs, _ = family_case.build(torch, host, dtype)
    x = samples.numpy().astype("float64")
    if family_case.indicator:  # class indices: the moments of their one-hot vectors
        x = numpy.eye(theirs.probs.shape[-1])[x.astype(int)]
        mean = theirs.probs.numpy()
        variance = mean * (1 - mean)
    else:
        mean, variance = theirs.mean.numpy(), theirs.variance.numpy()
    centred = x - x.mean(axis=0)
    sample_variance = (centred**2).mean(axis=0)
    fourth = (centred**4).mean(axis=0)
    mean_error = numpy.abs(x.mean(axis=0) - mean) / numpy.sqrt(variance / DRAWS)
    variance_error = numpy.abs(sample_variance - variance) / numpy.sqrt((fourth - sample_variance**2) / DRAWS)
    assert mean_error.max() < STANDARD_ERRORS, f"sample mean off by {mean_error.max():.1f} standard errors"
    assert variance_error.max() < STANDARD_ERRORS, f"sample variance off by {variance_error.max():.1f} standard errors"


@pytest.mark.families(lambda case: "cdf" in case.methods)
def test_samples_follow_pytorchs_cdf(torch, family_case):
    dtype = "float32" if family_case.scalar else "float64"
    samples, host = draws(family_case, dtype)
    theirs, _ = family_case.build(torch, host, dtype)
    cdf = theirs.cdf(torch.from_numpy(numpy.sort(samples.numpy(), axis=0))).numpy()
    # the empirical CDF steps from (i − 1)/n to i/n at the i-th smallest sample
    steps = (numpy.arange(DRAWS + 1) / DRAWS).reshape(-1, *[1] * (cdf.ndim - 1))
    distance = numpy.maximum(steps[1:] - cdf, cdf - steps[:-1]).max()
    assert numpy.sqrt(DRAWS) * distance < KS_CRITICAL


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_sample_shape_dtype_and_support(family_case, sample_shape):
    host = family_case.host_params()
    dist, leaves = family_case.build(tg, host, requires_grad=True)
    x = dist.sample(sample_shape)
    assert x.shape == sample_shape + dist.batch_shape + dist.event_shape
    float_dtype = "float32" if family_case.scalar else "float64"
    assert x.dtype == ("int64" if family_case.family == "Categorical" else float_dtype)
    assert not x.requires_grad and x.grad_fn is None
    assert bool(dist.support.check(x).all())
    assert numpy.isfinite(dist.log_prob(x).detach().numpy()).all()


def test_rsample_is_differentiable_where_pytorch_has_it(torch, family_case):
    host = family_case.host_params()
    dist, leaves = family_case.build(tg, host, requires_grad=True)
    assert dist.has_rsample == family_case.build(torch, host)[0].has_rsample
    if not dist.has_rsample:
        with pytest.raises(NotImplementedError, match="has no reparameterized sampler"):
            dist.rsample()
        return
    x = dist.rsample((4,))
    assert x.shape == (4, *dist.batch_shape, *dist.event_shape) and x.requires_grad == bool(leaves)


@pytest.mark.families(lambda case: case.family in RSAMPLE and not case.scalar)
def test_rsample_gradients_match_finite_differences(family_case):
    host = family_case.host_params()
    names = [name for name, p in host.items() if not isinstance(p, float)]

    def fn(*tensors):
        tg.manual_seed(7)  # the same noise at every evaluation
        return family_case.from_arguments(tg, {**host, **dict(zip(names, tensors, strict=True))}).rsample((4,))

    assert gradcheck(fn, [Tensor(host[name], requires_grad=True) for name in names])


def test_samples_repeat_after_the_same_seed_and_differ_after_another(family_case):
    first, _ = draws(family_case, "float64", seed=1, sample_shape=(50,))
    again, _ = draws(family_case, "float64", seed=1, sample_shape=(50,))
    other, _ = draws(family_case, "float64", seed=2, sample_shape=(50,))
    assert tg.equal(first, again) and not tg.equal(first, other)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_draws_stay_inside_the_open_interval(dtype):
    eps = numpy.finfo(dtype).eps
    tg.manual_seed(0)
    u = uniform((100_000,), tg.zeros((), dtype=dtype)).numpy()
    assert u.dtype == dtype and u.min() >= eps and u.max() <= 1 - eps


@pytest.mark.families(lambda case: not case.scalar)  # Python numbers make CPU tensors
def test_samples_are_drawn_on_the_device_from_the_same_numbers(strict_cuda, family_case):
    host = family_case.host_params()
    results = {}
    for device in ("cpu", "cuda"):
        dist, leaves = family_case.build(tg, host, requires_grad=True, device=device)
        tg.manual_seed(3)
        x = dist.rsample((5,)) if dist.has_rsample else dist.sample((5,))
        assert x.device == device
        total = dist.log_prob(x.detach()).sum() + dist.entropy().sum() + (x.sum() if x.requires_grad else 0)
        total.backward()
        results[device] = [x.detach().numpy(), total.detach().numpy(), dist.mean.detach().numpy(),
                           dist.variance.detach().numpy(), *(leaf.grad.numpy() for leaf in leaves.values())]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)
