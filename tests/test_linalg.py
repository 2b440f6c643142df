"""torch.linalg's functions beyond what the op cases check (tests/ops/conftest.py runs
gradcheck, gradgradcheck, PyTorch parity and the device on each): identities, and
the errors."""

import numpy
import pytest

import tinygrad_bn as tg

RNG = numpy.random.default_rng(0)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_inverse_determinant_and_solve_agree(shape):
    A = tg.tensor(RNG.standard_normal(shape) + shape[-1] * numpy.eye(shape[-1]))
    B = tg.tensor(RNG.standard_normal(shape[:-1] + (2,)))
    eye = numpy.broadcast_to(numpy.eye(shape[-1]), shape)
    numpy.testing.assert_allclose((A @ tg.linalg.inv(A)).numpy(), eye, atol=1e-12)
    numpy.testing.assert_allclose((A @ tg.linalg.solve(A, B)).numpy(), B.numpy(), atol=1e-12)
    numpy.testing.assert_allclose((tg.linalg.det(A) * tg.linalg.det(tg.linalg.inv(A))).numpy(), 1.0, rtol=1e-12)


def test_norm_chooses_vector_or_matrix_norm_as_pytorch_does():
    A = tg.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert tg.linalg.norm(A).item() == pytest.approx(30 ** 0.5)  # flattened 2-norm
    assert tg.linalg.norm(A, 1).item() == 6.0  # the largest column sum of |A|
    assert tg.linalg.norm(A, 1, dim=1).tolist() == [3.0, 7.0]  # a vector norm per row
    assert tg.linalg.vector_norm(A, 0).item() == 4.0


@pytest.mark.parametrize("call, error, words", [
    (lambda: tg.linalg.inv(tg.ones(2, 3)), tg.errors.ShapeError, "square"),
    (lambda: tg.linalg.det(tg.ones(3)), tg.errors.ShapeError, "square"),
    (lambda: tg.linalg.inv(tg.eye(2).half()), tg.errors.DtypeError, "float32 or float64"),
    (lambda: tg.linalg.solve(tg.eye(3), tg.ones(2, 2)), tg.errors.ShapeError, "expects B"),
    (lambda: tg.linalg.matrix_norm(tg.ones(2, 2), "max"), ValueError, "supports ord 'fro', 'nuc', 1, -1, 2, -2"),
    (lambda: tg.linalg.matrix_norm(tg.ones(3), "fro"), tg.errors.ShapeError, "two axes"),
    (lambda: tg.linalg.norm(tg.ones(2, 2, 2), 1), ValueError, "1-d or 2-d"),
    (lambda: tg.linalg.cholesky(tg.ones(2, 3)), tg.errors.ShapeError,
     r"square matrices \(\.\.\., n, n\), got shape \(2, 3\)"),
    (lambda: tg.linalg.cholesky(tg.eye(2, dtype="int64")), tg.errors.DtypeError, "float32 or float64.*int64"),
    (lambda: tg.linalg.cholesky(-tg.eye(2)), tg.linalg.LinAlgError, "positive-definite"),
    (lambda: tg.linalg.eigh(tg.ones(3, 2)), tg.errors.ShapeError, "square"),
    (lambda: tg.linalg.eigvalsh(tg.ones(3)), tg.errors.ShapeError, "square"),
    (lambda: tg.linalg.eigh(tg.eye(2), UPLO="X"), ValueError, "UPLO 'L' or 'U', got 'X'"),
    (lambda: tg.linalg.qr(tg.ones(3)), tg.errors.ShapeError, "at least 2 dimensions, got shape \\(3,\\)"),
    (lambda: tg.linalg.qr(tg.eye(2, dtype="int64")), tg.errors.DtypeError, "float32 or float64"),
    (lambda: tg.linalg.qr(tg.eye(2), mode="raw"), ValueError, "mode 'reduced', 'complete' or 'r', got 'raw'"),
    (lambda: tg.linalg.svd(tg.ones(3)), tg.errors.ShapeError, "at least 2 dimensions"),
    (lambda: tg.linalg.svdvals(tg.ones(2, 2, dtype="int32")), tg.errors.DtypeError, "float32 or float64"),
    (lambda: tg.linalg.slogdet(tg.ones(2, 3)), tg.errors.ShapeError, "square"),
    (lambda: tg.linalg.slogdet(tg.eye(2, dtype="int32")), tg.errors.DtypeError, "float32 or float64"),
    (lambda: tg.linalg.logdet(tg.ones(2, 3)), tg.errors.ShapeError, "square"),
    (lambda: tg.linalg.pinv(tg.ones(2, 3), hermitian=True), tg.errors.ShapeError, "square"),
    (lambda: tg.linalg.pinv(tg.eye(2, dtype="int64")), tg.errors.DtypeError, "float32 or float64"),
    (lambda: tg.linalg.matrix_power(tg.ones(2, 3), 2), tg.errors.ShapeError, "square"),
    (lambda: tg.linalg.cross(tg.ones(3), tg.ones(2, 3)), tg.errors.ShapeError, "as many dimensions"),
])
def test_bad_input_is_refused_clearly(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_linalg_errors_are_runtime_errors_as_pytorchs():
    with pytest.raises(RuntimeError):
        tg.linalg.cholesky(tg.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(RuntimeError):
        tg.linalg.svd(tg.ones(2, dtype="int64"))
