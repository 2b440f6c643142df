"""avg_pool1d, max_pool1d, adaptive_avg_pool1d, lp_pool1d, lp_pool2d and their layers:
values, indices and gradients against PyTorch (float32 and float64, random upstream
gradients, ties), finite differences, the strict device, reprs, module paths and errors."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F

INF = float("inf")
# (function, input shape, positional arguments after the input, keyword arguments)
CASES = [
    ("avg_pool1d", (2, 3, 10), (3,), {}),
    ("avg_pool1d", (2, 3, 10), (3, 2, 1), {}),
    ("avg_pool1d", (2, 3, 10), (4, 3, 2), {"ceil_mode": True, "count_include_pad": False}),
    ("avg_pool1d", (2, 3, 9), ((3,), (2,), (1,)), {"ceil_mode": True}),
    ("avg_pool1d", (3, 9), (2,), {"ceil_mode": True}),  # unbatched
    ("max_pool1d", (2, 3, 10), (2,), {}),  # stride = kernel: the tile path
    ("max_pool1d", (2, 3, 11), (3, 2, 1), {"dilation": 2, "ceil_mode": True}),
    ("max_pool1d", (2, 3, 12), (4, 1, 2), {}),
    ("max_pool1d", (3, 9), (3, 1, 1), {}),  # unbatched
    ("adaptive_avg_pool1d", (2, 3, 10), (4,), {}),
    ("adaptive_avg_pool1d", (2, 3, 7), ((3,),), {}),
    ("adaptive_avg_pool1d", (3, 5), (8,), {}),  # unbatched, more outputs than inputs
    ("lp_pool1d", (2, 3, 10), (2, 3), {}),
    ("lp_pool1d", (2, 3, 10), (1.5, 3, 2), {"ceil_mode": True}),
    ("lp_pool1d", (2, 3, 10), (3, 2), {}),
    ("lp_pool1d", (3, 10), (INF, 3), {}),
    ("lp_pool2d", (2, 3, 8, 8), (2, 2), {}),
    ("lp_pool2d", (2, 3, 7, 9), (1.5, (2, 3), (1, 2)), {"ceil_mode": True}),
    ("lp_pool2d", (3, 6, 6), (3, 3), {}),  # unbatched
    ("lp_pool2d", (2, 2, 6, 6), (-INF, 2, 1), {}),
]
IDS = [f"{name}-{shape}-{args}-{sorted(kwargs.items())}".replace(" ", "") for name, shape, args, kwargs in CASES]


def _data(shape, seed=0, ties=False, positive=False):
    rng = numpy.random.default_rng([seed, *shape])
    if ties:
        return rng.integers(-2, 3, shape).astype(float)
    return rng.uniform(0.2, 2.0, shape) if positive else rng.standard_normal(shape)


def _positive(name, args):
    """A fractional power of a negative number is NaN: such cases take positive input."""
    return name.startswith("lp_pool") and float(args[0]) % 1 != 0 and abs(args[0]) != INF


def _run(framework, name, x, args, kwargs, dtype):
    t = framework.tensor(x.astype(dtype), requires_grad=True)
    result = getattr(framework.nn.functional, name)(t, *args, **kwargs)
    y, where = result if isinstance(result, tuple) else (result, None)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return y.detach().numpy(), None if where is None else where.numpy(), t.grad.numpy()


def _compare(torch, name, x, args, kwargs, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NaN from a negative sum under an odd root
        (ours, our_where, our_grad) = _run(tg, name, x, args, kwargs, dtype)
    theirs, their_where, their_grad = _run(torch, name, x, args, kwargs, dtype)
    assert ours.shape == theirs.shape and ours.dtype == numpy.dtype(dtype)
    tolerance = {"rtol": 2e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-13}
    numpy.testing.assert_allclose(ours, theirs, **tolerance)
    numpy.testing.assert_allclose(our_grad, their_grad, **tolerance)
    if their_where is not None:
        assert our_where.dtype == "int64"
        numpy.testing.assert_array_equal(our_where, their_where)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, shape, args, kwargs", CASES, ids=IDS)
def test_values_and_gradients_match_pytorch(torch, name, shape, args, kwargs, dtype):
    _compare(torch, name, _data(shape, positive=_positive(name, args)), args, kwargs, dtype)


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, shape, args, kwargs", [c for c in CASES if c[0] == "max_pool1d"],
                         ids=[i for c, i in zip(CASES, IDS, strict=True) if c[0] == "max_pool1d"])
def test_max_pool_indices_are_positions_along_the_signal(torch, name, shape, args, kwargs, dtype, ties):
    _compare(torch, name, _data(shape, ties=ties), args, {**kwargs, "return_indices": True}, dtype)


def test_a_window_of_zeros_passes_no_gradient_as_in_pytorch(torch):
    x = numpy.array([[[0.0, 0.0, 1.0, 2.0, 0.0, -3.0]]])
    for dtype in ("float32", "float64"):
        _compare(torch, "lp_pool1d", x, (2, 2), {}, dtype)
        _compare(torch, "lp_pool2d", x[:, :, None], (2, (1, 2)), {}, dtype)


@pytest.mark.parametrize("name, shape, args, kwargs", [CASES[i] for i in (2, 6, 10, 13, 17)],
                         ids=[IDS[i] for i in (2, 6, 10, 13, 17)])
def test_gradients_match_finite_differences(name, shape, args, kwargs):
    x = Tensor(_data(shape, positive=_positive(name, args)), requires_grad=True)
    assert gradcheck(lambda t: getattr(F, name)(t, *args, **kwargs), x)


def test_with_indices_and_without():
    x = Tensor(_data((2, 3, 11)))
    values, where = F.max_pool1d_with_indices(x, 3, 2)
    assert isinstance(F.max_pool1d(x, 3, 2), Tensor) and where.shape == values.shape == (2, 3, 5)
    numpy.testing.assert_array_equal(values.numpy(), F.max_pool1d(x, 3, 2).numpy())


@pytest.mark.parametrize("name, shape, args, kwargs", [CASES[i] for i in (1, 6, 9, 13, 17)],
                         ids=[IDS[i] for i in (1, 6, 9, 13, 17)])
def test_runs_on_the_device(strict_cuda, name, shape, args, kwargs):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(_data(shape, positive=_positive(name, args)), requires_grad=True, device=device)
        y = getattr(F, name)(x, *args, **kwargs)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)


def test_max_pool_indices_on_the_device(strict_cuda):
    x = Tensor(_data((2, 3, 11), ties=True), device="cuda")
    values, where = F.max_pool1d(x, 3, 2, 1, return_indices=True)
    assert values.device == where.device == "cuda"
    numpy.testing.assert_array_equal(where.numpy(), F.max_pool1d(Tensor(x.numpy()), 3, 2, 1, return_indices=True)[1]
                                     .numpy())


MODULES = [
    ("AvgPool1d", (3,), (2, 3, 10)),
    ("AvgPool1d", ((3,), 2, 1, True, False), (2, 3, 10)),
    ("MaxPool1d", (3,), (2, 3, 10)),
    ("MaxPool1d", (3, 2, 1, 2, True, True), (3, 11)),
    ("AdaptiveAvgPool1d", (4,), (2, 3, 10)),
    ("LPPool1d", (2, 3), (2, 3, 10)),
    ("LPPool1d", (1.5, 3, 2, True), (2, 3, 10)),
    ("LPPool2d", (2, 2), (2, 3, 6, 8)),
    ("LPPool2d", (1.5, (2, 3), 1, True), (3, 6, 8)),
]


@pytest.mark.parametrize("cls, args, shape", MODULES, ids=[f"{c}-{a}".replace(" ", "") for c, a, _ in MODULES])
def test_modules_match_pytorch_and_print_as_it_does(torch, cls, args, shape):
    ours, theirs = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args)
    assert repr(ours) == repr(theirs)
    x = _data(shape, positive=True)
    mine, other = ours(Tensor(x)), theirs(torch.tensor(x))
    for a, b in zip(mine if isinstance(mine, tuple) else [mine], other if isinstance(other, tuple) else [other],
                    strict=True):
        numpy.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_modules_are_at_pytorchs_path():
    from tinygrad_bn.nn.modules import pooling

    for name in ("AvgPool1d", "MaxPool1d", "AdaptiveAvgPool1d", "LPPool1d", "LPPool2d"):
        assert getattr(pooling, name) is getattr(nn, name)


@pytest.mark.parametrize("name, shape, args, error", [
    ("max_pool1d", (2, 3, 4, 5), (2,), RuntimeError),
    ("avg_pool1d", (5,), (2,), RuntimeError),
    ("max_pool1d", (2, 3, 5), ((2, 3),), RuntimeError),
    ("avg_pool1d", (2, 3, 5), (2, 1, 2), RuntimeError),  # padding over half the kernel
    ("max_pool1d", (2, 3, 5), (2, 0), RuntimeError),  # stride 0
    ("max_pool1d", (2, 3, 3), (5,), RuntimeError),  # no window fits
    ("adaptive_avg_pool1d", (2, 3, 5), ((2, 3),), RuntimeError),
    ("adaptive_avg_pool1d", (2, 3, 5), (None,), TypeError),
])
def test_bad_input_is_refused_as_pytorch_refuses_it(torch, name, shape, args, error):
    with pytest.raises(error):
        getattr(F, name)(Tensor(_data(shape)), *args)
    with pytest.raises(error):
        getattr(torch.nn.functional, name)(torch.tensor(_data(shape)), *args)
