"""torch.svd, torch.qr and torch.cholesky, PyTorch's older top-level decompositions, and
torch.chain_matmul:
shapes, values and gradients against PyTorch's (through functions that do not depend on
the signs of singular vectors or of Q's columns), and their deprecation warnings."""

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck

TOLERANCE = {"float32": {"rtol": 2e-4, "atol": 2e-5}, "float64": {"rtol": 1e-10, "atol": 1e-12}}
SHAPES = [(4, 3), (3, 5), (2, 3, 3)]


def _svd_loss(U, S, V, w):
    """Σ w-weighted U diag(S) Vᵀ products: the same whatever the signs of each (uᵢ, vᵢ) pair."""
    k = S.shape[-1]
    return (U[..., :k] * (S * w[:k]).unsqueeze(-2)) @ V[..., :k].transpose(-1, -2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("some", [True, False])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_svd_matches_pytorch(torch, shape, some, dtype):
    rng = numpy.random.default_rng(0)
    A = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(min(shape[-2:])).astype(dtype)
    ours, theirs = tg.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    result, expected = tg.svd(ours, some=some), torch.svd(theirs, some=some)
    assert [tuple(t.shape) for t in result] == [tuple(t.shape) for t in expected]
    assert result._fields == ("U", "S", "V")
    numpy.testing.assert_allclose(result.S.detach().numpy(), expected.S.detach().numpy(), **TOLERANCE[dtype])
    y, e = _svd_loss(*result, tg.tensor(w)), _svd_loss(*expected, torch.tensor(w))
    numpy.testing.assert_allclose(y.detach().numpy(), e.detach().numpy(), **TOLERANCE[dtype])
    upstream = rng.standard_normal(y.shape).astype(dtype)
    y.backward(tg.tensor(upstream))
    e.backward(torch.tensor(upstream))
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **TOLERANCE[dtype])


def test_svd_without_uv_gives_zeros_of_the_full_shapes(torch):
    A = numpy.random.default_rng(1).standard_normal((2, 4, 3))
    ours, theirs = tg.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    result, expected = tg.svd(ours, compute_uv=False), torch.svd(theirs, compute_uv=False)
    for r, e in zip(result, expected, strict=True):
        assert r.shape == tuple(e.shape)
        numpy.testing.assert_allclose(r.detach().numpy(), e.detach().numpy(), rtol=1e-12, atol=1e-14)
    result.S.sum().backward()
    expected.S.sum().backward()
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("some", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 3, 3)], ids=str)
def test_qr_matches_pytorch_and_warns(torch, shape, some, dtype):
    rng = numpy.random.default_rng(2)
    A = rng.standard_normal(shape).astype(dtype)
    ours, theirs = tg.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    with pytest.warns(UserWarning, match="torch.qr is deprecated"):
        Q, R = tg.qr(ours, some=some)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Qe, Re = torch.qr(theirs, some=some)
    assert (Q.shape, R.shape) == (tuple(Qe.shape), tuple(Re.shape))
    numpy.testing.assert_allclose(R.abs().detach().numpy(), Re.abs().detach().numpy(), **TOLERANCE[dtype])
    if not some and shape[-2] > shape[-1]:
        return  # complete Q of a tall matrix has no gradient, in PyTorch as here
    w = rng.standard_normal(Q.shape[-1]).astype(dtype)
    y, e = (Q * tg.tensor(w)) @ R, (Qe * torch.tensor(w)) @ Re  # Q D W D R = Q W R for the signs D
    upstream = rng.standard_normal(y.shape).astype(dtype)
    y.backward(tg.tensor(upstream))
    e.backward(torch.tensor(upstream))
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_pytorch_and_warns(torch, upper, dtype):
    rng = numpy.random.default_rng(3)
    B = rng.standard_normal((2, 3, 3))
    A = (B @ B.transpose(0, 2, 1) + 3 * numpy.eye(3)).astype(dtype)
    ours, theirs = tg.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        L = tg.cholesky(ours, upper=upper)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Le = torch.cholesky(theirs, upper=upper)
    numpy.testing.assert_allclose(L.detach().numpy(), Le.detach().numpy(), **TOLERANCE[dtype])
    upstream = rng.standard_normal(L.shape).astype(dtype)
    L.backward(tg.tensor(upstream))
    Le.backward(torch.tensor(upstream))
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **TOLERANCE[dtype])


def test_svd_gradcheck():
    A = tg.tensor(numpy.random.default_rng(4).standard_normal((4, 3)), requires_grad=True)
    w = tg.tensor([0.3, -1.2, 0.7])
    assert gradcheck(lambda a: _svd_loss(*tg.svd(a), w), (A,))


def test_legacy_functions_refuse_integers_as_pytorch(torch):
    with pytest.raises(RuntimeError):
        torch.svd(torch.ones(3, 3, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="float32 or float64"):
        tg.svd(tg.ones(3, 3, dtype=tg.int64))


def test_on_the_strict_device_as_on_the_cpu(strict_cuda):
    A = numpy.random.default_rng(5).standard_normal((4, 3))
    results = {}
    for device in ("cpu", "cuda"):
        x = tg.tensor(A, requires_grad=True, device=device)
        U, S, V = tg.svd(x)
        _, S_only, V_zeros = tg.svd(x, compute_uv=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Q, R = tg.qr(x)
            L = tg.cholesky(x.T @ x)
        (U @ V.T).sum().backward()
        results[device] = [t.detach().numpy() for t in (S, S_only, V_zeros, (Q @ R), L, x.grad)]
    for on_device, on_cpu in zip(results["cuda"], results["cpu"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shapes", [[(2, 3)], [(2, 3), (3, 4)], [(5, 2), (2, 6), (6, 3), (3, 1)]], ids=str)
def test_chain_matmul_matches_pytorch_and_warns(torch, shapes):
    rng = numpy.random.default_rng(1)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        result = tg.chain_matmul(*ours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.chain_matmul(*theirs)
    numpy.testing.assert_allclose(result.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    (result ** 2).sum().backward()
    (expected ** 2).sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda *m: tg.chain_matmul(*m), ours)


@pytest.mark.parametrize("args", [(), (numpy.ones(3),), (numpy.ones((2, 2)), numpy.ones((2, 2, 2)))], ids=str)
def test_chain_matmul_refuses_what_is_not_matrices(torch, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError):
            torch.chain_matmul(*(torch.tensor(a) for a in args))
        with pytest.raises(RuntimeError, match="Expected one or more matrices|expected 2-D tensors"):
            tg.chain_matmul(*(tg.tensor(a) for a in args))
