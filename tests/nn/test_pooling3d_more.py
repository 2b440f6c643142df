"""max_unpool3d / MaxUnpool3d and adaptive_max_pool3d / AdaptiveMaxPool3d (and the
unbatched input max_unpool2d now takes): values, indices and gradients against
PyTorch in float32 and float64, with ties; output_size handling and errors as
PyTorch's; gradcheck and gradgradcheck; the strict device; the layers' reprs."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

TOLERANCE = {"float32": {"rtol": 1e-6, "atol": 1e-7}, "float64": {"rtol": 1e-14, "atol": 1e-15}}


def _data(shape, seed=0, ties=False):
    """Normal values, or small integers so that most windows hold a tie."""
    rng = numpy.random.default_rng([seed, *shape])
    return rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)


def _distinct(shape, seed=0):
    """Values at least 0.1 apart (also their squares: all positive): no window holds a tie."""
    size = int(numpy.prod(shape))
    return (numpy.random.default_rng([seed, *shape]).permutation(size) * 0.1 + 0.05).reshape(shape)


# Max unpooling --------------------------------------------------------------------------

# (input shape of the max pool undone, kernel_size, stride, padding, output_size)
UNPOOL_CASES = [
    ((2, 3, 4, 4, 6), 2, None, 0, None),
    ((1, 2, 5, 7, 6), 3, 2, 1, (5, 7, 6)),  # the default would be (5, 7, 5): too small for these indices
    ((1, 2, 5, 6, 7), (3, 2, 2), (2, 1, 3), (1, 0, 1), (1, 2, 5, 6, 7)),  # output_size with (N, C) in front
    ((2, 1, 4, 5, 5), 3, 1, 1, None),  # overlapping windows: an entry can be the maximum of several
    ((3, 4, 6, 4), 2, None, 0, [5, 7, 5]),  # unbatched, output_size a list one above the default
]
UNPOOL_IDS = ["default", "larger", "with-N-C", "overlapping", "unbatched"]


def _pooled(torch, shape, kernel_size, stride, padding, ties):
    x = torch.from_numpy(_data(shape, ties=ties))
    return torch.nn.functional.max_pool3d(x, kernel_size, stride, padding, return_indices=True)


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, kernel_size, stride, padding, output_size", UNPOOL_CASES, ids=UNPOOL_IDS)
def test_max_unpool3d_matches_pytorch(torch, shape, kernel_size, stride, padding, output_size, dtype, ties):
    pooled, indices = _pooled(torch, shape, kernel_size, stride, padding, ties)
    values = _data(tuple(pooled.shape), seed=1).astype(dtype)
    ours, theirs = Tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    out = F.max_unpool3d(ours, indices.numpy(), kernel_size, stride, padding, output_size)
    their_out = torch.nn.functional.max_unpool3d(theirs, indices, kernel_size, stride, padding, output_size)
    assert out.shape == tuple(their_out.shape) and out.dtype == numpy.dtype(dtype)
    numpy.testing.assert_array_equal(out.numpy(), their_out.detach().numpy())
    upstream = _data(out.shape, seed=2).astype(dtype)
    out.backward(Tensor(upstream))
    their_out.backward(torch.from_numpy(upstream))
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **TOLERANCE[dtype])


def test_max_unpool3d_undoes_max_pool3d_of_ours(torch):
    x = Tensor(_distinct((2, 2, 4, 6, 4)))
    pooled, where = F.max_pool3d(x, 2, return_indices=True)
    unpooled = F.max_unpool3d(pooled, where, 2)
    their_pooled, their_where = torch.nn.functional.max_pool3d(torch.from_numpy(x.numpy()), 2, return_indices=True)
    numpy.testing.assert_array_equal(where.numpy(), their_where.numpy())
    numpy.testing.assert_array_equal(unpooled.numpy(),
                                     torch.nn.functional.max_unpool3d(their_pooled, their_where, 2).numpy())


# windows that do not overlap: no entry is written twice, so every value reaches the output
@pytest.mark.parametrize("shape, kernel_size, stride, padding, output_size", [
    UNPOOL_CASES[0], UNPOOL_CASES[4], ((1, 2, 5, 6, 7), (3, 2, 2), (3, 2, 3), (1, 0, 1), (1, 2, 5, 6, 7)),
], ids=["default", "unbatched", "padded-with-N-C"])
def test_max_unpool3d_derivatives(shape, kernel_size, stride, padding, output_size):
    _, where = F.max_pool3d(Tensor(_distinct(shape)), kernel_size, stride, padding, return_indices=True)
    x = Tensor(_data(where.shape, seed=3), requires_grad=True)
    assert gradcheck(lambda t: F.max_unpool3d(t, where, kernel_size, stride, padding, output_size), x)
    assert gradgradcheck(lambda t: F.max_unpool3d(t * t, where, kernel_size, stride, padding, output_size), x)


def test_max_unpool2d_takes_unbatched_input_as_pytorch(torch):
    pooled, where = torch.nn.functional.max_pool2d(torch.from_numpy(_data((3, 6, 5))), 2, return_indices=True)
    ours = F.max_unpool2d(Tensor(pooled.numpy()), where.numpy(), 2, output_size=(7, 5))
    theirs = torch.nn.functional.max_unpool2d(pooled, where, 2, output_size=(7, 5))
    assert ours.shape == tuple(theirs.shape) == (3, 7, 5)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def _unpool_call(framework, input_shape, indices, output_size=None, ndim=3, dtype="int64"):
    """max_unpool{ndim}d of ones with kernel 2 and ``indices`` (an int or an array), in ``framework``."""
    where = numpy.full(input_shape, indices) if numpy.isscalar(indices) else numpy.asarray(indices)
    function = getattr(framework.nn.functional, f"max_unpool{ndim}d")
    return lambda: function(framework.ones(*input_shape), framework.from_numpy(where.astype(dtype))
                            if framework is not tg else where.astype(dtype), 2, output_size=output_size)


@pytest.mark.parametrize("input_shape, indices, output_size, ndim, words", [
    ((1, 1, 2, 2, 2), 64, None, 3, r"indices must lie in \[0, 64\) for an output of size \(4, 4, 4\), got .* to 64"),
    ((1, 1, 2, 2, 2), -1, None, 3, r"indices must lie in \[0, 64\)"),
    ((1, 1, 2, 2, 2), 0, (4, 4, 4, 4), 3, r"output_size must have 3 or 5 entries, got 4"),
    ((1, 1, 2, 2, 2), 0, (4, 4), 3, r"output_size must have 3 or 5 entries, got 2"),
    ((1, 1, 2, 2, 2), 0, (6, 4, 4), 3, r"entry 0 must lie strictly between 2 and 6, got 6"),
    ((1, 1, 2, 2, 2), 0, (1, 1, 4, 4, 2), 3, r"entry 2 must lie strictly between 2 and 6, got 2"),
    ((2, 2, 2), 0, None, 3, r"\(C, D, H, W\) or \(N, C, D, H, W\), got \(2, 2, 2\)"),
    ((1, 2, 2, 2, 2, 2), 0, None, 3, r"\(N, C, D, H, W\), got \(1, 2, 2, 2, 2, 2\)"),
    ((1, 2, 2), 0, (3, 4, 4), 2, r"output_size must have 2 or 4 entries, got 3"),
])
def test_max_unpool_rejects_sizes_and_indices_as_pytorch(torch, raises_like_torch, input_shape, indices,
                                                          output_size, ndim, words):
    raises_like_torch(_unpool_call(tg, input_shape, indices, output_size, ndim),
                      _unpool_call(torch, input_shape, indices, output_size, ndim), words)


def test_max_unpool3d_rejects_indices_of_another_shape_or_dtype(torch, raises_like_torch):
    raises_like_torch(_unpool_call(tg, (1, 1, 2, 2, 2), numpy.zeros((1, 1, 2, 2, 1))),
                      _unpool_call(torch, (1, 1, 2, 2, 2), numpy.zeros((1, 1, 2, 2, 1))),
                      r"integer indices of the input's shape \(1, 1, 2, 2, 2\), got int64 indices of shape")
    raises_like_torch(_unpool_call(tg, (1, 1, 2, 2, 2), 0, dtype="float64"),
                      _unpool_call(torch, (1, 1, 2, 2, 2), 0, dtype="float64"), "got float64 indices")


def test_max_unpool3d_layer_matches_pytorch(torch):
    pooled, where = _pooled(torch, (2, 3, 5, 4, 6), (3, 2, 2), (2, 2, 2), 1, ties=False)
    ours, theirs = nn.MaxUnpool3d((3, 2, 2), stride=2, padding=1), torch.nn.MaxUnpool3d((3, 2, 2), stride=2, padding=1)
    assert repr(ours) == repr(theirs)
    assert repr(nn.MaxUnpool3d(2)) == repr(torch.nn.MaxUnpool3d(2))
    numpy.testing.assert_array_equal(ours(Tensor(pooled.numpy()), where.numpy(), output_size=(5, 4, 6)).numpy(),
                                     theirs(pooled, where, output_size=(5, 4, 6)).numpy())


def test_max_unpool3d_runs_on_the_device(strict_cuda):
    results = []
    _, where = F.max_pool3d(Tensor(_distinct((2, 2, 4, 4, 4))), 2, return_indices=True)
    for device in ("cpu", "cuda"):
        x = Tensor(_data(where.shape), requires_grad=True, device=device)
        y = F.max_unpool3d(x, where.to(device), 2)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)


# Adaptive max pooling --------------------------------------------------------------------

# (input shape, output_size)
ADAPTIVE_CASES = [
    ((2, 3, 4, 6, 8), 2),
    ((2, 2, 7, 5, 6), (3, 2, 4)),  # windows of unequal length, overlapping
    ((1, 2, 3, 4, 5), (3, 4, 5)),  # the identity
    ((1, 2, 2, 3, 2), (5, 4, 3)),  # more outputs than inputs: repeated windows
    ((2, 2, 5, 6, 7), (None, 3, None)),
    ((3, 4, 5, 6), 1),  # unbatched, global
    ((2, 4, 3, 5), (2, 1, 4)),  # unbatched
    ((0, 2, 3, 4, 5), 2),  # an empty batch
]
ADAPTIVE_IDS = ["int", "uneven", "identity", "upsampling", "None", "unbatched-global", "unbatched", "empty-batch"]


def _adaptive(framework, x, size, dtype):
    t = framework.tensor(x.astype(dtype), requires_grad=True)
    y, where = framework.nn.functional.adaptive_max_pool3d(t, size, return_indices=True)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return y.detach().numpy(), where.numpy(), t.grad.numpy()


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, size", ADAPTIVE_CASES, ids=ADAPTIVE_IDS)
def test_adaptive_max_pool3d_matches_pytorch(torch, shape, size, dtype, ties):
    x = _data(shape, ties=ties)
    (ours, our_where, our_grad), (theirs, their_where, their_grad) = (_adaptive(tg, x, size, dtype),
                                                                      _adaptive(torch, x, size, dtype))
    assert ours.shape == theirs.shape and ours.dtype == numpy.dtype(dtype) and our_where.dtype == "int64"
    numpy.testing.assert_array_equal(ours, theirs)
    numpy.testing.assert_array_equal(our_where, their_where)
    numpy.testing.assert_allclose(our_grad, their_grad, **TOLERANCE[dtype])


@pytest.mark.parametrize("shape, size", [ADAPTIVE_CASES[1], ADAPTIVE_CASES[3], ADAPTIVE_CASES[6]],
                         ids=["uneven", "upsampling", "unbatched"])
def test_adaptive_max_pool3d_derivatives(shape, size):
    x = Tensor(_distinct(shape), requires_grad=True)
    assert gradcheck(lambda t: F.adaptive_max_pool3d(t, size), x)
    assert gradgradcheck(lambda t: F.adaptive_max_pool3d(t * t, size), x)


def test_adaptive_max_pool3d_values_alone_and_with_indices():
    x = Tensor(_data((2, 3, 5, 4, 6)))
    pooled = F.adaptive_max_pool3d(x, (2, 3, 4))
    values, indices = F.adaptive_max_pool3d_with_indices(x, (2, 3, 4))
    assert isinstance(pooled, Tensor)
    numpy.testing.assert_array_equal(pooled.numpy(), values.numpy())
    # each index points at its value in the flattened (D, H, W) volume of its channel
    flat = x.numpy().reshape(2, 3, -1)
    numpy.testing.assert_array_equal(numpy.take_along_axis(flat, indices.numpy().reshape(2, 3, -1), 2),
                                     values.numpy().reshape(2, 3, -1))


@pytest.mark.parametrize("shape, size, words", [
    ((1, 1, 0, 4, 4), 2, r"non-empty C, D, H and W"),
    ((1, 0, 4, 4, 4), 2, r"non-empty C, D, H and W"),
    ((4, 4, 4), 2, r"\(N, C, D, H, W\) or \(C, D, H, W\) .* got shape \(4, 4, 4\)"),
    ((1, 1, 4, 4, 4), (2, 3), r"output_size must be an int or a tuple of 3 ints"),
    ((1, 1, 4, 4, 4), (2, 2, 2, 2), r"output_size must be an int or a tuple of 3 ints"),
    ((1, 1, 4, 4, 4), (-1, 2, 2), r"output_size must be .* each >= 0, got \(-1, 2, 2\)"),
])
def test_adaptive_max_pool3d_rejects_as_pytorch(torch, raises_like_torch, shape, size, words):
    raises_like_torch(lambda: F.adaptive_max_pool3d(tg.zeros(*shape), size),
                      lambda: torch.nn.functional.adaptive_max_pool3d(torch.zeros(*shape), size), words)


def test_adaptive_max_pool3d_layer_matches_pytorch(torch):
    x = _data((2, 3, 5, 6, 7))
    for size, return_indices in [((2, None, 3), True), (1, False)]:
        ours, theirs = nn.AdaptiveMaxPool3d(size, return_indices), torch.nn.AdaptiveMaxPool3d(size, return_indices)
        assert repr(ours) == repr(theirs)
        mine, other = ours(Tensor(x)), theirs(torch.from_numpy(x))
        for a, b in zip(mine if return_indices else [mine], other if return_indices else [other], strict=True):
            numpy.testing.assert_array_equal(a.numpy(), b.numpy())


def test_adaptive_max_pool3d_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(_data((2, 2, 5, 4, 6)), requires_grad=True, device=device)
        y, where = F.adaptive_max_pool3d(x, (3, 2, 4), return_indices=True)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == where.device == x.grad.device == device
        results.append([y.numpy(), where.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)
