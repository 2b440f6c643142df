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
    (lambda: tg.linalg.matrix_norm(tg.ones(2, 2), "nuc"), ValueError, "singular values"),
    (lambda: tg.linalg.matrix_norm(tg.ones(3), "fro"), tg.errors.ShapeError, "two axes"),
    (lambda: tg.linalg.norm(tg.ones(2, 2, 2), 1), ValueError, "1-d or 2-d"),
])
def test_bad_input_is_refused_clearly(call, error, words):
    with pytest.raises(error, match=words):
        call()
