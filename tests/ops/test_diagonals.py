"""Diagonals read and written, traces and the indices of triangles: PyTorch's shapes,
dtypes and values for every offset (past the corners too), and PyTorch's error
classes. (Gradients: the op cases in conftest.py.)"""

import numpy
import pytest

import tinygrad_bn as tg

OFFSETS = [-4, -2, -1, 0, 1, 3, 5]


def pair(torch, shape, dtype="int64"):
    data = numpy.arange(int(numpy.prod(shape)), dtype=dtype).reshape(shape)
    return tg.tensor(data), torch.tensor(data)


@pytest.mark.parametrize("offset", OFFSETS)
def test_diag_both_ways_and_diagflat_match_pytorch(torch, agree, offset):
    (v, tv), (m, tm) = pair(torch, (3,)), pair(torch, (3, 4), "float64")
    agree(v.diag(offset), tv.diag(offset))
    agree(tg.diag(m, offset), torch.diag(tm, offset))
    agree(m.diagflat(offset), tm.diagflat(offset))


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("dims", [(0, 1), (2, 0), (-1, 1), (0, -1)])
def test_diagonal_and_diag_embed_match_pytorch(torch, agree, offset, dims):
    x, tx = pair(torch, (2, 3, 4))
    agree(x.diagonal(offset, *dims), tx.diagonal(offset, *dims))
    agree(tg.diag_embed(x, offset, *dims), torch.diag_embed(tx, offset, *dims))


@pytest.mark.parametrize("dtype", ["int32", "float32", "float16"])
def test_trace_matches_pytorch(torch, agree, dtype):
    x, tx = pair(torch, (3, 4), dtype)
    agree(x.trace(), tx.trace())


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize("row, col, offset", [(3, 3, 0), (3, 4, 1), (4, 2, -1), (2, 5, -3), (3, 3, 4), (0, 2, 0)])
def test_triangle_indices_match_pytorch(torch, agree, name, row, col, offset):
    agree(getattr(tg, name)(row, col, offset), getattr(torch, name)(row, col, offset))
    agree(getattr(tg, name)(row, col, offset, dtype=tg.int32), getattr(torch, name)(row, col, offset,
                                                                                     dtype=torch.int32))


ERRORS = {
    "diagonal same dims": (lambda f: f.ones(2, 3).diagonal(0, 1, -1), "two different dims, got dim1=1 and dim2=-1"),
    "diag 3-d": (lambda f: f.ones(2, 2, 2).diag(), r"1-d or 2-d tensor, got shape \(2, 2, 2\)"),
    "diag 0-d": (lambda f: f.tensor(1.0).diag(), r"1-d or 2-d tensor, got shape \(\)"),
    "diag_embed same dims": (lambda f: f.ones(2, 3).diag_embed(0, 0, -3), "got dim1=0 and dim2=-3"),
    "trace 1-d": (lambda f: f.ones(3).trace(), r"a matrix, got shape \(3,\)"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)


def test_indices_of_a_triangle_are_integers():
    """PyTorch says float indices are not implemented; here they are a dtype error (a TypeError)."""
    with pytest.raises(TypeError, match="tril_indices makes integer indices, got dtype float32"):
        tg.tril_indices(3, 3, dtype=tg.float32)


def test_diag_embed_writes_on_the_device(strict_cuda):
    x = tg.tensor([[1.0, 2.0]], device="cuda", requires_grad=True)
    y = x.diag_embed(-1)
    assert y.device == "cuda" and y.tolist() == [[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]]
    (y * tg.arange(9.0, device="cuda").reshape(3, 3)).sum().backward()
    assert x.grad.tolist() == [[3.0, 7.0]]
