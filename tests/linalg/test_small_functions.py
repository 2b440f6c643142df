"""linalg.vecdot, linalg.matmul, linalg.diagonal, linalg.cond, linalg.tensorinv,
linalg.tensorsolve, and torch.pinverse, torch.cholesky_inverse (also as Tensor methods)
and the deprecated torch.triangular_solve: PyTorch's values and gradients in
float64, gradcheck and gradgradcheck, and the strict stand-in device."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck, gradgradcheck

RNG = numpy.random.default_rng(5)
X = RNG.standard_normal((2, 3, 4))
T = RNG.standard_normal((6, 2, 3)) + 3 * numpy.eye(6).reshape(6, 2, 3)
SPD = numpy.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])

CALLS = {
    "vecdot": lambda f, x, a: f.linalg.vecdot(x, x[0, 0]),
    "vecdot dim": lambda f, x, a: f.linalg.vecdot(x, x[:1], dim=1),
    "linalg.matmul": lambda f, x, a: f.linalg.matmul(x, x.transpose(-1, -2)),
    "linalg.diagonal": lambda f, x, a: f.linalg.diagonal(x, offset=1),
    "linalg.diagonal dims": lambda f, x, a: f.linalg.diagonal(x, offset=-1, dim1=0, dim2=2),
    "cond": lambda f, x, a: f.linalg.cond(x),
    "cond -2": lambda f, x, a: f.linalg.cond(a, -2),
    "pinverse": lambda f, x, a: f.pinverse(x),
    "pinverse rcond method": lambda f, x, a: x.pinverse(rcond=0.5),
    "cholesky_inverse": lambda f, x, a: f.cholesky_inverse(f.linalg.cholesky(a)),
    "cholesky_inverse upper method": lambda f, x, a: f.linalg.cholesky(a).mT.cholesky_inverse(upper=True),
    "tensorinv": lambda f, x, a: f.linalg.tensorinv(_t(f, x), ind=1),
    "tensorinv ind 2": lambda f, x, a: f.linalg.tensorinv(_t(f, x).reshape(2, 3, 6)),
    "tensorsolve": lambda f, x, a: f.linalg.tensorsolve(_t(f, x).reshape(2, 3, 6), x[0, :, :2].T),
    "tensorsolve dims": lambda f, x, a: f.linalg.tensorsolve(_t(f, x), x[0, :, :2].T, dims=(0,)),
    "triangular_solve": lambda f, x, a: f.triangular_solve(x[0, :, :2], a).solution,
    "triangular_solve lower transposed unit": lambda f, x, a: f.triangular_solve(x[0], a, upper=False, transpose=True,
                                                                                unitriangular=True).solution,
}


def _t(f, x):
    """A well-conditioned (6, 2, 3) tensor beside x that depends on x."""
    return f.tensor(T, device=x.device) + 0.1 * x.reshape(6, 2, 2).repeat_interleave(2, dim=-1)[..., :3]


@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
@pytest.mark.parametrize("name", CALLS)
def test_values_and_gradients_match_pytorch(torch, name):
    def run(f):
        x, a = f.tensor(X, requires_grad=True), f.tensor(SPD, requires_grad=True)
        y = CALLS[name](f, x, a)
        weights = f.tensor(numpy.linspace(-1.0, 2.0, y.numel()).reshape(tuple(y.shape)))
        grads = f.autograd.grad((y * weights).sum(), (x, a), allow_unused=True)
        return [y.detach().numpy()] + [g.numpy() for g in grads if g is not None]

    ours, theirs = run(tg), run(torch)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        numpy.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("p", ["fro", "nuc", 1, -1, numpy.inf, -numpy.inf])
def test_cond_in_the_other_norms_is_pytorchs(torch, p):
    ours = tg.linalg.cond(tg.tensor(SPD), p)
    theirs = torch.linalg.cond(torch.tensor(SPD), p)
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
@pytest.mark.parametrize("name", ["vecdot", "linalg.diagonal", "cond", "pinverse", "cholesky_inverse", "tensorinv",
                                  "tensorsolve dims", "triangular_solve lower transposed unit"])
def test_gradcheck_and_gradgradcheck(name):
    x, a = tg.tensor(X, requires_grad=True), tg.tensor(SPD, requires_grad=True)

    def function(x, a):  # through a symmetric matrix: a Cholesky factor reads one triangle only
        return CALLS[name](tg, x, (a + a.mT) / 2)

    assert gradcheck(function, (x, a))
    assert gradgradcheck(function, (x, a))


def test_cond_refuses_an_unknown_norm():
    with pytest.raises(RuntimeError, match="expects p to be None, 2, -2, 'fro', 'nuc', 1, -1, inf or -inf, got 3"):
        tg.linalg.cond(tg.tensor(SPD), 3)


@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
@pytest.mark.parametrize("name", CALLS)
def test_on_the_strict_device(strict_cuda, name):
    def run(device):
        x, a = tg.tensor(X, device=device, requires_grad=True), tg.tensor(SPD, device=device, requires_grad=True)
        y = CALLS[name](tg, x, a)
        grads = tg.autograd.grad((y * y).sum(), (x, a), allow_unused=True)
        return [t.cpu().detach().numpy() for t in (y, *grads) if t is not None]

    for a, b in zip(run("cuda"), run("cpu"), strict=True):
        numpy.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_triangular_solve_warns_and_tensorinv_tensorsolve_refuse_as_pytorch(torch):
    with pytest.warns(UserWarning, match="triangular_solve is deprecated"):
        result = tg.triangular_solve(tg.ones(3, 1, dtype=tg.float64), tg.tensor(SPD))
    assert result._fields == ("solution", "cloned_coefficient")
    numpy.testing.assert_array_equal(result.cloned_coefficient.numpy(), SPD)
    for call, words in [(lambda f: f.linalg.tensorinv(f.ones(2, 3, 4), ind=1), "but got 12 != 2"),
                        (lambda f: f.linalg.tensorinv(f.ones(2, 2), ind=0), "strictly positive integer for 'ind'"),
                        (lambda f: f.linalg.tensorsolve(f.ones(2, 3, 4), f.ones(2, 3)), "but got 4 != 6")]:
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError, match=words):
            call(tg)
