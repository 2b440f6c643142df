"""cholesky, eigh, eigvalsh, qr, svd and svdvals: values and gradients against PyTorch's
in float32 and float64, gradients against finite differences (first and second order),
the factorizations reconstructing A, and the strict device.

Eigenvectors and singular vectors are unique only up to sign, so the outputs compared
and differentiated are the ones that do not depend on it: values, squared vectors, and
V diag(c) Vᵀ (U diag(c) Vh) for fixed distinct weights c."""

from dataclasses import dataclass

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def normal(rng, shape):
    return rng.standard_normal(shape)


def symmetric(rng, shape):
    X = rng.standard_normal(shape)
    return (X + X.swapaxes(-1, -2)) / 2


def positive_definite(rng, shape):
    """X Xᵀ + n I: symmetric, eigenvalues at least n."""
    X = rng.standard_normal(shape)
    return X @ X.swapaxes(-1, -2) + shape[-1] * numpy.eye(shape[-1])

SQUARE = [(3, 3), (2, 4, 4), (1, 1)]
RECTANGULAR = [(5, 3), (3, 5), (2, 4, 2), (2, 2, 4), (1, 4), (4, 1)]
TOLERANCE = {"float32": {"rtol": 1e-4, "atol": 1e-5}, "float64": {"rtol": 1e-10, "atol": 1e-12}}


def _linalg(A):
    return tg.linalg if isinstance(A, Tensor) else torch.linalg


def _weights(A, k):
    """c = (1, 2, ..., k) beside A, in A's framework, dtype and device."""
    if isinstance(A, Tensor):
        return tg.arange(1.0, k + 1.0, dtype=A.dtype, device=A.device)
    return torch.arange(1.0, k + 1.0, dtype=A.dtype)


def _eigh(A, UPLO="L"):
    """λ, V² and V diag(c) Vᵀ: what does not depend on the eigenvectors' signs."""
    w, V = _linalg(A).eigh(A, UPLO)
    return w, V * V, (V * _weights(A, w.shape[-1])) @ V.swapaxes(-1, -2)


def _svd(A, full_matrices):
    """S, U², Vh² and U diag(c) Vh of the first k = min(m, n) singular vectors."""
    U, S, Vh = _linalg(A).svd(A, full_matrices)
    k = S.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]
    return S, U * U, Vh * Vh, (U * _weights(A, k)) @ Vh


@dataclass(frozen=True)
class Case:
    name: str
    fn: object  # A -> tuple of outputs, for ours and for PyTorch's tensors alike
    sample: object
    shapes: tuple
    symmetric_input: bool = False  # only a triangle is read: gradcheck through (X + Xᵀ)/2


CASES = [
    Case("cholesky", lambda A: (_linalg(A).cholesky(A),), positive_definite, SQUARE, True),
    Case("cholesky upper", lambda A: (_linalg(A).cholesky(A, upper=True),), positive_definite, SQUARE, True),
    Case("eigh", _eigh, symmetric, SQUARE, True),
    Case("eigh UPLO=U", lambda A: _eigh(A, "U"), symmetric, SQUARE, True),
    Case("eigvalsh", lambda A: (_linalg(A).eigvalsh(A),), symmetric, SQUARE, True),
    Case("qr", lambda A: tuple(_linalg(A).qr(A)), normal, SQUARE + RECTANGULAR),
    Case("qr complete", lambda A: tuple(_linalg(A).qr(A, mode="complete")), normal,
         tuple(s for s in SQUARE + RECTANGULAR if s[-2] <= s[-1])),
    Case("svd", lambda A: _svd(A, False), normal, SQUARE + RECTANGULAR),
    Case("svd full_matrices", lambda A: _svd(A, True), normal, SQUARE + RECTANGULAR),
    Case("svdvals", lambda A: (_linalg(A).svdvals(A),), normal, SQUARE + RECTANGULAR),
]
CASE_SHAPES = [pytest.param(case, shape, id=f"{case.name}-{shape}".replace(" ", "_"))
               for case in CASES for shape in case.shapes]


def _inputs(case, shape, dtype, seed=0):
    A = case.sample(numpy.random.default_rng(seed), shape).astype(dtype)
    return Tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case, shape", CASE_SHAPES)
def test_values_and_gradients_match_pytorch(case, shape, dtype):
    A, expected_A = _inputs(case, shape, dtype)
    outputs, expected = case.fn(A), case.fn(expected_A)
    rng = numpy.random.default_rng(1)
    upstream = [rng.standard_normal(out.shape).astype(dtype) for out in outputs]
    for out, reference in zip(outputs, expected, strict=True):
        assert out.dtype == dtype and out.shape == tuple(reference.shape)
        numpy.testing.assert_allclose(out.numpy(), reference.detach().numpy(), **TOLERANCE[dtype])
    (dA,) = grad(sum((out * Tensor(u)).sum() for out, u in zip(outputs, upstream, strict=True)), [A])
    (expected_dA,) = torch.autograd.grad(sum((out * torch.tensor(u)).sum() for out, u in zip(expected, upstream,
                                                                                             strict=True)),
                                         [expected_A])
    scale = max(1.0, float(numpy.abs(expected_dA.numpy()).max()))
    numpy.testing.assert_allclose(dA.numpy(), expected_dA.numpy(), rtol=TOLERANCE[dtype]["rtol"] * 10,
                                  atol=TOLERANCE[dtype]["atol"] * 10 * scale)


def _checked_function(case):
    """The case's function; of a symmetric input through (X + Xᵀ)/2, so that finite
    differences move both triangles as the symmetric gradient assumes."""
    if not case.symmetric_input:
        return case.fn
    return lambda X: case.fn((X + X.swapaxes(-1, -2)) / 2)


@pytest.mark.parametrize("case, shape", CASE_SHAPES)
def test_gradients_match_finite_differences(case, shape):
    A, _ = _inputs(case, shape, "float64")
    assert gradcheck(_checked_function(case), A, atol=1e-6, rtol=1e-5)


SECOND_ORDER = [pytest.param(case, shape, id=f"{case.name}-{shape}".replace(" ", "_"))
                for case in CASES for shape in ((3, 3), (2, 2, 2), (4, 2), (2, 3)) if shape in case.shapes]


@pytest.mark.parametrize("case, shape", SECOND_ORDER)
def test_second_derivatives_match_finite_differences(case, shape):
    A, _ = _inputs(case, shape, "float64")
    assert gradgradcheck(_checked_function(case), A, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("shape", SQUARE)
def test_factors_reconstruct_symmetric_matrices(shape):
    A = Tensor(positive_definite(numpy.random.default_rng(2), shape))
    L = tg.linalg.cholesky(A)
    numpy.testing.assert_allclose((L @ L.swapaxes(-1, -2)).numpy(), A.numpy(), rtol=1e-12)
    assert (L.numpy() == numpy.tril(L.numpy())).all() and (L.diagonal(0, -2, -1).numpy() > 0).all()
    w, V = tg.linalg.eigh(A)
    numpy.testing.assert_allclose(((V * w.unsqueeze(-2)) @ V.swapaxes(-1, -2)).numpy(), A.numpy(), rtol=1e-12)
    assert (numpy.diff(w.numpy(), axis=-1) > 0).all()


@pytest.mark.parametrize("shape", SQUARE + RECTANGULAR)
def test_factors_reconstruct_rectangular_matrices(shape):
    A = Tensor(numpy.random.default_rng(3).standard_normal(shape))
    k = min(shape[-2:])
    Q, R = tg.linalg.qr(A)
    numpy.testing.assert_allclose((Q @ R).numpy(), A.numpy(), atol=1e-12)
    identity = numpy.broadcast_to(numpy.eye(k), shape[:-2] + (k, k))
    numpy.testing.assert_allclose((Q.swapaxes(-1, -2) @ Q).numpy(), identity, atol=1e-12)
    assert (R.numpy() == numpy.triu(R.numpy())).all()
    U, S, Vh = tg.linalg.svd(A)
    assert U.shape == shape[:-1] + (shape[-2],) and Vh.shape == shape[:-2] + (shape[-1], shape[-1])
    numpy.testing.assert_allclose(((U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :]).numpy(), A.numpy(), atol=1e-12)


def test_results_are_named_as_pytorchs():
    A = Tensor(positive_definite(numpy.random.default_rng(4), (3, 3)))
    assert tg.linalg.eigh(A).eigenvalues.shape == (3,) and tg.linalg.eigh(A).eigenvectors.shape == (3, 3)
    assert tg.linalg.qr(A).Q.shape == tg.linalg.qr(A).R.shape == (3, 3)
    assert tg.linalg.svd(A).U.shape == tg.linalg.svd(A).Vh.shape == (3, 3) and tg.linalg.svd(A).S.shape == (3,)
    Q, R = tg.linalg.qr(A, mode="r")
    assert Q.shape == (0,) and R.shape == (3, 3)


@pytest.mark.parametrize("call, torch_call", [
    (lambda A: tg.linalg.eigvalsh(A), lambda A: torch.linalg.eigvalsh(A)),
    (lambda A: tg.linalg.eigh(A).eigenvalues, lambda A: torch.linalg.eigh(A).eigenvalues),
    (lambda A: tg.linalg.svdvals(A[:, :2]), lambda A: torch.linalg.svdvals(A[:, :2])),
    (lambda A: tg.linalg.svd(A[:2], full_matrices=False).S, lambda A: torch.linalg.svd(A[:2], full_matrices=False).S),
], ids=["eigvalsh", "eigh eigenvalues", "svdvals", "svd S"])
@pytest.mark.parametrize("data", [numpy.eye(3), numpy.zeros((3, 3))], ids=["repeated", "zero"])
def test_gradient_of_values_alone_is_finite_where_they_repeat(call, torch_call, data):
    A, expected_A = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (dA,) = grad(call(A).sum(), [A])
    (expected,) = torch.autograd.grad(torch_call(expected_A).sum(), [expected_A])
    numpy.testing.assert_allclose(dA.numpy(), expected.numpy(), atol=1e-12)


@pytest.mark.parametrize("mode, shape, words", [("r", (3, 3), "mode='r'"), ("complete", (4, 2), "mode='complete'")])
def test_qr_gradient_refused_where_pytorch_refuses_it(mode, shape, words):
    A = Tensor(numpy.random.default_rng(5).standard_normal(shape), requires_grad=True)
    with pytest.raises(RuntimeError, match=words):
        grad(tg.linalg.qr(A, mode=mode).R.sum(), [A])


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_on_the_strict_device_as_on_the_cpu(case, strict_cuda):
    shape = (2, 3, 3) if case.shapes == SQUARE else (2, 2, 4)  # a wide QR and SVD
    results = {}
    for device in ("cpu", "cuda"):
        A = Tensor(case.sample(numpy.random.default_rng(6), shape), requires_grad=True, device=device)
        outputs = case.fn(A)
        rng = numpy.random.default_rng(7)
        upstream = [Tensor(rng.standard_normal(out.shape), requires_grad=True, device=device) for out in outputs]
        (dA,) = grad(sum((out * u).sum() for out, u in zip(outputs, upstream, strict=True)), [A], create_graph=True)
        second = grad((dA * Tensor(rng.standard_normal(shape), device=device)).sum(), [A, *upstream])
        results[device] = [t.numpy() for t in (*outputs, dA, *second)]
        assert {t.device for t in (*outputs, dA, *second)} == {device}
    for on_device, on_cpu in zip(results["cuda"], results["cpu"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)
