"""solve_triangular and cholesky_solve (tinygrad_bn/linalg/triangular.py), lstsq and
vander (least_squares.py), matrix_exp (exponential.py): values and gradients against
PyTorch's in float32 and float64, finite differences of first and second order in
float64, batches and their broadcasting, the errors, and the strict device."""

import math
from dataclasses import dataclass

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck, gradgradcheck

OURS = tg  # torch.linalg.* and torch.cholesky_solve, by the same names


def normal(rng, shape):
    return rng.standard_normal(shape)


def well_conditioned(rng, shape):
    """N(0, 1) entries and n on the diagonal: every triangle of it is well conditioned."""
    return rng.standard_normal(shape) + shape[-1] * numpy.eye(shape[-1])


def lower_factor(rng, shape):
    return numpy.tril(well_conditioned(rng, shape))


def upper_factor(rng, shape):
    return numpy.triu(well_conditioned(rng, shape))


def moderate(rng, shape):
    """Entries of about 1/n: ‖A‖₁ near 1, the Padé approximant of exp without squaring."""
    return rng.standard_normal(shape) / shape[-1]


def large(rng, shape):
    """‖A‖₁ of about 10 and 20: exp(A) needs squarings, a different number per matrix."""
    return rng.standard_normal(shape) * numpy.arange(1, math.prod(shape[:-2]) + 1).reshape(shape[:-2] + (1, 1)) * 4


@dataclass(frozen=True)
class Case:
    name: str
    fn: object  # (torch or OURS, *inputs) -> tuple of differentiable outputs
    inputs: tuple  # (sampler, shape) of each input
    checked: object = None  # the function gradcheck differentiates, when not fn

    def check_function(self):
        return lambda *inputs: (self.checked or self.fn)(OURS, *inputs)


def _solve_triangular(upper, left=True, unitriangular=False):
    return lambda lib, A, B: (lib.linalg.solve_triangular(A, B, upper=upper, left=left, unitriangular=unitriangular),)


def _lstsq(driver=None):
    def fn(lib, A, B):
        result = lib.linalg.lstsq(A, B, driver=driver)
        return (result.solution, result.residuals) if result.residuals.numel() else (result.solution,)

    return fn


def _cholesky_solve(upper, project):
    """cholesky_solve of the factor, its triangle taken first when ``project``: the
    gradient in the triangle not read is PyTorch's, not zero as finite differences find."""
    triangle = (lambda L: L.triu()) if upper else (lambda L: L.tril())
    return lambda lib, B, L: (lib.cholesky_solve(B, triangle(L) if project else L, upper),)


CASES = [
    Case("solve_triangular upper", _solve_triangular(True), ((well_conditioned, (3, 3)), (normal, (3, 2)))),
    Case("solve_triangular lower", _solve_triangular(False), ((well_conditioned, (2, 4, 4)), (normal, (2, 4, 3)))),
    Case("solve_triangular broadcast", _solve_triangular(False), ((well_conditioned, (2, 1, 3, 3)),
                                                                  (normal, (3, 3, 2)))),
    Case("solve_triangular unitriangular", _solve_triangular(True, unitriangular=True),
         ((normal, (2, 3, 3)), (normal, (3, 1)))),
    Case("solve_triangular right", _solve_triangular(True, left=False), ((well_conditioned, (3, 3)),
                                                                         (normal, (2, 2, 3)))),
    Case("solve_triangular right lower unit", _solve_triangular(False, left=False, unitriangular=True),
         ((normal, (2, 3, 3)), (normal, (2, 4, 3)))),
    Case("solve_triangular 1x1", _solve_triangular(False), ((well_conditioned, (1, 1)), (normal, (1, 1)))),
    Case("lstsq tall", _lstsq(), ((normal, (5, 3)), (normal, (5, 2)))),
    Case("lstsq square", _lstsq(), ((well_conditioned, (2, 3, 3)), (normal, (2, 3, 2)))),
    Case("lstsq wide", _lstsq(), ((normal, (2, 3)), (normal, (2, 2)))),
    Case("lstsq broadcast", _lstsq(), ((normal, (2, 1, 4, 2)), (normal, (1, 3, 4, 2)))),
    Case("lstsq vector", _lstsq(), ((normal, (2, 4, 3)), (normal, (2, 4)))),
    Case("lstsq gelsd residuals", _lstsq("gelsd"), ((normal, (2, 5, 3)), (normal, (2, 5, 2)))),
    Case("lstsq gels residuals", _lstsq("gels"), ((normal, (4, 2)), (normal, (4, 3)))),
    Case("matrix_exp", lambda lib, A: (lib.linalg.matrix_exp(A),), ((moderate, (3, 3)),)),
    Case("matrix_exp batch", lambda lib, A: (lib.linalg.matrix_exp(A),), ((moderate, (2, 4, 4)),)),
    Case("matrix_exp squaring", lambda lib, A: (lib.linalg.matrix_exp(A),), ((large, (2, 3, 3)),)),
    Case("matrix_exp 1x1", lambda lib, A: (lib.linalg.matrix_exp(A),), ((normal, (1, 1)),)),
    Case("cholesky_solve", _cholesky_solve(False, False), ((normal, (3, 2)), (lower_factor, (3, 3))),
         _cholesky_solve(False, True)),
    Case("cholesky_solve upper broadcast", _cholesky_solve(True, False),
         ((normal, (2, 1, 3, 2)), (upper_factor, (2, 3, 3))), _cholesky_solve(True, True)),
    Case("vander", lambda lib, x: (lib.linalg.vander(x),), ((normal, (4,)),)),
    Case("vander N", lambda lib, x: (lib.linalg.vander(x, N=5),), ((normal, (2, 3)),)),
]
IDS = [case.name.replace(" ", "-") for case in CASES]
TOLERANCE = {"float32": {"rtol": 2e-4, "atol": 1e-5}, "float64": {"rtol": 1e-10, "atol": 1e-12}}
SECOND_ORDER = {"solve_triangular lower", "solve_triangular right lower unit", "lstsq tall", "lstsq wide",
                "lstsq gelsd residuals", "matrix_exp", "matrix_exp squaring", "cholesky_solve",
                "cholesky_solve upper broadcast", "vander"}


def _arrays(case, dtype="float64", seed=0):
    rng = numpy.random.default_rng(seed)
    return [sample(rng, shape).astype(dtype) for sample, shape in case.inputs]


def _ours(arrays, device=None):
    return [Tensor(a, requires_grad=True, device=device) for a in arrays]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_gradients_match_pytorch(case, dtype, torch):
    arrays = _arrays(case, dtype)
    inputs, expected_inputs = _ours(arrays), [torch.tensor(a, requires_grad=True) for a in arrays]
    outputs, expected = case.fn(OURS, *inputs), case.fn(torch, *expected_inputs)
    rng = numpy.random.default_rng(1)
    upstream = [rng.standard_normal(out.shape).astype(dtype) for out in outputs]
    for out, reference in zip(outputs, expected, strict=True):
        assert out.dtype == dtype and out.shape == tuple(reference.shape)
        numpy.testing.assert_allclose(out.numpy(), reference.detach().numpy(), **TOLERANCE[dtype])
    gradients = grad(sum((out * Tensor(u)).sum() for out, u in zip(outputs, upstream, strict=True)), inputs)
    expected_gradients = torch.autograd.grad(
        sum((out * torch.tensor(u)).sum() for out, u in zip(expected, upstream, strict=True)), expected_inputs)
    for ours, theirs in zip(gradients, expected_gradients, strict=True):
        assert ours.shape == tuple(theirs.shape)
        scale = max(1.0, float(numpy.abs(theirs.numpy()).max()))
        numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=10 * TOLERANCE[dtype]["rtol"],
                                      atol=10 * TOLERANCE[dtype]["atol"] * scale)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_first_and_second_derivatives_match_finite_differences(case):
    inputs = _ours(_arrays(case))
    assert gradcheck(case.check_function(), inputs, atol=1e-6, rtol=1e-5)
    if case.name in SECOND_ORDER:
        assert gradgradcheck(case.check_function(), inputs, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("case", [c for c in CASES if c.name in SECOND_ORDER],
                         ids=[i for i, c in zip(IDS, CASES, strict=True) if c.name in SECOND_ORDER])
def test_on_the_strict_device_as_on_the_cpu(case, strict_cuda):
    results = {}
    for device in ("cpu", "cuda"):
        inputs = _ours(_arrays(case), device)
        outputs = case.fn(OURS, *inputs)
        rng = numpy.random.default_rng(2)
        upstream = [Tensor(rng.standard_normal(out.shape), requires_grad=True, device=device) for out in outputs]
        first = grad(sum((out * u).sum() for out, u in zip(outputs, upstream, strict=True)), inputs,
                     create_graph=True)
        second = grad(sum((g * g).sum() for g in first), [*inputs, *upstream])
        results[device] = [t.numpy() for t in (*outputs, *first, *second)]
        assert {t.device for t in (*outputs, *first, *second)} == {device}
    for on_device, on_cpu in zip(results["cuda"], results["cpu"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


# solve_triangular and cholesky_solve ------------------------------------------------------------


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("unitriangular", [True, False])
def test_solve_triangular_reads_only_its_triangle_and_its_gradient_is_there(upper, unitriangular):
    rng = numpy.random.default_rng(3)
    A = well_conditioned(rng, (4, 4))
    read = numpy.triu(numpy.ones((4, 4)), 1 if unitriangular else 0)
    read = read if upper else read.T
    garbage = Tensor(A + (1 - read) * rng.standard_normal((4, 4)), requires_grad=True)  # the rest replaced
    B = Tensor(rng.standard_normal((4, 2)))
    X = tg.linalg.solve_triangular(Tensor(A), B, upper=upper, unitriangular=unitriangular)
    Y = tg.linalg.solve_triangular(garbage, B, upper=upper, unitriangular=unitriangular)
    assert (X.numpy() == Y.numpy()).all()
    triangle = A * read + (numpy.eye(4) if unitriangular else 0)
    numpy.testing.assert_allclose((Tensor(triangle) @ X).numpy(), B.numpy(), atol=1e-12)
    (dA,) = grad(Y.sum(), [garbage])
    assert (dA.numpy()[read == 0] == 0).all() and (dA.numpy()[read == 1] != 0).all()


@pytest.mark.parametrize("n", [40, 70])
def test_solve_triangular_of_blocks_solves_as_row_by_row(n, strict_cuda):
    """Past 32 rows the triangle is solved by blocks: A X = B to rounding still, also on the device."""
    rng = numpy.random.default_rng(4)
    A, B = well_conditioned(rng, (2, n, n)), rng.standard_normal((2, n, 3))
    for upper in (True, False):
        X = tg.linalg.solve_triangular(Tensor(A), Tensor(B), upper=upper)
        triangle = numpy.triu(A) if upper else numpy.tril(A)
        numpy.testing.assert_allclose(triangle @ X.numpy(), B, atol=1e-12)
        on_device = tg.linalg.solve_triangular(Tensor(A, device="cuda"), Tensor(B, device="cuda"), upper=upper)
        numpy.testing.assert_allclose(on_device.numpy(), X.numpy(), rtol=1e-12, atol=1e-12)


def test_solvers_of_empty_matrices(torch):
    for A, B in [((0, 0), (0, 2)), ((3, 3), (3, 0)), ((0, 3, 3), (3, 2))]:
        ours = tg.linalg.solve_triangular(tg.zeros(*A, dtype="float64"), tg.ones(*B, dtype="float64"), upper=True)
        theirs = torch.linalg.solve_triangular(torch.zeros(A, dtype=torch.float64), torch.ones(B, dtype=torch.float64),
                                               upper=True)
        assert ours.shape == tuple(theirs.shape)
    assert tg.linalg.matrix_exp(tg.zeros(2, 0, 0)).shape == (2, 0, 0)
    assert tg.linalg.matrix_exp(tg.zeros(0, 3, 3)).shape == (0, 3, 3)
    for A, B in [((0, 3), (0, 2)), ((3, 0), (3, 2))]:
        ours = tg.linalg.lstsq(tg.ones(*A, dtype="float64"), tg.ones(*B, dtype="float64"))
        theirs = torch.linalg.lstsq(torch.ones(A, dtype=torch.float64), torch.ones(B, dtype=torch.float64))
        assert ours.solution.tolist() == theirs.solution.tolist() and ours.rank.item() == theirs.rank.item() == 0


def test_cholesky_solve_solves_with_the_factor_of_cholesky():
    rng = numpy.random.default_rng(5)
    X = rng.standard_normal((2, 4, 4))
    A = Tensor(X @ X.swapaxes(-1, -2) + 4 * numpy.eye(4))
    B = Tensor(rng.standard_normal((2, 4, 3)))
    for upper in (False, True):
        factor = tg.linalg.cholesky(A, upper=upper)
        numpy.testing.assert_allclose(tg.linalg.cholesky_solve(B, factor, upper=upper).numpy(),
                                      tg.linalg.solve(A, B).numpy(), atol=1e-12)


# lstsq ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("driver", [None, "gelsy", "gels", "gelsd", "gelss"])
@pytest.mark.parametrize("A, B", [((2, 5, 3), (2, 5, 2)), ((1, 5, 3), (2, 5, 4)), ((3, 3), (3, 2)), ((3, 5), (3, 2)),
                                  ((2, 5, 3), (2, 5)), ((5, 3), (5,))],
                         ids=["tall", "broadcast", "square", "wide", "vectors", "vector"])
def test_lstsq_gives_pytorchs_outputs_for_each_driver(A, B, driver, torch):
    rng = numpy.random.default_rng(6)
    A, B = rng.standard_normal(A), rng.standard_normal(B)
    ours = tg.linalg.lstsq(Tensor(A), Tensor(B), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(A), torch.tensor(B), driver=driver)
    assert type(ours).__name__ == "LstsqResult" and ours._fields == ("solution", "residuals", "rank",
                                                                       "singular_values")
    for name, out, reference in zip(ours._fields, ours, theirs, strict=True):
        assert out.shape == tuple(reference.shape), name
        assert out.dtype == str(reference.dtype).removeprefix("torch."), name
        numpy.testing.assert_allclose(out.numpy(), reference.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("driver", ["gelsd", "gelss"])  # PyTorch's gelsy solution here is not always the least-norm one
def test_lstsq_of_dependent_columns_is_pytorchs_least_norm_solution(driver, torch):
    A = numpy.array([[1.0, 2.0, 0.0], [2.0, 4.0, 1.0], [3.0, 6.0, 0.0], [0.0, 0.0, 1.0]])  # column 2 = 2 column 1
    B = numpy.random.default_rng(7).standard_normal((4, 2))
    ours = tg.linalg.lstsq(Tensor(A), Tensor(B), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(A), torch.tensor(B), driver=driver)
    numpy.testing.assert_allclose(ours.solution.numpy(), theirs.solution.numpy(), atol=1e-12)
    assert ours.rank.item() == theirs.rank.item() == 2
    assert ours.residuals.shape == tuple(theirs.residuals.shape) == (0,)  # rank < n: no residuals


def test_lstsq_rcond_drops_small_singular_values():
    A, B = Tensor(numpy.diag([4.0, 1e-3, 2.0])), Tensor(numpy.ones((3, 1)))
    assert tg.linalg.lstsq(A, B).solution.flatten().tolist() == pytest.approx([0.25, 1000.0, 0.5])
    result = tg.linalg.lstsq(A, B, rcond=1e-2)
    assert result.solution.flatten().tolist() == [0.25, 0.0, 0.5] and result.rank.item() == 2


def test_lstsq_fits_a_polynomial_through_vander():
    x = tg.linspace(-1.0, 1.0, 9, dtype="float64")
    y = 1.0 - 2.0 * x + 0.5 * x**2
    coefficients = tg.linalg.lstsq(tg.linalg.vander(x, N=3), y).solution
    assert coefficients.tolist() == pytest.approx([1.0, -2.0, 0.5], abs=1e-12)


# matrix_exp ----------------------------------------------------------------------------------------


def _reference_exp(A):
    """exp(A) in long double: Σ Aᵏ/k! to 40 terms for A / 2ˢ of ‖·‖₁ ≤ 1/4, squared s times."""
    A = A.astype(numpy.longdouble)
    s = max(0, math.ceil(math.log2(max(float(numpy.abs(A).sum(0).max()), 1e-300) / 0.25)))
    term = total = numpy.eye(len(A), dtype=numpy.longdouble)
    for k in range(1, 40):
        term = term @ (A / 2**s) / k
        total = total + term
    for _ in range(s):
        total = total @ total
    return total


@pytest.mark.parametrize("norm", [1e-3, 0.2, 1.0, 3.0, 5.0, 30.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matrix_exp_is_accurate_to_the_dtypes_rounding(norm, dtype):
    rng = numpy.random.default_rng(8)
    A = rng.standard_normal((3, 5, 5))
    A = (A * norm / numpy.abs(A).sum(-2).max(-1)[:, None, None]).astype(dtype)  # ‖A‖₁ = norm
    ours = tg.linalg.matrix_exp(Tensor(A)).numpy()
    for matrix, result in zip(A, ours, strict=True):
        expected = _reference_exp(matrix)
        error = float(numpy.abs(result - expected).max() / numpy.abs(expected).max())
        assert error < 20 * numpy.finfo(dtype).eps  # a few roundings, also after squarings (norm 30)


def test_matrix_exp_of_matrices_with_known_exponentials():
    t = 0.7
    rotation = tg.linalg.matrix_exp(Tensor([[0.0, -t], [t, 0.0]], dtype="float64"))
    numpy.testing.assert_allclose(rotation.numpy(), [[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]],
                                  rtol=1e-15, atol=1e-16)
    nilpotent = numpy.triu(numpy.ones((3, 3)), 1)  # N² = [[0, 0, 1], 0, 0], N³ = 0
    expected = numpy.eye(3) + nilpotent + numpy.linalg.matrix_power(nilpotent, 2) / 2
    assert (tg.linalg.matrix_exp(Tensor(nilpotent)).numpy() == expected).all()
    d = numpy.array([-20.0, 0.0, 3.0, 40.0])
    numpy.testing.assert_allclose(tg.linalg.matrix_exp(Tensor(numpy.diag(d))).numpy(), numpy.diag(numpy.exp(d)),
                                  rtol=1e-14)
    X = numpy.random.default_rng(9).standard_normal((4, 4)) * 10
    Q = tg.linalg.matrix_exp(Tensor(X - X.T))  # of a skew-symmetric matrix: orthogonal
    numpy.testing.assert_allclose((Q @ Q.swapaxes(-1, -2)).numpy(), numpy.eye(4), atol=1e-13)


def test_matrix_exp_of_a_batch_is_each_matrixs():
    """Each matrix is scaled and squared as it needs, whatever the others of its batch."""
    rng = numpy.random.default_rng(10)
    A = numpy.stack([rng.standard_normal((3, 3)) * scale for scale in (1e-4, 1.0, 20.0)])
    batch = tg.linalg.matrix_exp(Tensor(A)).numpy()
    for matrix, result in zip(A, batch, strict=True):
        numpy.testing.assert_allclose(result, tg.linalg.matrix_exp(Tensor(matrix)).numpy(), rtol=1e-14, atol=0)


def test_matrix_exp_gradient_of_a_large_upstream_gradient_is_as_accurate(torch):
    """The upstream gradient is scaled to A's norm in the block exp([[Aᵀ, G], [0, Aᵀ]])."""
    rng = numpy.random.default_rng(11)
    A, G = rng.standard_normal((3, 3)) / 3, rng.standard_normal((3, 3))
    expected_A = torch.tensor(A, requires_grad=True)
    (expected,) = torch.autograd.grad((torch.linalg.matrix_exp(expected_A) * torch.tensor(G)).sum(), [expected_A])
    for scale in (1.0, 1e8, 1e-8):
        ours = Tensor(A, requires_grad=True)
        (dA,) = grad((tg.linalg.matrix_exp(ours) * Tensor(G * scale)).sum(), [ours])
        numpy.testing.assert_allclose(dA.numpy() / scale, expected.numpy(), rtol=1e-13, atol=1e-14)


# errors --------------------------------------------------------------------------------------------


def _float64(*shape):
    return numpy.ones(shape)


ERRORS = [  # (call with torch or OURS, inputs, words of our message)
    (lambda lib, A, B: lib.linalg.solve_triangular(A, B, upper=True), (_float64(2, 3), _float64(2, 2)),
     "square matrices"),
    (lambda lib, A, B: lib.linalg.solve_triangular(A, B, upper=True), (_float64(3, 3), _float64(3)),
     r"B of shape \(\.\.\., 3, k\)"),
    (lambda lib, A, B: lib.linalg.solve_triangular(A, B, upper=True), (_float64(3, 3), _float64(2, 3)),
     r"A X = B .* got \(2, 3\)"),
    (lambda lib, A, B: lib.linalg.solve_triangular(A, B, upper=True, left=False), (_float64(3, 3), _float64(3, 2)),
     r"\(\.\.\., k, 3\) for X A = B"),
    (lambda lib, A, B: lib.linalg.solve_triangular(A, B, upper=True), (_float64(2, 3, 3), _float64(4, 3, 1)),
     "batch shapes that broadcast"),
    (lambda lib, A, B: lib.linalg.solve_triangular(A, B, upper=False),
     (numpy.ones((2, 2), dtype="int64"), numpy.ones((2, 2), dtype="int64")), "float32 or float64"),
    (lambda lib, A, B: lib.linalg.lstsq(A, B), (_float64(3), _float64(3)), "at least 2 dimensions"),
    (lambda lib, A, B: lib.linalg.lstsq(A, B), (_float64(5, 3), _float64(4, 2)), r"\(\.\.\., 5, k\) or \(\.\.\., 5\)"),
    (lambda lib, A, B: lib.linalg.lstsq(A, B), (_float64(5, 3), _float64(2, 5, 2)), r"got \(2, 5, 2\)"),
    (lambda lib, A, B: lib.linalg.lstsq(A, B), (_float64(2, 5, 3), _float64(3, 5, 2)), "batch shapes that broadcast"),
    (lambda lib, A, B: lib.linalg.lstsq(A, B), (_float64(5, 3), numpy.ones((5, 2), dtype="float32")),
     "one dtype, got float64 and float32"),
    (lambda lib, A, B: lib.linalg.lstsq(A, B, driver="gelsx"), (_float64(5, 3), _float64(5, 2)), "'gelsx'"),
    (lambda lib, A: lib.linalg.matrix_exp(A), (_float64(2, 3),), r"square matrices \(\.\.\., n, n\), got shape"),
    (lambda lib, A: lib.linalg.matrix_exp(A), (_float64(3),), "square matrices"),
    (lambda lib, A: lib.linalg.matrix_exp(A), (numpy.ones((2, 2), dtype="int64"),), "float32 or float64"),
    (lambda lib, B, L: lib.cholesky_solve(B, L), (_float64(3, 2), _float64(2, 3)), "square factors"),
    (lambda lib, B, L: lib.cholesky_solve(B, L), (_float64(2, 2), _float64(3, 3)), r"B of shape \(\.\.\., 3, k\)"),
    (lambda lib, B, L: lib.cholesky_solve(B, L), (_float64(3), _float64(3, 3)), r"got \(3,\)"),
    (lambda lib, B, L: lib.cholesky_solve(B, L), (numpy.ones((3, 2), dtype="float32"), _float64(3, 3)),
     "L and B of one dtype"),
    (lambda lib, x: lib.linalg.vander(x, N=1), (_float64(3),), "greater than 1, got 1"),
    (lambda lib, x: lib.linalg.vander(x), (_float64(1),), "greater than 1, got 1"),
    (lambda lib, x: lib.linalg.vander(x), (numpy.ones(3, dtype=bool),), "dtype bool"),
]


@pytest.mark.parametrize("call, arrays, words", ERRORS)
def test_errors_where_pytorch_raises_them(call, arrays, words, torch):
    with pytest.raises(RuntimeError):
        call(torch, *[torch.tensor(a) for a in arrays])
    with pytest.raises(RuntimeError, match=words):
        call(OURS, *[Tensor(a) for a in arrays])


def test_solve_triangular_needs_upper_as_pytorchs_does():
    with pytest.raises(TypeError, match="upper"):
        tg.linalg.solve_triangular(Tensor(_float64(2, 2)), Tensor(_float64(2, 2)))


@pytest.mark.parametrize("shapes", [((3, 3), (2, 3)), ((4, 2, 2), (4, 5, 2)), ((2, 3, 3), (1, 3))])
def test_solve_with_left_false_solves_x_a_equals_b_as_pytorchs(torch, shapes):
    rng = numpy.random.default_rng(4)
    a = rng.standard_normal(shapes[0]) + 3 * numpy.eye(shapes[0][-1])
    b = rng.standard_normal(shapes[1])
    ours_a, ours_b = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    theirs_a, theirs_b = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours, theirs = tg.linalg.solve(ours_a, ours_b, left=False), torch.linalg.solve(theirs_a, theirs_b, left=False)
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    numpy.testing.assert_allclose(ours_a.grad.numpy(), theirs_a.grad.numpy(), rtol=1e-10, atol=1e-12)
    numpy.testing.assert_allclose(ours_b.grad.numpy(), theirs_b.grad.numpy(), rtol=1e-10, atol=1e-12)
