"""householder_product and geqrf: values and gradients against PyTorch (float32 and
float64, tall, square and batched matrices, fewer reflectors than columns),
gradcheck and gradgradcheck, errors as PyTorch's, and the strict device."""

import numpy
import pytest

import tinygrad_bn as tg
from tests.ops.conftest import _raises_like_torch
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.linalg.householder import geqrf, householder_product

# tau is not 2/‖v‖² here, so the product is not orthogonal and float32 gradients lose some digits to cancellation
TOLERANCE = {"float32": {"rtol": 1e-4, "atol": 1e-4}, "float64": {"rtol": 1e-12, "atol": 1e-12}}
# (A's shape, how many reflectors k)
SHAPES = [((4, 4), 4), ((5, 3), 3), ((5, 3), 2), ((2, 4, 2), 2), ((3, 1), 1), ((3, 2, 4, 3), 3)]
IDS = [f"{shape}-k{k}".replace(" ", "") for shape, k in SHAPES]


def _inputs(shape, k, seed=0):
    rng = numpy.random.default_rng([seed, *shape, k])
    return rng.standard_normal(shape), rng.uniform(0.5, 1.8, (*shape[:-2], k))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, k", SHAPES, ids=IDS)
def test_values_and_gradients_match_pytorch(torch, shape, k, dtype):
    def run(lib, product):
        A, tau = (lib.tensor(x.astype(dtype), requires_grad=True) for x in _inputs(shape, k))
        Q = product(A, tau)
        Q.backward(lib.tensor(numpy.linspace(-1.0, 2.0, Q.numel()).reshape(tuple(Q.shape)).astype(dtype)))
        return Q.detach().numpy(), A.grad.numpy(), tau.grad.numpy()

    for ours, theirs in zip(run(tg, householder_product), run(torch, torch.linalg.householder_product), strict=True):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        numpy.testing.assert_allclose(ours, theirs, **TOLERANCE[dtype])


@pytest.mark.parametrize("shape, k", [SHAPES[0], SHAPES[2], SHAPES[3]], ids=[IDS[0], IDS[2], IDS[3]])
def test_gradients_match_finite_differences(shape, k):
    A, tau = (tg.tensor(x, requires_grad=True) for x in _inputs(shape, k, seed=1))
    assert gradcheck(householder_product, (A, tau))
    assert gradgradcheck(householder_product, (A, tau))


def test_no_reflectors_give_the_identitys_columns(torch):
    A = numpy.random.default_rng(5).standard_normal((2, 4, 3))
    ours = householder_product(tg.tensor(A), tg.zeros(2, 0, dtype=tg.float64))
    theirs = torch.linalg.householder_product(torch.tensor(A), torch.zeros(2, 0, dtype=torch.float64))
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_the_product_of_geqrf_is_the_q_of_qr():
    x = numpy.random.default_rng(2).standard_normal((2, 6, 4))
    Q = householder_product(*geqrf(tg.tensor(x))).numpy()
    numpy.testing.assert_allclose(numpy.swapaxes(Q, -1, -2) @ Q, numpy.broadcast_to(numpy.eye(4), (2, 4, 4)),
                                  atol=1e-14)
    R = numpy.triu(geqrf(tg.tensor(x)).a.numpy()[..., :4, :])
    numpy.testing.assert_allclose(Q @ R, x, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 3, 4, 2), (1, 3), (3, 1)])
def test_geqrf_matches_pytorch(torch, shape, dtype):
    x = numpy.random.default_rng([3, *shape]).standard_normal(shape).astype(dtype)
    ours, theirs = geqrf(tg.tensor(x)), torch.geqrf(torch.tensor(x))
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.dtype == numpy.dtype(dtype) and mine.shape == tuple(other.shape)
        numpy.testing.assert_allclose(mine.numpy(), other.numpy(), **TOLERANCE[dtype])


def test_geqrf_leaves_a_column_already_zero_below_its_diagonal(torch):
    x = numpy.array([[0.0, 1.0], [0.0, 2.0]])  # nothing to reflect in column 0, a zero α
    ours, theirs = geqrf(tg.tensor(x)), torch.geqrf(torch.tensor(x))
    assert ours.tau.tolist() == theirs.tau.tolist() == [0.0, 0.0]
    numpy.testing.assert_array_equal(ours.a.numpy(), theirs.a.numpy())


@pytest.mark.parametrize("A_shape, tau_shape, tau_dtype, words", [
    ((2, 3), (2,), "float64", r"input.shape\[-2\] >= input.shape\[-1\]"),
    ((3, 2), (3,), "float64", r"k <= 2, got \(3,\)"),
    ((3,), (1,), "float64", "at least 2 dimensions"),
    ((2, 3, 2), (3, 2), "float64", r"tau of shape \(\*\(2,\), k\)"),
    ((3, 2), (1, 2), "float64", "one dimension less"),
    ((3, 2), (2,), "float32", "expects tau of the input's dtype float64, got float32"),
])
def test_bad_shapes_and_dtypes_are_refused_as_in_pytorch(torch, A_shape, tau_shape, tau_dtype, words):
    A, tau = numpy.ones(A_shape), numpy.ones(tau_shape, dtype=tau_dtype)
    _raises_like_torch(lambda: householder_product(tg.tensor(A), tg.tensor(tau)),
                      lambda: torch.linalg.householder_product(torch.tensor(A), torch.tensor(tau)), words)


def test_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        x = numpy.random.default_rng(4).standard_normal((2, 5, 3))
        A, tau = geqrf(tg.tensor(x, device=device))
        A.requires_grad_(True)
        Q = householder_product(A, tau)
        Q.sum().backward()
        assert Q.device == A.grad.device == device
        results.append([Q.numpy(), A.grad.numpy(), tau.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-14, atol=1e-15)
