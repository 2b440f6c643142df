"""cholesky_ex, inv_ex and solve_ex (tinygrad_bn/linalg/ex.py): results, gradients
and the int32 ``info`` against PyTorch's for single and batched matrices, batches that
mix matrices that fail with ones that do not (whose results and gradients are those of
cholesky, inv and solve), finite differences in float64 with a random upstream
gradient, PyTorch's errors with ``check_errors=True``, and the strict device."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck

RNG = numpy.random.default_rng(12)
TOLERANCE = {"float32": 2e-5, "float64": 1e-11}


def _spd(A):
    """A Aᵀ + I: symmetric positive-definite."""
    return A @ A.mT + A.new_ones(A.shape[-1]).diag_embed()


CASES = {  # name -> (fn of linalg, A and B giving the result and info, B's shape from A's)
    "cholesky_ex": (lambda linalg, A, B: linalg.cholesky_ex(_spd(A)), None),
    "cholesky_ex upper": (lambda linalg, A, B: linalg.cholesky_ex(_spd(A), upper=True), None),
    "inv_ex": (lambda linalg, A, B: linalg.inv_ex(A), None),
    "solve_ex": (lambda linalg, A, B: linalg.solve_ex(A, B), lambda shape: shape[:-1] + (2,)),
    "solve_ex vector": (lambda linalg, A, B: linalg.solve_ex(A, B), lambda shape: shape[:-1]),
    "solve_ex left=False": (lambda linalg, A, B: linalg.solve_ex(A, B, left=False),
                            lambda shape: shape[:-2] + (2,) + shape[-1:]),
    "solve_ex broadcast": (lambda linalg, A, B: linalg.solve_ex(A, B), lambda shape: (2,) + shape[-1:] + (1,)),
    "solve_ex more batch in B": (lambda linalg, A, B: linalg.solve_ex(A, B), lambda shape: (3,) + shape[:-1] + (2,)),
}
SHAPES = [(3, 3), (2, 4, 4), (2, 1, 3, 3)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", CASES)
def test_results_info_and_gradients_match_pytorch(torch, name, shape, dtype):
    fn, b_shape = CASES[name]
    A = RNG.standard_normal(shape) + 2 * numpy.eye(shape[-1])
    B = RNG.standard_normal(b_shape(shape)) if b_shape else numpy.zeros(0)
    state = RNG.bit_generator.state

    def run(lib):
        RNG.bit_generator.state = state  # the same upstream gradient for both
        a, b = (lib.tensor(x.astype(dtype), requires_grad=True) for x in (A, B))
        result, info = fn(lib.linalg, a, b)
        upstream = lib.tensor(RNG.standard_normal(tuple(result.shape)).astype(dtype))
        grads = lib.autograd.grad((result * upstream).sum(), (a, b) if b_shape else (a,))
        return [result.detach().numpy(), info.numpy(), *(g.numpy() for g in grads)]

    mine, theirs = run(tg), run(torch)
    for m, t in zip(mine, theirs, strict=True):
        assert m.dtype == t.dtype and m.shape == t.shape
        numpy.testing.assert_allclose(m, t, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


NOT_PD = numpy.array([[[4.0, 2.0], [2.0, 5.0]], [[1.0, 2.0], [2.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]],
                      [[1.0, 0.0], [0.0, 0.0]]])
SINGULAR = numpy.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 2.0]], [[0.0, 0.0], [0.0, 0.0]],
                        [[0.0, 1.0], [3.0, 0.0]]])
MIXED = {  # name -> (fn, matrices, the rows of B)
    "cholesky_ex": (lambda lib, A, B: lib.linalg.cholesky_ex(A), NOT_PD),
    "inv_ex": (lambda lib, A, B: lib.linalg.inv_ex(A), SINGULAR),
    "solve_ex": (lambda lib, A, B: lib.linalg.solve_ex(A, B), SINGULAR),
}


@pytest.mark.parametrize("name", MIXED)
def test_a_batch_with_failures_reports_each_and_keeps_the_others(torch, name):
    """``info`` is PyTorch's per matrix; the matrices that did not fail have PyTorch's
    results and gradients, those that did NaN results and a zero gradient."""
    fn, A = MIXED[name]
    B = RNG.standard_normal((4, 2, 3))

    def run(lib):
        a, b = lib.tensor(A, requires_grad=True), lib.tensor(B)
        result, info = fn(lib, a, b)
        ok = info == 0
        (dA,) = lib.autograd.grad(result[ok].sum(), a)
        return result.detach().numpy(), info.numpy(), dA.numpy()

    (result, info, dA), (expected, expected_info, expected_dA) = run(tg), run(torch)
    assert info.dtype == expected_info.dtype == numpy.int32
    numpy.testing.assert_array_equal(info, expected_info)
    ok = info == 0
    assert 0 < ok.sum() < len(ok)
    numpy.testing.assert_allclose(result[ok], expected[ok], rtol=1e-12)
    assert numpy.isnan(result[~ok]).all()
    numpy.testing.assert_allclose(dA[ok], expected_dA[ok], rtol=1e-12, atol=1e-12)
    assert (dA[~ok] == 0).all()  # PyTorch's is NaN there: its backward goes through what LAPACK stopped at


GRADCHECKS = {
    "cholesky_ex": lambda A, B: tg.linalg.cholesky_ex(_spd(A)).L,
    "inv_ex": lambda A, B: tg.linalg.inv_ex(A).inverse,
    "solve_ex": lambda A, B: tg.linalg.solve_ex(A, B).result,
    "solve_ex left=False": lambda A, B: tg.linalg.solve_ex(A, B.mT, left=False).result,
}


@pytest.mark.parametrize("name", GRADCHECKS)
def test_gradcheck_with_a_random_upstream_gradient(name):
    A = tg.tensor(RNG.standard_normal((2, 3, 3)) + 2 * numpy.eye(3), requires_grad=True)
    B = tg.tensor(RNG.standard_normal((2, 3, 2)), requires_grad=True)
    upstream = tg.tensor(RNG.standard_normal(tuple(GRADCHECKS[name](A, B).shape)))
    assert gradcheck(lambda a, b: GRADCHECKS[name](a, b) * upstream, (A, B))


ERRORS = {
    "cholesky_ex batch": (lambda lib: lib.linalg.cholesky_ex(lib.tensor(NOT_PD), check_errors=True),
                          r"^linalg.cholesky_ex: \(Batch element 1\): The factorization could not be completed "
                          r"because the input is not positive-definite \(the leading minor of order 2 is not "
                          r"positive-definite\).$"),
    "cholesky_ex one": (lambda lib: lib.linalg.cholesky_ex(lib.tensor(NOT_PD[3]), check_errors=True),
                        r"^linalg.cholesky_ex: The factorization .*the leading minor of order 2 is not"),
    "inv_ex batch": (lambda lib: lib.linalg.inv_ex(lib.tensor(SINGULAR[1:]), check_errors=True),
                     r"^linalg.inv_ex: \(Batch element 1\): The diagonal element 1 is zero, the inversion could not "
                     r"be completed because the input matrix is singular.$"),
    "solve_ex one": (lambda lib: lib.linalg.solve_ex(lib.tensor(SINGULAR[0]), lib.tensor(SINGULAR[1]),
                                                     check_errors=True),
                     r"^torch.linalg.solve_ex: The solver failed because the input matrix is singular.$"),
    "solve_ex batch": (lambda lib: lib.linalg.solve_ex(lib.tensor(SINGULAR), lib.tensor(SINGULAR),
                                                       check_errors=True),
                       r"^torch.linalg.solve_ex: \(Batch element 0\): The solver failed"),
    "not square": (lambda lib: lib.linalg.inv_ex(lib.ones(2, 3)), "square"),
    "integers": (lambda lib: lib.linalg.cholesky_ex(lib.ones(3, 3, dtype=lib.int64)), "float32 or float64"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs(torch, name):
    call, words = ERRORS[name]
    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    with pytest.raises(RuntimeError, match=words) as mine:
        call(tg)
    if "check_errors" in words or name.endswith(("one", "batch")):
        assert str(mine.value) == str(theirs.value)
        assert isinstance(mine.value, tg.linalg.LinAlgError)


def test_check_errors_passes_what_succeeds(torch):
    A = tg.tensor(NOT_PD[:1])
    L, info = tg.linalg.cholesky_ex(A, check_errors=True)
    numpy.testing.assert_array_equal(L.numpy(), torch.linalg.cholesky(torch.tensor(NOT_PD[:1])).numpy())
    assert info.tolist() == [0]


def test_on_the_strict_device(strict_cuda):
    def run(device):
        a = tg.tensor(SINGULAR, device=device, requires_grad=True)
        b = tg.tensor(NOT_PD, device=device, requires_grad=True)
        results = [*tg.linalg.inv_ex(a), *tg.linalg.solve_ex(a, b), *tg.linalg.cholesky_ex(b)]
        total = sum(r.nan_to_num(0.0).sum() for r in results if r.dtype == a.dtype)
        results += tg.autograd.grad(total, (a, b))
        assert {r.device for r in results} == {device}
        return [r.cpu().detach().numpy() for r in results]

    for on_device, on_cpu in zip(run("cuda"), run("cpu"), strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)
