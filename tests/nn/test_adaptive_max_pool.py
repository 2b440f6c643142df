"""adaptive_max_pool1d/2d and AdaptiveMaxPool1d/2d: values, indices and gradients against
PyTorch (float32 and float64, random upstream gradients, ties going to the first maximum),
finite differences, the strict device, reprs, module paths and errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F

# (function, input shape, output_size)
CASES = [
    ("adaptive_max_pool2d", (2, 3, 8, 8), 4),
    ("adaptive_max_pool2d", (2, 3, 7, 5), (3, 2)),  # windows of unequal length, overlapping
    ("adaptive_max_pool2d", (1, 2, 5, 6), (5, 6)),  # the identity
    ("adaptive_max_pool2d", (1, 2, 3, 4), (7, 9)),  # more outputs than inputs: repeated windows
    ("adaptive_max_pool2d", (2, 2, 6, 7), (None, 3)),
    ("adaptive_max_pool2d", (2, 5, 4), 1),  # unbatched, global
    ("adaptive_max_pool1d", (2, 3, 10), 4),
    ("adaptive_max_pool1d", (2, 3, 7), (3,)),
    ("adaptive_max_pool1d", (3, 5), 8),  # unbatched
]
IDS = [f"{name[-2:]}-{shape}-{size}".replace(" ", "") for name, shape, size in CASES]


def _data(shape, seed=0, ties=False):
    rng = numpy.random.default_rng([seed, *shape])
    return rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)


def _run(framework, name, x, size, dtype):
    t = framework.tensor(x.astype(dtype), requires_grad=True)
    y, where = getattr(framework.nn.functional, name)(t, size, return_indices=True)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return y.detach().numpy(), where.numpy(), t.grad.numpy()


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, shape, size", CASES, ids=IDS)
def test_values_indices_and_gradients_match_pytorch(torch, name, shape, size, dtype, ties):
    x = _data(shape, ties=ties)
    (ours, our_where, our_grad), (theirs, their_where, their_grad) = (_run(tg, name, x, size, dtype),
                                                                      _run(torch, name, x, size, dtype))
    assert ours.shape == theirs.shape and ours.dtype == numpy.dtype(dtype) and our_where.dtype == "int64"
    numpy.testing.assert_array_equal(ours, theirs)
    numpy.testing.assert_array_equal(our_where, their_where)
    numpy.testing.assert_allclose(our_grad, their_grad, rtol=1e-6 if dtype == "float32" else 1e-14, atol=1e-7)


@pytest.mark.parametrize("name, shape, size", [CASES[1], CASES[3], CASES[7]], ids=[IDS[1], IDS[3], IDS[7]])
def test_gradients_match_finite_differences(name, shape, size):
    assert gradcheck(lambda t: getattr(F, name)(t, size), Tensor(_data(shape), requires_grad=True))


def test_without_indices_the_values_alone():
    x = Tensor(_data((2, 3, 7, 5)))
    pooled = F.adaptive_max_pool2d(x, (3, 2))
    assert isinstance(pooled, Tensor)
    numpy.testing.assert_array_equal(pooled.numpy(), F.adaptive_max_pool2d(x, (3, 2), True)[0].numpy())
    values, indices = F.adaptive_max_pool1d_with_indices(Tensor(_data((2, 7))), 3)
    assert values.shape == indices.shape == (2, 3)


def test_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(_data((2, 3, 7, 5)), requires_grad=True, device=device)
        y, where = F.adaptive_max_pool2d(x, (3, 4), return_indices=True)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == where.device == x.grad.device == device
        results.append([y.numpy(), where.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)


@pytest.mark.parametrize("cls, args", [("AdaptiveMaxPool2d", (3,)), ("AdaptiveMaxPool2d", ((3, None), True)),
                                       ("AdaptiveMaxPool1d", (4,)), ("AdaptiveMaxPool1d", (2, True))])
def test_modules_match_pytorch_and_print_as_it_does(torch, cls, args):
    ours, theirs = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args)
    assert repr(ours) == repr(theirs)
    x = _data((2, 3, 6, 8) if cls.endswith("2d") else (2, 3, 8))
    mine, other = ours(Tensor(x)), theirs(torch.tensor(x))
    for a, b in zip(mine if isinstance(mine, tuple) else [mine], other if isinstance(other, tuple) else [other],
                    strict=True):
        numpy.testing.assert_array_equal(a.numpy(), b.numpy())


def test_modules_are_at_pytorchs_path():
    from tinygrad_bn.nn.modules import pooling

    assert pooling.AdaptiveMaxPool1d is nn.AdaptiveMaxPool1d and pooling.AdaptiveMaxPool2d is nn.AdaptiveMaxPool2d


@pytest.mark.parametrize("name, shape, size, error, words", [
    ("adaptive_max_pool2d", (4, 4), 2, RuntimeError, r"\(N, C, H, W\) or \(C, H, W\)"),
    ("adaptive_max_pool2d", (1, 1, 0, 4), 2, RuntimeError, "non-empty"),
    ("adaptive_max_pool2d", (1, 1, 4, 4), -1, RuntimeError, "output_size must be"),
    ("adaptive_max_pool2d", (1, 1, 4, 4), (1, 2, 3), RuntimeError, "output_size must be"),
    ("adaptive_max_pool1d", (2, 3, 4, 5), 2, RuntimeError, r"\(N, C, L\) or \(C, L\)"),
    ("adaptive_max_pool1d", (2, 3, 5), (2, 3), RuntimeError, "output_size must be an int"),
    ("adaptive_max_pool1d", (2, 3, 5), None, TypeError, "output_size must be an int"),
])
def test_bad_input_is_refused_as_pytorch_refuses_it(torch, name, shape, size, error, words):
    with pytest.raises(error, match=words):
        getattr(F, name)(Tensor(_data(shape)), size)
    with pytest.raises(error):
        getattr(torch.nn.functional, name)(torch.tensor(_data(shape)), size)
