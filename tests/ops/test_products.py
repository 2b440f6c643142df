"""mv, addmm and its kin, tensordot, inner, kron, cross, dist and the p-norms:
PyTorch's values and dtypes for PyTorch's arguments, beta = 0 ignoring NaN, cross's
default dim and its warning, and PyTorch's error classes. (Gradients: the op cases
in conftest.py.)"""

import warnings

import numpy
import pytest

import tinygrad_bn as tg


def data(*shape, dtype="float32", start=0):
    return numpy.cos(numpy.arange(start, start + numpy.prod(shape))).reshape(shape).astype(dtype)


@pytest.mark.parametrize("call", [
    lambda f: f.mv(f.tensor(data(2, 3)), f.tensor(data(3))),
    lambda f: f.addmm(f.tensor(data(4)), f.tensor(data(2, 3)), f.tensor(data(3, 4)), beta=0.5, alpha=-2),
    lambda f: f.tensor(data(2, 1)).addmm(f.tensor(data(2, 3)), f.tensor(data(3, 4))),
    lambda f: f.addmm(f.tensor([float("nan")]), f.tensor(data(2, 3)), f.tensor(data(3, 4)), beta=0),
    lambda f: f.addmv(f.tensor(data(2)), f.tensor(data(2, 3)), f.tensor(data(3)), alpha=3),
    lambda f: f.baddbmm(f.tensor(data(2, 2)), f.tensor(data(2, 2, 3)), f.tensor(data(2, 3, 2)), beta=2),
    lambda f: f.addbmm(f.tensor(data(2, 2)), f.tensor(data(3, 2, 4)), f.tensor(data(3, 4, 2)), alpha=0.5),
    lambda f: f.tensordot(f.tensor(data(2, 3, 4)), f.tensor(data(3, 4, 5)), dims=2),
    lambda f: f.tensordot(f.tensor(data(2, 3)), f.tensor(data(4, 5)), dims=0),
    lambda f: f.tensordot(f.tensor(data(2, 3, 4)), f.tensor(data(4, 3, 5)), dims=([1, -1], [1, 0])),
    lambda f: f.tensordot(f.tensor(data(2, 3)), f.tensor(data(3, 2)), dims=[[1], [0]]),
    lambda f: f.inner(f.tensor(data(2, 3)), f.tensor(data(4, 3))),
    lambda f: f.inner(f.tensor(data(3)), f.tensor(data(3))),
    lambda f: f.inner(f.tensor(2.0), f.tensor(data(2, 3))),
    lambda f: f.kron(f.tensor(data(2, 3)), f.tensor(data(2, 1, 2))),
    lambda f: f.kron(f.tensor([[1, 2], [3, 4]]), f.tensor(data(2, dtype="float64"))),
    lambda f: f.cross(f.tensor(data(2, 3)), f.tensor(data(1, 3)), dim=-1),
    lambda f: f.tensor(data(3, 2)).cross(f.tensor(data(3, 2, start=5)), dim=0),
    lambda f: f.dist(f.tensor(data(2, 3)), f.tensor(data(3))),
    lambda f: f.tensor(data(2, 3)).dist(f.tensor(data(2, 3, start=1)), 0),
    lambda f: f.dist(f.tensor(data(4)), f.tensor(data(4, start=3)), float("-inf")),
    lambda f: f.tensor(data(2, 3)).norm(1.5, dim=1),
    lambda f: f.tensor(data(2, 3)).norm(-1.5),
    lambda f: f.norm(f.tensor(data(2, 3)), 0, dim=(0, 1), keepdim=True),
], ids=["mv", "addmm", "addmm method", "addmm beta 0 ignores nan", "addmv", "baddbmm", "addbmm", "tensordot 2",
        "tensordot 0", "tensordot lists", "tensordot nested list", "inner", "inner vectors", "inner 0-d",
        "kron", "kron int with float64", "cross broadcast", "cross dim 0", "dist", "dist p=0", "dist p=-inf",
        "norm p=1.5", "norm p=-1.5", "norm p=0"])
def test_matches_pytorch(torch, agree, call):
    agree(call(tg), call(torch), rtol=1e-5)


def test_cross_without_dim_takes_the_first_of_length_3_and_warns_as_pytorch(torch, agree):
    a, b = data(3, 3), data(3, 3, start=9)
    with pytest.warns(UserWarning, match="cross without dim= takes the first dim of length 3"):
        ours = tg.cross(tg.tensor(a), tg.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        agree(ours, torch.cross(torch.tensor(a), torch.tensor(b)), rtol=1e-6)


ERRORS = {
    "mv": (lambda f: f.mv(f.ones(2, 3), f.ones(2)), r"an \(n, m\) matrix and an m-vector, got shapes \(2, 3\) and "
                                                    r"\(2,\)"),
    "addmm input": (lambda f: f.addmm(f.ones(3), f.ones(2, 3), f.ones(3, 4)), r"input of shape \(3,\) does not "
                                                                              r"broadcast to the product's shape"),
    "addmm dtypes": (lambda f: f.addmm(f.ones(2, 4), f.ones(2, 3), f.ones(3, 4, dtype=f.float64)), "one dtype, got "
                                                                                                   "float32"),
    "addmv input": (lambda f: f.addmv(f.ones(3), f.ones(2, 3), f.ones(3)), r"input of shape \(3,\) does not "
                                                                           r"broadcast to the product's shape \(2,\)"),
    "baddbmm batches": (lambda f: f.baddbmm(f.ones(5, 2, 4), f.ones(5, 2, 3), f.ones(4, 3, 4)), r"\(B, n, m\) and "
                                                                                                r"\(B, m, p\), got"),
    "tensordot lengths": (lambda f: f.tensordot(f.ones(2, 3), f.ones(4, 5), dims=1), r"dim 1 of a \(2, 3\) and dim 0 "
                                                                                     r"of b \(4, 5\) differ"),
    "tensordot lists": (lambda f: f.tensordot(f.ones(2, 3), f.ones(3, 2), dims=([0], [0, 1])), r"as many dims of a "
                                                                                               r"as of b, got \[0\] "
                                                                                               r"and \[0, 1\]"),
    "tensordot dims": (lambda f: f.tensordot(f.ones(2, 3), f.ones(3, 2), dims=3), r"dims in \[0, 2\] for shapes "
                                                                                  r"\(2, 3\) and \(3, 2\), got 3"),
    "inner": (lambda f: f.inner(f.ones(2), f.ones(3)), r"last dims of one length, got shapes \(2,\) and \(3,\)"),
    "cross dims": (lambda f: f.cross(f.ones(2, 3), f.ones(2, 3, 1), dim=1), r"as many dimensions, got shapes "
                                                                            r"\(2, 3\) and \(2, 3, 1\)"),
    "cross length": (lambda f: f.cross(f.ones(2, 4), f.ones(2, 4), dim=1), r"dim 1 of length 3, got shape \(2, 4\)"),
    "cross no 3": (lambda f: f.cross(f.ones(2, 4), f.ones(2, 4)), r"no dim of length 3 in shape \(2, 4\)"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)
