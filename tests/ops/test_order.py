"""Medians, k-th values, modes and quantiles: PyTorch's values, indices and dtypes,
ties, NaNs, every interpolation, and PyTorch's gradients where ties share them (the
median of all elements) and PyTorch's error classes. (Gradients at untied inputs:
the op cases in conftest.py.)"""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import grad

NAN = float("nan")
TIED = numpy.array([[3.0, 1.0, 3.0, 2.0], [1.0, 1.0, 4.0, 4.0]])
WITH_NAN = numpy.array([[NAN, 1.0, 1.0], [2.0, NAN, NAN], [NAN, NAN, NAN]])
DISTINCT = numpy.array([[0.5, -1.0, 2.0, 1.5, 0.0], [3.0, 2.5, -2.0, 1.0, 4.0], [NAN, 0.25, -0.5, 5.0, NAN]])


@pytest.mark.parametrize("name", ["median", "nanmedian"])
@pytest.mark.parametrize("data", [TIED, WITH_NAN[:2], numpy.array([7.0])], ids=["ties", "nan", "one"])
def test_median_of_all_shares_its_gradient_among_equal_elements_as_pytorch(torch, agree, name, data):
    x, tx = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    ours, theirs = getattr(x, name)(), getattr(tx, name)()
    agree(ours, theirs)
    (dx,) = grad(ours, [x], tg.tensor(3.0, dtype="float64"))
    (expected,) = torch.autograd.grad(theirs, [tx], torch.tensor(3.0, dtype=torch.float64))
    numpy.testing.assert_allclose(dx.numpy(), expected.numpy(), rtol=1e-15)


@pytest.mark.parametrize("name", ["median", "nanmedian"])
@pytest.mark.parametrize("dim, keepdim", [(0, False), (1, True), (-1, False)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_median_along_a_dim_matches_pytorch_with_nans(torch, agree, name, dim, keepdim, dtype):
    data = DISTINCT.astype(dtype)
    agree(getattr(tg.tensor(data), name)(dim, keepdim), getattr(torch.tensor(data), name)(dim, keepdim))


@pytest.mark.parametrize("data", [TIED, numpy.array([[2, 2, 1, 1, 3, 3]])], ids=["float ties", "int ties"])
def test_median_along_a_dim_matches_pytorch_with_ties(torch, agree, data):
    agree(tg.tensor(data).median(dim=1), torch.tensor(data).median(dim=1))
    agree(tg.tensor(data).median(), torch.tensor(data).median())


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("dim, keepdim", [(0, False), (-2, True)])
def test_kthvalue_matches_pytorch(torch, agree, k, dim, keepdim):
    agree(tg.tensor(DISTINCT).kthvalue(k, dim, keepdim), torch.tensor(DISTINCT).kthvalue(k, dim, keepdim))
    agree(tg.kthvalue(tg.tensor(DISTINCT), k + 2), torch.kthvalue(torch.tensor(DISTINCT), k + 2))


MODES = numpy.array([[1, 2, 2, 3, 3, 1, 1], [5, 4, 4, 5, 0, 9, 9], [7, 6, 5, 4, 3, 2, 1]])


@pytest.mark.parametrize("dim, keepdim", [(1, False), (0, True), (-1, True)])
@pytest.mark.parametrize("dtype", ["int64", "float32"])
def test_mode_is_the_smallest_most_frequent_value_at_its_last_place_as_pytorch(torch, agree, dim, keepdim, dtype):
    data = MODES.astype(dtype)
    agree(tg.tensor(data).mode(dim, keepdim), torch.tensor(data).mode(dim, keepdim))
    agree(tg.tensor(data[0, 0]).mode(), torch.tensor(data[0, 0]).mode())


LEVELS = [0.0, 1.0, 0.5, 1 / 3, 0.125, 0.7, 0.375]  # with 5 elements, 0.125 and 0.375 fall half way between two


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (1, False), (0, True)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_quantile_matches_pytorch(torch, agree, interpolation, dim, keepdim, dtype):
    data = DISTINCT[:2].astype(dtype)

    def call(f, q):
        return f.tensor(data).quantile(q, dim, keepdim, interpolation=interpolation)

    agree(call(tg, tg.tensor(LEVELS, dtype=dtype)), call(torch, torch.tensor(LEVELS, dtype=getattr(torch, dtype))))
    agree(call(tg, 0.125), call(torch, 0.125))
    agree(call(tg, tg.tensor(0.375, dtype=dtype)), call(torch, torch.tensor(0.375, dtype=getattr(torch, dtype))))


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("dim", [None, 1])
def test_quantiles_with_nans_match_pytorch(torch, agree, name, dim):
    levels = numpy.array([0.0, 0.4, 1.0])
    agree(getattr(tg.tensor(WITH_NAN), name)(tg.tensor(levels), dim),
          getattr(torch.tensor(WITH_NAN), name)(torch.tensor(levels), dim))
    agree(getattr(tg.tensor(DISTINCT), name)(0.6, dim), getattr(torch.tensor(DISTINCT), name)(0.6, dim))


ERRORS = {
    "quantile int": (lambda f, x: f.arange(3).quantile(0.5), "a float32 or float64 tensor, got dtype int64"),
    "quantile float16": (lambda f, x: x.half().quantile(0.5), "a float32 or float64 tensor, got dtype float16"),
    "q range": (lambda f, x: x.quantile(1.5), r"q in \[0, 1\], got 1.5"),
    "q range tensor": (lambda f, x: x.quantile(f.tensor([0.5, -0.1], dtype=f.float64)), r"got \[0.5, -0.1\]"),
    "q dims": (lambda f, x: x.quantile(f.tensor([[0.5]], dtype=f.float64)), r"0-d or 1-d tensor, got shape \(1, 1\)"),
    "q dtype": (lambda f, x: x.quantile(f.tensor([0.5])), "q of the input's dtype float64, got float32"),
    "interpolation": (lambda f, x: x.nanquantile(0.5, interpolation="cubic"),
                      "interpolation one of linear, lower, higher, midpoint, nearest, got 'cubic'"),
    "kthvalue k": (lambda f, x: x.kthvalue(6), r"k=6 is out of range for dim -1 of length 5: expected one in \[1, 5\]"),
    "kthvalue 0": (lambda f, x: x.kthvalue(0, 0), "k=0 is out of range for dim 0 of length 3"),
    "median empty dim": (lambda f, x: x[:, :0].median(1), r"along dim 1 of length 0 \(a tensor of shape \(3, 0\)\)"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg, tg.tensor(DISTINCT)), lambda: call(torch, torch.tensor(DISTINCT)), words)


def test_median_of_an_empty_tensor_is_nan_as_in_pytorch(torch, agree):
    agree(tg.ones(0).median(), torch.ones(0).median())
