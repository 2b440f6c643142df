"""LKJCholesky: log_prob against PyTorch's (values, gradients in the concentration and in
the value) for several sizes and batches, in float64 and float32; shapes, expand and repr;
the samples' support and the law of their correlations; and the refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import distributions

ETA = numpy.array([[0.5, 1.0, 2.5], [4.0, 1.5, 0.8]])


def _factors(torch, dim, shape, seed=0):
    """Cholesky factors of correlation matrices, drawn by PyTorch's LKJCholesky(dim, 1.5)."""
    torch.manual_seed(seed)
    return torch.distributions.LKJCholesky(dim, torch.tensor(1.5, dtype=torch.float64)).sample(shape).numpy()


@pytest.mark.parametrize("dim", [2, 3, 5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_prob_matches_pytorch_with_gradients(torch, dim, dtype):
    value = _factors(torch, dim, (4, 2, 3))
    results = []
    for framework in (tg, torch):
        eta = framework.tensor(ETA, dtype=getattr(framework, dtype), requires_grad=True)
        L = framework.tensor(value, dtype=getattr(framework, dtype), requires_grad=True)
        log_p = framework.distributions.LKJCholesky(dim, eta).log_prob(L)
        log_p.sum().backward()
        results.append([log_p.detach().numpy(), eta.grad.numpy(), L.grad.numpy()])
    assert results[0][0].dtype == dtype and results[0][0].shape == (4, 2, 3)
    tolerance = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=1e-5, atol=1e-5)
    for ours, theirs in zip(*results, strict=True):
        numpy.testing.assert_allclose(ours, theirs, **tolerance)


def test_shapes_repr_support_and_expand_match_pytorch(torch):
    ours = distributions.LKJCholesky(4, tg.tensor(ETA[0]))
    theirs = torch.distributions.LKJCholesky(4, torch.tensor(ETA[0]))
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    assert repr(ours) == repr(theirs) and ours.has_rsample is theirs.has_rsample is False
    assert repr(ours.support) == "CorrCholesky()" and distributions.LKJCholesky(3).batch_shape == ()
    wide_ours, wide_theirs = ours.expand((2, 3)), theirs.expand((2, 3))
    assert type(wide_ours) is distributions.LKJCholesky and wide_ours.batch_shape == (2, 3)
    value = _factors(torch, 4, (5, 2, 3))
    numpy.testing.assert_allclose(wide_ours.log_prob(tg.tensor(value)).numpy(),
                                  wide_theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-10)
    assert wide_ours.sample((2,)).shape == (2, 2, 3, 4, 4)


@pytest.mark.parametrize("dim", [2, 3, 5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_samples_are_correlation_factors_whose_correlations_follow_the_lkj_law(dim, dtype):
    """Each correlation Cᵢⱼ of C = L Lᵀ is 2·Beta(b, b) − 1 with b = η − 1 + D/2: mean 0 and
    variance 1/(2η + D − 1) (PyTorch 2.13's samples miss this for D ≥ 3: 0.375 for 1/3)."""
    draws = 20_000
    tg.manual_seed(0)
    eta = numpy.array([0.5, 1.0, 4.0])
    dist = distributions.LKJCholesky(dim, tg.tensor(eta, dtype=dtype))
    L = dist.sample((draws,))
    assert L.shape == (draws, 3, dim, dim) and L.dtype == tg.dtype(dtype) and not L.requires_grad
    assert bool(dist.support.check(L).all())
    L = L.numpy().astype("float64")
    C = L @ L.swapaxes(-1, -2)
    rows, cols = numpy.tril_indices(dim, -1)
    correlations = C[..., rows, cols]  # (draws, 3, pairs)
    variance = (1 / (2 * eta + dim - 1))[:, None]
    assert (numpy.abs(correlations.mean(0)) < 6 * numpy.sqrt(variance / draws)).all()
    numpy.testing.assert_allclose(correlations.var(0), numpy.broadcast_to(variance, correlations.shape[1:]),
                                  rtol=0.06)


INVALID = {
    "concentration": lambda D, t: D.LKJCholesky(3, t([1.0, -1.0])),
    "value off the support": lambda D, t: D.LKJCholesky(2, 1.0).log_prob(t([[1.0, 0.0], [0.6, 0.6]])),
}


@pytest.mark.parametrize("label", INVALID)
def test_invalid_arguments_are_refused_as_pytorch_refuses_them(refused_alike, label):
    refused_alike(INVALID[label])


def test_dim_below_2_is_refused_as_in_pytorch(torch):
    with pytest.raises(ValueError) as theirs:
        torch.distributions.LKJCholesky(1)
    with pytest.raises(ValueError, match=str(theirs.value).replace(".", r"\.")):
        distributions.LKJCholesky(1)
