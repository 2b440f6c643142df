"""lu_factor and lu_factor_ex, and lu, lu_unpack and lu_solve built on them
(tinygrad_bn/linalg/pivoted_lu.py): the packed factors, the
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



@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_lu_and_lu_unpack_match_pytorch_with_gradients(torch, shape, dtype):
    A = RNG.standard_normal(shape).astype(dtype)

    def run(lib):
        a = lib.tensor(A, requires_grad=True)
        P, L, U = lib.linalg.lu(a)
        weights = [lib.tensor(numpy.linspace(-1.0, 1.0, t.numel()).reshape(t.shape).astype(dtype)) for t in (L, U)]
        (dA,) = lib.autograd.grad((L * weights[0]).sum() + (U * weights[1]).sum(), a)
        unpacked = lib.lu_unpack(*lib.linalg.lu_factor_ex(a.detach())[:2])
        return [P.numpy(), L.detach().numpy(), U.detach().numpy(), dA.numpy(), *(t.numpy() for t in unpacked)]

    for mine, theirs in zip(run(tg), run(torch), strict=True):
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
        tolerance = TOLERANCE[dtype] * max(1.0, float(numpy.abs(theirs).max()))
        numpy.testing.assert_allclose(mine, theirs, rtol=tolerance, atol=tolerance)


def test_lu_of_singular_matrices_and_lu_unpack_flags_are_pytorchs(torch):
    for a, b in zip(tg.linalg.lu(tg.tensor(SINGULAR)), torch.linalg.lu(torch.tensor(SINGULAR)), strict=True):
        numpy.testing.assert_array_equal(a.numpy(), b.numpy())
    assert tg.linalg.lu(tg.ones(2, 2))._fields == ("P", "L", "U")
    LU = RNG.standard_normal((2, 3, 4))
    for flags in ({"unpack_data": False}, {"unpack_pivots": False}):
        mine = tg.lu_unpack(*tg.linalg.lu_factor(tg.tensor(LU)), **flags)
        theirs = torch.lu_unpack(*torch.linalg.lu_factor(torch.tensor(LU)), **flags)
        assert [tuple(t.shape) for t in mine] == [tuple(t.shape) for t in theirs]


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("shapes", [((3, 3), (3, 2)), ((2, 4, 4), (4, 4)), ((1, 3, 3), (2, 3, 3))], ids=str)
def test_lu_solve_matches_pytorch_with_gradients(torch, shapes, left, adjoint):
    A = RNG.standard_normal(shapes[0]) + 3 * numpy.eye(shapes[0][-1])
    B = RNG.standard_normal(shapes[1] if left else shapes[1][:-2] + shapes[1][-2:][::-1])

    def run(lib):
        a, b = lib.tensor(A, requires_grad=True), lib.tensor(B, requires_grad=True)
        LU, pivots = lib.linalg.lu_factor(a)
        X = lib.linalg.lu_solve(LU, pivots, b, left=left, adjoint=adjoint)
        grads = lib.autograd.grad((X * X).sum(), (a, b))
        return [X.detach().numpy(), *(g.numpy() for g in grads)]

    for mine, theirs in zip(run(tg), run(torch), strict=True):
        assert mine.shape == theirs.shape
        numpy.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("left, adjoint", [(True, False), (False, True)])
def test_lu_solve_and_lu_gradcheck_and_gradgradcheck(left, adjoint):
    A = tg.tensor(RNG.standard_normal((2, 3, 3)) + 3 * numpy.eye(3), requires_grad=True)
    B = tg.tensor(RNG.standard_normal((3, 2) if left else (2, 3)), requires_grad=True)

    def solve(a, b):
        return tg.linalg.lu_solve(*tg.linalg.lu_factor(a), b, left=left, adjoint=adjoint)

    assert gradcheck(solve, (A, B)) and gradgradcheck(solve, (A, B))
    assert gradgradcheck(lambda a: tg.linalg.lu(a).L + tg.linalg.lu(a).U, A)


LU_SOLVE_ERRORS = {
    "not square": (lambda lib: lib.linalg.lu_solve(*lib.linalg.lu_factor(lib.eye(3, 4)), lib.ones(3, 2)),
                   "square matrices"),
    "B a vector": (lambda lib: lib.linalg.lu_solve(*lib.linalg.lu_factor(lib.eye(3)), lib.ones(3)),
                   "B must have at least 2 dimensions"),
    "B rows": (lambda lib: lib.linalg.lu_solve(*lib.linalg.lu_factor(lib.eye(3)), lib.ones(4, 2)),
               r"Incompatible shapes of A and B for the equation AX = B \(3x3 and 4x2\)"),
}


@pytest.mark.parametrize("name", LU_SOLVE_ERRORS)
def test_lu_solve_errors_are_pytorchs_kind(torch, name):
    call, words = LU_SOLVE_ERRORS[name]
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)


def test_lu_and_lu_solve_on_the_strict_device(strict_cuda):
    A = RNG.standard_normal((2, 3, 3)) + 3 * numpy.eye(3)
    B = RNG.standard_normal((3, 2))

    def run(device):
        a, b = tg.tensor(A, device=device, requires_grad=True), tg.tensor(B, device=device)
        X = tg.linalg.lu_solve(*tg.linalg.lu_factor(a), b, adjoint=True) + tg.linalg.lu(a).U[..., :2]
        (dA,) = tg.autograd.grad((X * X).sum(), a)
        assert {X.device, dA.device} == {tg.device(device)}
        return X.cpu().detach().numpy(), dA.cpu().numpy()

    for a, b in zip(run("cuda"), run("cpu"), strict=True):
        numpy.testing.assert_allclose(a, b, rtol=1e-14)
