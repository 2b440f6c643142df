"""linalg.multi_dot and linalg.matrix_rank against PyTorch: values, gradients, shapes,
dtypes and errors."""

import re

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck

CHAINS = [  # shapes; a 1-D first or last factor is a row or a column
    [(3, 4), (4, 2)],
    [(3,), (3, 5)],
    [(4, 3), (3,)],
    [(3,), (3,)],
    [(2, 30), (30, 3), (3, 40), (40, 2)],  # the cheapest order is not left to right
    [(5,), (5, 6), (6, 2), (2, 7), (7,)],
    [(10, 1), (1, 10), (10, 1)],
]
TOLERANCE = {"float32": {"rtol": 1e-5, "atol": 1e-5}, "float64": {"rtol": 1e-12, "atol": 1e-12}}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", CHAINS, ids=str)
def test_multi_dot_matches_pytorch(torch, shapes, dtype):
    rng = numpy.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, expected = tg.linalg.multi_dot(ours), torch.linalg.multi_dot(theirs)
    assert y.shape == tuple(expected.shape) and y.dtype == dtype
    numpy.testing.assert_allclose(y.numpy(), expected.detach().numpy(), **TOLERANCE[dtype])
    upstream = rng.standard_normal(y.shape).astype(dtype)
    y.backward(tg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for t, e in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(t.grad.numpy(), e.grad.numpy(), **TOLERANCE[dtype])


@pytest.mark.parametrize("shapes", CHAINS[4:6], ids=str)
def test_multi_dot_gradcheck(shapes):
    rng = numpy.random.default_rng(1)
    inputs = [tg.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(lambda *ts: tg.linalg.multi_dot(ts), inputs)


def test_multi_dot_of_integers_and_a_tuple(torch):
    a, b = numpy.arange(6).reshape(2, 3), numpy.arange(12).reshape(3, 4)
    y = tg.linalg.multi_dot((tg.tensor(a), tg.tensor(b)))
    expected = torch.linalg.multi_dot((torch.tensor(a), torch.tensor(b)))
    assert y.dtype == "int64" and y.tolist() == expected.tolist()


@pytest.mark.parametrize(("shapes", "words"), [
    ([(3,)], "expected at least 2 tensors but got 1"),
    ([], "expected at least 2 tensors but got 0"),
    ([(2, 3, 3), (3, 3)], "the first tensor must be 1D or 2D but got 3D"),
    ([(3, 2), (3, 3, 2)], "the last tensor must be 1D or 2D but got 3D"),
    ([(3, 2), (3,), (3,)], "tensor 1 must be 2D but got 1D"),
    ([(3, 2), (3, 2)], "tensors 0 and 1 with shapes [3, 2] and [3, 2] cannot be multiplied"),
])
def test_multi_dot_refuses_what_pytorch_refuses(torch, shapes, words):
    with pytest.raises(RuntimeError, match=re.escape(words)):
        torch.linalg.multi_dot([torch.ones(s) for s in shapes])
    with pytest.raises(RuntimeError) as ours:
        tg.linalg.multi_dot([tg.ones(s) for s in shapes])
    assert words in str(ours.value)


def test_multi_dot_refuses_mixed_dtypes(torch):
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.linalg.multi_dot([torch.ones(3, 2), torch.ones(2, 2, dtype=torch.float64)])
    with pytest.raises(RuntimeError, match="same dtype, but tensor 0 is float32 and tensor 1 is float64"):
        tg.linalg.multi_dot([tg.ones(3, 2), tg.ones(2, 2, dtype=tg.float64)])


def _low_rank(rng, batch, m, n, rank, dtype):
    return (rng.standard_normal((*batch, m, rank)) @ rng.standard_normal((*batch, rank, n))).astype(dtype)


RANK_CALLS = [
    lambda L, A: L.matrix_rank(A),
    lambda L, A: L.matrix_rank(A, atol=0.5),
    lambda L, A: L.matrix_rank(A, rtol=0.3),
    lambda L, A: L.matrix_rank(A, atol=0.5, rtol=0.1),
    lambda L, A: L.matrix_rank(A, atol=0.0),
    lambda L, A: L.matrix_rank(A, tol=2.0),
    lambda L, A: L.matrix_rank(A, 2.0),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("call", range(len(RANK_CALLS)))
@pytest.mark.parametrize(("batch", "m", "n", "rank"), [((), 4, 4, 2), ((3,), 5, 3, 3), ((2, 2), 3, 6, 1)])
def test_matrix_rank_matches_pytorch(torch, call, batch, m, n, rank, dtype):
    rng = numpy.random.default_rng(2)
    A = _low_rank(rng, batch, m, n, rank, dtype)
    A[..., 0, :] *= 1e-2  # a small singular value, for the tolerances to cut or keep
    ours = RANK_CALLS[call](tg.linalg, tg.tensor(A))
    theirs = RANK_CALLS[call](torch.linalg, torch.tensor(A))
    assert ours.dtype == "int64" and ours.shape == tuple(theirs.shape)
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matrix_rank_hermitian_and_tensor_tolerances_match_pytorch(torch, dtype):
    rng = numpy.random.default_rng(3)
    B = _low_rank(rng, (2,), 4, 4, 2, dtype)
    A = B @ B.transpose(0, 2, 1) - numpy.eye(4, dtype=dtype) * numpy.array([0.0, 1e-3], dtype=dtype)[:, None, None]
    for call in (lambda L, a, T: L.matrix_rank(a, hermitian=True),
                 lambda L, a, T: L.matrix_rank(a, atol=T.tensor(numpy.array([1e-4, 1e-2], dtype=dtype)),
                                               hermitian=True),
                 lambda L, a, T: L.matrix_rank(a, rtol=T.tensor(numpy.array([1e-1, 1e-6], dtype=dtype))),
                 lambda L, a, T: L.matrix_rank(a, atol=T.tensor(numpy.array([0.0, 1e-2], dtype=dtype)))):
        assert call(tg.linalg, tg.tensor(A), tg).tolist() == call(torch.linalg, torch.tensor(A), torch).tolist()


def test_matrix_rank_of_empty_and_zero_matrices(torch):
    for shape in [(0, 3), (3, 0), (2, 3, 3)]:
        ours, theirs = tg.linalg.matrix_rank(tg.zeros(shape)), torch.linalg.matrix_rank(torch.zeros(shape))
        assert ours.tolist() == theirs.tolist() and ours.dtype == "int64"


def test_matrix_rank_refuses_what_pytorch_refuses(torch):
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        torch.linalg.matrix_rank(torch.ones(3))
    with pytest.raises(RuntimeError, match=r"at least 2 dimensions, got shape \(3,\)"):
        tg.linalg.matrix_rank(tg.ones(3))
    with pytest.raises(RuntimeError):
        torch.linalg.matrix_rank(torch.ones(3, 2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="float32 or float64"):
        tg.linalg.matrix_rank(tg.ones(3, 2, dtype=tg.int64))


def test_on_the_strict_device_as_on_the_cpu(strict_cuda):
    rng = numpy.random.default_rng(5)
    chain = [rng.standard_normal(s) for s in CHAINS[5]]
    A = _low_rank(rng, (2,), 4, 3, 2, "float64")
    results = {}
    for device in ("cpu", "cuda"):
        factors = [tg.tensor(a, requires_grad=True, device=device) for a in chain]
        product = tg.linalg.multi_dot(factors)
        product.backward()
        ranks = [tg.linalg.matrix_rank(tg.tensor(A, device=device), **words)
                 for words in ({}, {"atol": 0.5}, {"rtol": tg.tensor([0.1, 0.2], device=device)})]
        results[device] = [t.numpy() for t in (product, *(f.grad for f in factors), *ranks)]
    for on_device, on_cpu in zip(results["cuda"], results["cpu"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)
