"""empty_like and randint_like: PyTorch's shapes, dtypes, devices and requires_grad for
every form of their arguments, values in range, seeded draws, errors of PyTorch's kind,
and the strict device."""

import numpy
import pytest

import tinygrad_bn as tg

CALLS = {
    "empty_like": lambda f, x: f.empty_like(x),
    "empty_like dtype": lambda f, x: f.empty_like(x, dtype=f.int64),
    "empty_like requires_grad": lambda f, x: f.empty_like(x, requires_grad=True),
    "randint_like high": lambda f, x: f.randint_like(x, 10),
    "randint_like low high": lambda f, x: f.randint_like(x, 3, 10),
    "randint_like keywords": lambda f, x: f.randint_like(x, low=-4, high=-1),
    "randint_like high keyword": lambda f, x: f.randint_like(x, high=5),
    "randint_like dtype": lambda f, x: f.randint_like(x, 2, dtype=f.int32),
    "randint_like generator": lambda f, x: f.randint_like(x, 7, generator=f.Generator().manual_seed(3)),
}
BOUNDS = {"randint_like high": (0, 10), "randint_like low high": (3, 10), "randint_like keywords": (-4, -1),
          "randint_like high keyword": (0, 5), "randint_like dtype": (0, 2), "randint_like generator": (0, 7)}


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("name", CALLS)
def test_shapes_dtypes_and_grad_as_pytorch(torch, raises_like_torch, name, dtype):
    if name == "empty_like requires_grad" and dtype == "int64":
        raises_like_torch(lambda: CALLS[name](tg, tg.zeros(2, dtype=dtype)),
                          lambda: CALLS[name](torch, torch.zeros(2, dtype=torch.int64)), "only floating point")
        return
    ours = CALLS[name](tg, tg.zeros(4, 50, dtype=dtype))
    theirs = CALLS[name](torch, torch.zeros(4, 50, dtype=getattr(torch, dtype)))
    assert ours.shape == tuple(theirs.shape) and ours.dtype == str(theirs.dtype).removeprefix("torch.")
    assert ours.requires_grad == theirs.requires_grad and ours.grad_fn is None
    if name in BOUNDS:
        low, high = BOUNDS[name]
        values = ours.numpy()
        assert numpy.array_equal(values, numpy.round(values)) and low <= values.min() and values.max() < high


def test_randint_like_draws_from_the_generator_it_is_given():
    x = tg.zeros(3, 4)
    first = tg.randint_like(x, 100, generator=tg.Generator().manual_seed(5))
    assert tg.equal(first, tg.randint_like(x, 100, generator=tg.Generator().manual_seed(5)))
    tg.manual_seed(5)
    again = tg.randint_like(x, 100)
    tg.manual_seed(5)
    assert tg.equal(again, tg.randint_like(x, 100))


ERRORS = {
    "randint_like without high": (lambda f: f.randint_like(f.zeros(2)), "expects high"),
    "randint_like low not below high": (lambda f: f.randint_like(f.zeros(2), 5, 3), "low < high, got low=5 and "
                                                                                     "high=3"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)


@pytest.mark.parametrize("name", ["empty_like", "randint_like low high"])
def test_on_the_strict_device(strict_cuda, name):
    made = CALLS[name](tg, tg.zeros(2, 3, device="cuda"))
    assert made.device == "cuda" and made.shape == (2, 3)
