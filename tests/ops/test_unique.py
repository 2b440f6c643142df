"""unique (flattened and along dim) and unique_consecutive, as functions and Tensor methods:
PyTorch's values, inverses, counts, dtypes and shapes, NaN handled as PyTorch does, no
gradient, PyTorch's error classes, and the strict device."""

import numpy
import pytest

import tinygrad_bn as tg

NAN = float("nan")
ROWS = numpy.array([[1, 3], [2, 3], [1, 3], [1, 3], [0, 5]])
CUBE = numpy.array([[[1, 2], [1, 2]], [[0, 2], [1, 2]], [[1, 2], [1, 2]]])
FLOATS = numpy.array([2.0, -0.0, 0.0, NAN, 1.5, NAN, 2.0, 2.0])
NAN_ROWS = numpy.array([[1.0, NAN], [1.0, NAN], [0.0, 2.0], [0.0, 2.0]])

CASES = {
    "flat": (ROWS, lambda f, x: f.unique(x)),
    "flat all": (ROWS, lambda f, x: f.unique(x, return_inverse=True, return_counts=True)),
    "flat unsorted": (ROWS, lambda f, x: f.unique(x, sorted=False, return_inverse=True, return_counts=True)),
    "flat method": (ROWS, lambda f, x: x.unique(return_counts=True)),
    "flat floats nan": (FLOATS, lambda f, x: f.unique(x, return_inverse=True, return_counts=True)),
    "flat 0-d": (numpy.array(3), lambda f, x: f.unique(x, return_inverse=True, return_counts=True)),
    "flat bool": (ROWS > 1, lambda f, x: f.unique(x, return_counts=True)),
    "flat empty": (numpy.zeros((2, 0)), lambda f, x: f.unique(x, return_inverse=True, return_counts=True)),
    "dim 0": (ROWS, lambda f, x: f.unique(x, dim=0, return_inverse=True, return_counts=True)),
    "dim 1": (ROWS, lambda f, x: f.unique(x, dim=1, return_inverse=True, return_counts=True)),
    "dim -1 method": (ROWS, lambda f, x: x.unique(dim=-1)),
    "dim unsorted": (ROWS, lambda f, x: f.unique(x, sorted=False, dim=0, return_inverse=True)),
    "dim of 3-d": (CUBE, lambda f, x: f.unique(x, dim=1, return_inverse=True, return_counts=True)),
    "dim 0 of 3-d": (CUBE, lambda f, x: f.unique(x, dim=0, return_inverse=True, return_counts=True)),
    "dim nan rows": (NAN_ROWS, lambda f, x: f.unique(x, dim=0, return_inverse=True, return_counts=True)),
    "dim empty": (numpy.zeros((0, 3)), lambda f, x: f.unique(x, dim=0, return_inverse=True, return_counts=True)),
    "dim empty middle": (numpy.zeros((3, 0, 2)), lambda f, x: f.unique(x, dim=1, return_counts=True)),
    "consecutive": (ROWS, lambda f, x: f.unique_consecutive(x)),
    "consecutive all": (ROWS, lambda f, x: f.unique_consecutive(x, return_inverse=True, return_counts=True)),
    "consecutive method": (FLOATS, lambda f, x: x.unique_consecutive(return_inverse=True, return_counts=True)),
    "consecutive 0-d": (numpy.array(3.5), lambda f, x: f.unique_consecutive(x, True, True)),
    "consecutive dim 0": (ROWS, lambda f, x: f.unique_consecutive(x, return_inverse=True, return_counts=True,
                                                                  dim=0)),
    "consecutive dim 1 method": (ROWS, lambda f, x: x.unique_consecutive(dim=1, return_inverse=True)),
    "consecutive dim of 3-d": (CUBE, lambda f, x: f.unique_consecutive(x, dim=1, return_counts=True)),
    "consecutive dim nan rows": (NAN_ROWS, lambda f, x: f.unique_consecutive(x, True, True, dim=0)),
    "consecutive empty": (numpy.zeros((0, 2)), lambda f, x: f.unique_consecutive(x, True, True, dim=0)),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_pytorch(torch, agree, name):
    data, call = CASES[name]
    ours, theirs = call(tg, tg.tensor(data)), call(torch, torch.tensor(data))
    agree(ours, theirs)


@pytest.mark.parametrize("name", ["flat all", "dim 0", "consecutive all", "consecutive dim 0"])
def test_values_carry_no_gradient(name):
    data, call = CASES[name]
    results = call(tg, tg.tensor(data.astype("float64"), requires_grad=True))
    assert not any(t.requires_grad for t in results)


ERRORS = {
    "dim of 0-d": (lambda f: f.unique(f.tensor(3), dim=0), "0-d"),
    "consecutive dim of 0-d": (lambda f: f.unique_consecutive(f.tensor(3), dim=0), "0-d"),
    "dim out of range": (lambda f: f.unique(f.tensor(ROWS), dim=2), r"dim 2 is out of range .* \[-2, 1\]"),
    "consecutive dim out of range": (lambda f: f.unique_consecutive(f.tensor(ROWS), dim=-3), "dim -3 is out of"),
    "empty axis not dim": (lambda f: f.unique(f.zeros(2, 0), dim=0), r"\(2, 0\) has an axis of length 0 that is"),
    "two empty axes": (lambda f: f.unique_consecutive(f.zeros(0, 0), dim=0), "more than one axis of length 0"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)


@pytest.mark.parametrize("call", [
    lambda x: tg.unique(x, return_inverse=True, return_counts=True),
    lambda x: tg.unique(x, dim=1, return_inverse=True, return_counts=True),
    lambda x: x.unique_consecutive(return_inverse=True, return_counts=True),
    lambda x: x.unique_consecutive(dim=0, return_inverse=True, return_counts=True),
], ids=["unique", "unique dim", "consecutive", "consecutive dim"])
def test_on_the_strict_device_as_on_the_cpu(strict_cuda, same, call):
    on_cpu = call(tg.tensor(CUBE))
    on_device = call(tg.tensor(CUBE, device="cuda"))
    assert all(t.device == "cuda" for t in on_device)
    assert same(tuple(t.cpu() for t in on_device), on_cpu)
