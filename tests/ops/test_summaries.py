"""nansum, nanmean, var_mean and std_mean: PyTorch's values and dtypes for PyTorch's
arguments (their aliases too), and PyTorch's error classes. (Gradients: the op cases
in conftest.py.)"""

import numpy
import pytest

import tinygrad_bn as tg

NAN = float("nan")
X = numpy.array([[1.0, NAN, 3.0, 0.5], [NAN, NAN, NAN, NAN], [2.0, -1.0, NAN, 4.0]])


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide")  # the mean of no number: 0 / 0
@pytest.mark.parametrize("call", [
    lambda f, x: x.nansum(),
    lambda f, x: x.nansum(1),
    lambda f, x: f.nansum(x, dim=(0, 1), keepdim=True),
    lambda f, x: x.nansum(axis=0, keepdims=True),
    lambda f, x: x.nansum(dtype=f.float64),
    lambda f, x: f.nansum(f.tensor([1, 2], dtype=f.int32)),
    lambda f, x: x.nanmean(),
    lambda f, x: x.nanmean(1),
    lambda f, x: f.nanmean(x, dim=0, keepdim=True),
    lambda f, x: x.nanmean(axis=-1, dtype=f.float64),
], ids=["nansum", "nansum dim", "nansum dims keepdim", "nansum aliases", "nansum dtype", "nansum int32",
        "nanmean", "nanmean all NaN row", "nanmean keepdim", "nanmean aliases, dtype"])
def test_nan_reductions_match_pytorch(torch, agree, call):
    agree(call(tg, tg.tensor(X, dtype="float32")), call(torch, torch.tensor(X, dtype=torch.float32)))


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
@pytest.mark.parametrize("args, words", [
    ((), {}),
    ((1,), {}),
    ((1, False), {}),
    ((0, True, True), {}),
    ((), {"dim": (0, 1), "correction": 0, "keepdim": True}),
    ((), {"dim": -1, "correction": 2}),
    ((), {"axis": 0}),
])
def test_moments_with_the_mean_match_pytorch(torch, agree, name, args, words):
    data = numpy.cos(numpy.arange(12.0)).reshape(3, 4)
    ours, theirs = getattr(tg, name)(tg.tensor(data), *args, **words), getattr(torch, name)(torch.tensor(data), *args,
                                                                                            **words)
    assert type(ours) is tuple and len(ours) == 2
    agree(ours, theirs)


ERRORS = {
    "nanmean int": (lambda f: f.arange(3).nanmean(), "nanmean needs a floating tensor, got dtype int64"),
    "var_mean both": (lambda f: f.var_mean(f.ones(3), 0, True, correction=0), "both correction=0 and unbiased=True"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)
