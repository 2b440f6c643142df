"""The blocked, threaded kernels and their channel-major twins against the whole-array
reference they implement, and statistics as accurate as a two-pass variance for every
batch order."""

import numpy as np
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.batchnorm import kernels
from tinygrad_bn.batchnorm.blocks import Blocks
from tinygrad_bn.batchnorm.fused import reference_backward, reference_forward
from tinygrad_bn.batchnorm.kernels import (
    batch_statistics,
    blocked_backward,
    blocked_forward,
    channel_major_backward,
    channel_major_forward,
    row_statistics,
)

CPU = Tensor(0.0)._backend
# one block, several blocks with a partial last one, and spatial inputs of both kinds
SHAPES = [(5, 3), (4, 3, 5), (1500, 512), (40, 64, 17, 13)]


def _per_channel(values, shape):
    return values.reshape((1, shape[1]) + (1,) * (len(shape) - 2))


def _channel_major(a):
    """The same values, laid out channel after channel in memory (as a convolution leaves them)."""
    return np.ascontiguousarray(a.swapaxes(0, 1)).swapaxes(0, 1)


KERNELS = {
    "blocked": (blocked_forward, blocked_backward, lambda a: a),
    "channel-major": (channel_major_forward, channel_major_backward, _channel_major),
}


def _values(shape, seed):
    rng = np.random.default_rng(seed)
    x = 5 * rng.standard_normal(shape) + 12
    weight, bias = (_per_channel(rng.standard_normal(shape[1]), shape) for _ in range(2))
    return x, rng.standard_normal(shape), weight, bias


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_kernels_compute_the_reference(kernel, shape, training):
    forward, backward, layout = KERNELS[kernel]
    x, dy, weight, bias = _values(shape, seed=0)
    eps = 1e-5
    if training:
        y_ref, mean, var, inv_std = reference_forward(x, weight, bias, eps)
        running = None
    else:
        mean = _per_channel(np.linspace(10, 14, shape[1]), shape)
        var = _per_channel(np.linspace(20, 30, shape[1]), shape)
        inv_std = (var + eps) ** -0.5
        y_ref = weight * (x - mean) * inv_std + bias  # (E1)
        running = (mean, var)
    y, shift, mean_minus_shift, var_blocked, inv_std_blocked = forward(CPU, layout(x), weight, bias, eps, running)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
    assert layout(y).ctypes.data == y.ctypes.data  # y in x's memory order
    np.testing.assert_allclose(shift + mean_minus_shift, mean, rtol=1e-13)
    np.testing.assert_allclose(var_blocked, var, rtol=1e-12)
    np.testing.assert_allclose(inv_std_blocked, inv_std, rtol=1e-12)

    expected = reference_backward(x, dy, weight, mean, inv_std, training)
    got = backward(CPU, layout(x), dy, weight, shift, mean_minus_shift, inv_std_blocked, training)
    assert layout(got[0]).ctypes.data == got[0].ctypes.data  # dx in x's memory order
    for name, ours, reference in zip(("dx", "dgamma", "dbeta"), got, expected):
        np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-10 * np.abs(reference).max(), err_msg=name)


def test_reference_backward_is_the_derivative_of_reference_forward():
    """Directional derivative of ⟨dy, y⟩ by central differences, in float64."""
    x, dy, weight, bias = _values((6, 3, 2), seed=1)
    direction = np.random.default_rng(2).standard_normal(x.shape)
    _, mean, _, inv_std = reference_forward(x, weight, bias, 1e-5)
    dx, _, _ = reference_backward(x, dy, weight, mean, inv_std, training=True)
    h = 1e-6
    plus, minus = (np.sum(dy * reference_forward(x + s * h * direction, weight, bias, 1e-5)[0]) for s in (1, -1))
    assert np.isclose((plus - minus) / (2 * h), np.sum(dx * direction), rtol=1e-6)


STATISTICS = {
    "blocked": lambda x, deviations: batch_statistics(x, deviations, Blocks(x.shape, 4, CPU), np),
    "channel-major": lambda x, deviations: row_statistics(x.T, deviations.T, x.shape[0], np),
}


@pytest.mark.parametrize("statistics", STATISTICS)
def test_variance_is_two_pass_accurate_when_the_sampled_rows_mislead(statistics):
    """One sampled row unlike all the others puts the shift K about 100σ from μ: a single
    pass over x − K would lose a factor 1 + (c/σ)² ≈ 10⁴ (7e-4 relative error in σ² here);
    the statistics must stay as accurate as a float32 two-pass variance."""
    batch = 2**22
    x = np.random.default_rng(3).standard_normal((batch, 1)).astype(np.float32)
    x[0] = 2600  # row 0 is among the sampled rows
    exact = x.astype(np.float64)
    mean, var = exact.mean(0), exact.var(0)
    deviations = np.empty_like(x)
    shift, mean_minus_shift, ours = STATISTICS[statistics](x, deviations)
    first_shift = exact[:: batch // 16][:16].mean(0)
    assert abs(first_shift - mean) / np.sqrt(var) > 100  # the order is as bad as intended
    assert abs(ours.ravel() - var) / var < 1e-5
    assert abs((shift + mean_minus_shift).ravel() - mean) < 1e-6 * np.sqrt(var)
    np.testing.assert_array_equal(deviations, x - shift)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_shift_is_the_sampled_rows_mean_so_one_pass_suffices(shape, monkeypatch):
    """K is the mean of the sampled rows over their every element (spatial ones too):
    for a batch whose samples are alike it lies within σ of μ, and the pass over
    x − K is not repeated."""
    x = _values(shape, seed=4)[0]
    passes = []
    moments = kernels._shifted_moments
    monkeypatch.setattr(kernels, "_shifted_moments", lambda *args: passes.append(args[2]) or moments(*args))
    shift, mean_minus_shift, var = batch_statistics(x, np.empty_like(x), Blocks(x.shape, 8, CPU), np)
    sampled = x[:: max(1, shape[0] // 16)][:16]
    np.testing.assert_allclose(passes[0], _per_channel(sampled.mean(axis=(0, *range(2, x.ndim))), shape))
    assert len(passes) == 1


@pytest.mark.parametrize("batch, pixels, runs", [(64, 16, 1), (64, 64, 4), (64, 1024, 64), (48, 30, 1), (7, 3, 1),
                                                 (6, 400, 2)])
def test_row_dots_take_runs_of_whole_samples_of_at_least_1024_elements(batch, pixels, runs):
    per_run = kernels.samples_per_run(batch, pixels)
    assert batch // per_run == runs and batch % per_run == 0


@pytest.mark.parametrize("batch, pixels", [(64, 16), (2**12, 2**10), (3, 7)])
def test_row_dots_are_as_accurate_as_a_pairwise_sum(batch, pixels):
    """Float32 dots of rows up to 4 Mi elements, against float64: a single dot product
    along such a row would lose 2e-4 of it."""
    rng = np.random.default_rng(5)
    a = (rng.standard_normal((2, batch * pixels)) + 3).astype(np.float32)
    b = rng.standard_normal((2, batch * pixels)).astype(np.float32) ** 2
    exact = (a.astype(np.float64) * b).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(kernels.row_dots(a, b, batch, np), exact, rtol=2e-6)
