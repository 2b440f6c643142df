"""fractional_max_pool2d/3d, their _with_indices twins and FractionalMaxPool2d/3d
(nn/fractional_pooling.py): values, indices, gradients and the draws after them bit for bit
against PyTorch for the same seed, given samples, finite differences, reprs, module paths
and errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F


@pytest.fixture(autouse=True)
def _keep_the_generator():
    state = tg.get_rng_state()
    yield
    tg.set_rng_state(state)


# (function, input shape, kernel_size, keyword arguments)
CASES = [
    ("fractional_max_pool2d", (2, 3, 10, 11), 3, {"output_size": 5}),
    ("fractional_max_pool2d", (2, 3, 17, 9), (2, 3), {"output_size": (9, 7)}),
    ("fractional_max_pool2d", (1, 4, 13, 13), 2, {"output_ratio": (0.7, 0.5)}),
    ("fractional_max_pool2d", (3, 8, 9), 2, {"output_size": (7, 1)}),  # unbatched
    ("fractional_max_pool2d", (2, 2, 25, 30), (1, 2), {"output_size": (25, 16)}),
    ("fractional_max_pool3d", (2, 2, 7, 8, 9), 2, {"output_size": 4}),
    ("fractional_max_pool3d", (1, 3, 10, 6, 8), (3, 1, 2), {"output_size": (6, 5, 3)}),
    ("fractional_max_pool3d", (2, 6, 7, 11), 2, {"output_ratio": (0.5, 0.6, 0.7)}),  # unbatched
]
IDS = [f"{name[-2:]}-{shape}-{kernel}-{kwargs}" for name, shape, kernel, kwargs in CASES]


def _run(framework, name, x, kernel, kwargs, seed, ties):
    framework.manual_seed(seed)
    t = framework.tensor(x, requires_grad=True)
    values, where = getattr(framework.nn.functional, name)(t, kernel, return_indices=True, **kwargs)
    upstream = numpy.random.default_rng(1).standard_normal(tuple(values.shape)).astype(x.dtype)
    values.backward(framework.tensor(upstream))
    return values.detach().numpy(), where.numpy(), t.grad.numpy(), framework.rand(4, dtype=t.dtype).numpy()


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", [0, 5, 2**40 + 3])
@pytest.mark.parametrize(("name", "shape", "kernel", "kwargs"), CASES, ids=IDS)
def test_outputs_are_pytorchs_for_the_same_seed(torch, name, shape, kernel, kwargs, seed, dtype, ties):
    rng = numpy.random.default_rng(list(shape))
    x = (rng.integers(-2, 3, shape) if ties else rng.standard_normal(shape)).astype(dtype)
    ours, theirs = _run(tg, name, x, kernel, kwargs, seed, ties), _run(torch, name, x, kernel, kwargs, seed, ties)
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.dtype == other.dtype and mine.shape == other.shape
        numpy.testing.assert_array_equal(mine, other)


@pytest.mark.parametrize(("name", "count"), [("fractional_max_pool2d", 2), ("fractional_max_pool3d", 3)])
def test_given_samples_are_used_as_pytorch_uses_them(torch, name, count):
    shape = (2, 3, *(9,) * count)
    x = numpy.random.default_rng(2).standard_normal(shape)
    samples = numpy.random.default_rng(3).uniform(0, 1, (3, 3, count))  # more rows than the batch: the first are used
    ours = getattr(F, name)(Tensor(x), 2, output_size=4, return_indices=True, _random_samples=Tensor(samples))
    theirs = getattr(torch.nn.functional, name)(torch.tensor(x), 2, output_size=4, return_indices=True,
                                                _random_samples=torch.tensor(samples))
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_array_equal(mine.numpy(), other.numpy())


@pytest.mark.parametrize(("name", "shape", "kernel", "kwargs"), [CASES[1], CASES[6]], ids=[IDS[1], IDS[6]])
def test_gradients_match_finite_differences(name, shape, kernel, kwargs):
    x = Tensor(numpy.random.default_rng(4).standard_normal(shape), requires_grad=True)
    samples = Tensor(numpy.random.default_rng(5).uniform(0, 1, (*shape[:2], len(shape) - 2)))
    assert gradcheck(lambda t: getattr(F, name)(t, kernel, _random_samples=samples, **kwargs), x)
    assert gradgradcheck(lambda t: getattr(F, name)(t, kernel, _random_samples=samples, **kwargs), x)


@pytest.mark.parametrize(("name", "count"), [("fractional_max_pool2d", 2), ("fractional_max_pool3d", 3)])
def test_with_indices_always_returns_the_indices(name, count):
    x = Tensor(numpy.random.default_rng(6).standard_normal((2, 3, *(8,) * count)))
    tg.manual_seed(1)
    values, where = getattr(F, f"{name}_with_indices")(x, 2, 4)
    tg.manual_seed(1)
    expected = getattr(F, name)(x, 2, 4, return_indices=True)
    numpy.testing.assert_array_equal(values.numpy(), expected[0].numpy())
    numpy.testing.assert_array_equal(where.numpy(), expected[1].numpy())


@pytest.mark.parametrize(("name", "args", "kwargs", "shape"), [
    ("FractionalMaxPool2d", (3,), {"output_size": 5}, (2, 3, 11, 12)),
    ("FractionalMaxPool2d", ((2, 3),), {"output_ratio": 0.5, "return_indices": True}, (2, 3, 11, 12)),
    ("FractionalMaxPool3d", (2,), {"output_ratio": (0.5, 0.6, 0.7)}, (2, 2, 7, 8, 9)),
    ("FractionalMaxPool3d", ((1, 2, 3),), {"output_size": 3, "return_indices": True}, (2, 7, 8, 9)),
], ids=str)
def test_layers_are_pytorchs(torch, name, args, kwargs, shape):
    ours, theirs = getattr(tg.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    for attribute in ("kernel_size", "output_size", "output_ratio", "return_indices"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    x = numpy.random.default_rng(7).standard_normal(shape).astype("float32")
    tg.manual_seed(8)
    torch.manual_seed(8)
    mine, other = ours(tg.tensor(x)), theirs(torch.tensor(x))
    for a, b in zip(mine if isinstance(mine, tuple) else (mine,), other if isinstance(other, tuple) else (other,),
                    strict=True):
        numpy.testing.assert_array_equal(a.numpy(), b.numpy())
    assert getattr(tg.nn.modules.pooling, name) is getattr(tg.nn, name)


def test_a_layers_samples_are_a_buffer_as_in_pytorch(torch):
    samples = numpy.random.default_rng(9).uniform(0, 1, (1, 2, 2)).astype("float32")
    ours = tg.nn.FractionalMaxPool2d(2, output_size=3, _random_samples=tg.tensor(samples))
    theirs = torch.nn.FractionalMaxPool2d(2, output_size=3, _random_samples=torch.tensor(samples))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["_random_samples"]
    assert list(tg.nn.FractionalMaxPool2d(2, output_size=3).state_dict()) == []
    x = numpy.random.default_rng(10).standard_normal((1, 2, 7, 7)).astype("float32")
    numpy.testing.assert_array_equal(ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy())


@pytest.mark.parametrize(("call", "words"), [
    (lambda f: f.nn.functional.fractional_max_pool2d(f.ones(1, 1, 6, 6), 2),
     "either an output_size or an output_ratio"),
    (lambda f: f.nn.functional.fractional_max_pool2d(f.ones(1, 1, 6, 6), 2, output_size=(6, 5)),
     "pool height 2 too large relative to input height 6"),
    (lambda f: f.nn.functional.fractional_max_pool2d(f.ones(1, 1, 6, 6), 2, output_size=(5, 6)),
     "pool width 2 too large relative to input width 6"),
    (lambda f: f.nn.functional.fractional_max_pool3d(f.ones(1, 1, 6, 6, 6), 2, output_size=(5, 4, 4)),
     "pool time 2 too large relative to input time 6"),
    (lambda f: f.nn.functional.fractional_max_pool3d(f.ones(1, 1, 6, 6, 6), 2, output_size=(4, 5, 5)),
     "pool width 2 too large relative to input width 6"),
    (lambda f: f.nn.functional.fractional_max_pool3d(f.ones(1, 1, 6, 6, 6), 2, output_size=(4, 5, 4)),
     "pool height 2 too large relative to input height 6"),
    (lambda f: f.nn.functional.fractional_max_pool2d(f.ones(1, 1, 6, 6), 2, output_ratio=(0.5, 1.0)),
     "pool width 2 too large"),
    (lambda f: f.nn.FractionalMaxPool2d(2), "requires specifying either an output size, or a pooling ratio"),
    (lambda f: f.nn.FractionalMaxPool3d(2, output_size=3, output_ratio=0.5),
     "only one of output_size and output_ratio may be specified"),
    (lambda f: f.nn.FractionalMaxPool2d(2, output_ratio=1.0), r"output_ratio must be between 0 and 1 \(got 1.0\)"),
    (lambda f: f.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.0, 0.5)), "output_ratio must be between 0 and 1"),
    (lambda f: f.nn.functional.fractional_max_pool2d(f.ones(2, 3, 6, 6), 2, 3, _random_samples=f.rand(1, 3, 2)),
     "_random_samples"),
    (lambda f: f.nn.functional.fractional_max_pool2d(f.ones(1, 3, 6, 6), 2, 3, _random_samples=f.rand(1, 2, 2)),
     "_random_samples"),
    (lambda f: f.nn.functional.fractional_max_pool2d(f.ones(1, 3, 6, 6), 2, 3, _random_samples=f.rand(1, 3, 3)),
     "_random_samples"),
    (lambda f: f.nn.functional.fractional_max_pool2d(f.ones(1, 3, 6, 6), 2, 3,
                                                     _random_samples=f.rand(1, 3, 2, dtype=f.float64)),
     "_random_samples"),
], ids=["no size", "height", "width", "time 3d", "width 3d", "height 3d", "ratio", "layer no size", "layer both",
        "layer ratio", "layer ratio 3d", "samples batch", "samples channels", "samples axes", "samples dtype"])
def test_errors_are_pytorchs(torch, raises_like_torch, call, words):
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)


def test_a_wrong_number_of_axes_is_refused():
    with pytest.raises(tg.errors.ShapeError, match=r"expects input of shape \(N, C, D, H, W\) or \(C, D, H, W\)"):
        F.fractional_max_pool3d(tg.ones(2, 3, 4), 2, 1)
