"""lu_factor and lu_factor_ex (tinygrad_bn/linalg/lu.py): the packed factors, the
pivots and info against PyTorch's for square, wide, tall and batched matrices, singular
ones included; gradients against PyTorch's with a random upstream gradient, and
finite differences of first and second order in float64; the errors."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck, gradgradcheck

RNG = numpy.random.default_rng(11)
SHAPES = [(1, 1), (3, 3), (2, 4, 4), (3, 5), (2, 5, 3), (2, 2, 3, 3)]
SINGULAR = numpy.array([[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],  # rows 1 and 2 dependent
                        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
                        [[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]],
                        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 2.0]]])
TOLERANCE = {"float32": 1e-5, "float64": 1e-12}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_factors_and_gradients_match_pytorch(torch, shape, dtype):
    A, upstream = RNG.standard_normal(shape).astype(dtype), RNG.standard_normal(shape).astype(dtype)

    def run(lib):
        a = lib.tensor(A, requires_grad=True)
        LU, pivots, info = lib.linalg.lu_factor_ex(a)
        (dA,) = lib.autograd.grad((LU * lib.tensor(upstream)).sum(), a)
        return [LU.detach().numpy(), pivots.numpy(), info.numpy(), dA.numpy()]

    for mine, theirs in zip(run(tg), run(torch), strict=True):
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
        tolerance = TOLERANCE[dtype] * max(1.0, float(numpy.abs(theirs).max()))
        numpy.testing.assert_allclose(mine, theirs, rtol=tolerance, atol=tolerance)


def test_singular_matrices_have_pytorchs_factors_and_info(torch):
    mine, theirs = tg.linalg.lu_factor_ex(tg.tensor(SINGULAR)), torch.linalg.lu_factor_ex(torch.tensor(SINGULAR))
    assert mine._fields == ("LU", "pivots", "info")
    for a, b in zip(mine, theirs, strict=True):
        numpy.testing.assert_array_equal(a.numpy(), b.numpy())
        assert str(a.dtype) == str(b.dtype).removeprefix("torch.")
    assert mine.info.tolist() == [3, 1, 0, 2]


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 4), (4, 2)], ids=str)
def test_gradcheck_and_gradgradcheck(shape):
    A = tg.tensor(RNG.standard_normal(shape), requires_grad=True)
    upstream = tg.tensor(RNG.standard_normal(shape))
    assert gradcheck(lambda a: tg.linalg.lu_factor(a).LU * upstream, A)
    assert gradgradcheck(lambda a: tg.linalg.lu_factor(a).LU, A)


def raises_like_torch(ours, theirs, words, kind=RuntimeError):
    """Both raise ``kind``, ours saying ``words``."""
    with pytest.raises(kind):
        theirs()
    with pytest.raises(kind, match=words):
        ours()


def test_lu_factor_raises_where_lu_factor_ex_reports(torch):
    raises_like_torch(lambda: tg.linalg.lu_factor(tg.tensor(SINGULAR)),
                      lambda: torch.linalg.lu_factor(torch.tensor(SINGULAR)),
                      r"torch.linalg.lu_factor: \(Batch element 0\): U\[3,3\] is zero and using it on lu_solve")
    raises_like_torch(lambda: tg.linalg.lu_factor_ex(tg.tensor(SINGULAR[1]), check_errors=True),
                      lambda: torch.linalg.lu_factor_ex(torch.tensor(SINGULAR[1]), check_errors=True),
                      r"^torch.linalg.lu_factor_ex: U\[1,1\] is zero")
    LU, pivots = tg.linalg.lu_factor(tg.tensor(SINGULAR[2:3]))
    assert pivots.tolist() == [[1, 2, 3]]


ERRORS = {
    "no pivoting": (lambda lib: lib.linalg.lu_factor_ex(lib.ones(3, 3), pivot=False), "without pivoting"),
    "a vector": (lambda lib: lib.linalg.lu_factor(lib.ones(3)), "at least 2 dimensions"),
    "integers": (lambda lib: lib.linalg.lu_factor_ex(lib.ones(3, 3, dtype=lib.int64)), "float32 or float64"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind(torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)


def test_on_the_strict_device(strict_cuda):
    def run(device):
        a = tg.tensor(numpy.concatenate([SINGULAR, RNG.standard_normal((1, 3, 3))]), device=device, requires_grad=True)
        LU, pivots, info = tg.linalg.lu_factor_ex(a)
        (dA,) = tg.autograd.grad((LU * LU).sum(), a)
        assert {t.device for t in (LU, pivots, info, dA)} == {device}
        return [t.cpu().detach().numpy() for t in (LU, pivots, info, dA)]

    state = RNG.bit_generator.state
    on_device = run("cuda")
    RNG.bit_generator.state = state
    for a, b in zip(on_device, run("cpu"), strict=True):
        numpy.testing.assert_array_equal(a, b)
