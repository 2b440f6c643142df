"""count_nonzero, histc, histogram, isin, searchsorted and bucketize: PyTorch's values and dtypes
for every form of the arguments, no gradient, and PyTorch's error classes."""

import numpy
import pytest

import tinygrad_bn as tg

X = numpy.array([[0.0, 1.5, -2.0, 0.0], [3.0, 0.0, 0.0, 7.0], [1.0, 2.0, 3.0, 4.0]])


@pytest.mark.parametrize("call", [
    lambda f, x: x.count_nonzero(),
    lambda f, x: x.count_nonzero(1),
    lambda f, x: f.count_nonzero(x, dim=(0, 1)),
    lambda f, x: f.count_nonzero(x > 1, dim=-2),
    lambda f, x: x.histc(bins=4, min=0, max=3),
    lambda f, x: f.histc(x.double(), bins=5),
    lambda f, x: x.histc(bins=3, min=-1, max=-1),
    lambda f, x: f.histc(f.tensor([2.0, 2.0]), bins=4),
    lambda f, x: x.half().histc(bins=2, min=1, max=4),
    lambda f, x: x.histogram(bins=4, range=(0.0, 3.0)),
    lambda f, x: f.histogram(x.double(), bins=5, density=True),
    lambda f, x: f.histogram(f.tensor([2.0, 2.0]), bins=4),
    lambda f, x: x.histogram(f.tensor([-2.0, 0.5, 1.0, 7.0], dtype=x.dtype), weight=x * 2),
    lambda f, x: f.isin(x, f.tensor([0.0, 3.0, 9.0])),
    lambda f, x: f.isin(x.long(), 3, invert=True),
    lambda f, x: f.isin(3.0, x),
    lambda f, x: f.searchsorted(f.tensor([-2.0, 0.0, 1.5, 3.0]), x),
    lambda f, x: f.searchsorted(f.tensor([-2.0, 0.0, 1.5, 3.0]), x, right=True, out_int32=True),
    lambda f, x: f.searchsorted(f.tensor([-2.0, 0.0, 1.5, 3.0]), 1.5, side="right"),
    lambda f, x: f.searchsorted(x.sort(dim=1).values, x[:, :2].contiguous()),
    lambda f, x: f.searchsorted(x[0], f.tensor([1.0, -3.0]), sorter=x[0].argsort()),
    lambda f, x: f.bucketize(x, f.tensor([0.0, 1.5, 3.0])),
    lambda f, x: f.bucketize(x.long(), f.tensor([0, 2, 4]), right=True),
    lambda f, x: f.bucketize(2, f.tensor([0, 2, 4])),
], ids=["count_nonzero", "count_nonzero dim", "count_nonzero dims", "count_nonzero bools", "histc", "histc float64",
        "histc data range", "histc one value", "histc float16", "histogram",
        "histogram density", "histogram one value", "histogram edges weights", "isin", "isin number, invert",
        "isin of a number",
        "searchsorted", "searchsorted right int32", "searchsorted number side", "searchsorted rows",
        "searchsorted sorter", "bucketize", "bucketize right", "bucketize number"])
def test_matches_pytorch(torch, agree, call):
    ours = call(tg, tg.tensor(X, requires_grad=True))
    agree(ours, call(torch, torch.tensor(X, requires_grad=True)))
    assert not any(t.requires_grad for t in (ours if isinstance(ours, tuple) else (ours,)))


ERRORS = {
    "histc bins": (lambda f, x: x.histc(bins=0), "bins > 0, got 0"),
    "histc range": (lambda f, x: x.histc(bins=2, min=3, max=1), "max >= min, got min=3 and max=1"),
    "histc nan": (lambda f, x: (x / 0).histc(), r"a finite range, got \[nan, nan\]"),
    "histogram bins": (lambda f, x: x.histogram(bins=0), "bins > 0, got 0"),
    "histogram range": (lambda f, x: x.histogram(bins=2, range=(3.0, 1.0)), r"min <= max, got \(3.0, 1.0\)"),
    "histogram edges dtype": (lambda f, x: x.histogram(f.tensor([0.0, 1.0], dtype=f.float32)),
                              "bin edges of the input's dtype float64, got float32"),
    "searchsorted rows": (lambda f, x: f.searchsorted(x, f.tensor([1.0, 2.0])), r"sequence \(3, 4\) and values "
                                                                                r"\(2,\)"),
    "searchsorted side": (lambda f, x: f.searchsorted(x[0], x, side="left", right=True), "agreeing with right=True, "
                                                                                          "got 'left'"),
    "bucketize 2-d": (lambda f, x: f.bucketize(x[0], x), r"1-d boundaries, got shape \(3, 4\)"),
}


@pytest.mark.filterwarnings("ignore:invalid value encountered", "ignore:divide by zero")
@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg, tg.tensor(X * 0)), lambda: call(torch, torch.tensor(X * 0)), words)


def test_histc_of_integers_is_a_dtype_error():
    """PyTorch says histc is not implemented for 'Long'; here a dtype error (a TypeError and a RuntimeError)."""
    with pytest.raises(TypeError, match="histc expects a floating tensor, got dtype int64"):
        tg.arange(3).histc()


@pytest.mark.parametrize("call", [
    lambda x: x.count_nonzero(dim=0),
    lambda x: x.histc(bins=3),
    lambda x: x.histogram(bins=3)[0],
    lambda x: tg.isin(x, x[0]),
    lambda x: tg.searchsorted(x.sort(dim=1).values, x[:, :2], right=True),
    lambda x: tg.searchsorted(x[2], x),
    lambda x: tg.bucketize(x, x[2]),
    lambda x: tg.tril_indices(3, 4, -1, device=x.device),
], ids=["count_nonzero", "histc", "histogram", "isin", "searchsorted rows", "searchsorted", "bucketize",
        "tril_indices"])
def test_runs_on_the_device_as_on_the_cpu(strict_cuda, call):
    on_device = call(tg.tensor(X, device="cuda"))
    assert on_device.device == "cuda"
    numpy.testing.assert_array_equal(on_device.numpy(), call(tg.tensor(X)).numpy())


@pytest.mark.parametrize("value", [5.0, 0.0])
def test_nonzero_and_argwhere_of_a_0d_tensor_are_pytorchs(torch, value):
    for framework in (tg, torch):
        x = framework.tensor(value)
        indices, per_axis, where = x.nonzero(), x.nonzero(as_tuple=True), framework.argwhere(x)
        assert tuple(indices.shape) == tuple(where.shape) == ((1, 0) if value else (0, 0))
        assert [t.tolist() for t in per_axis] == ([[0]] if value else [[]])
