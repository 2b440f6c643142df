"""``autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp against PyTorch's."""

import numpy
import pytest

import tinygrad_bn


def _f(torch):
    return lambda x, y: (x.sin() * y).sum() + (x * x * y).sum()


def _g(torch):
    return lambda x: x.tanh() * x


@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
def test_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    rng = numpy.random.default_rng(0)
    x, y, v = (rng.standard_normal(3) for _ in range(3))

    def call(lib):
        F = lib.autograd.functional
        tx, ty, tv = (lib.tensor(a) for a in (x, y, v))
        if name == "jacobian":
            return F.jacobian(_g(lib), tx)
        if name == "hessian":
            return F.hessian(_f(lib), (tx, ty))[0][1]
        if name == "vjp":
            return F.vjp(_g(lib), tx, tv)[1]
        if name == "jvp":
            return F.jvp(_g(lib), tx, tv)[1]
        return getattr(F, name)(_f(lib), (tx, ty), (tv, tv))[1][0]

    numpy.testing.assert_allclose(call(tinygrad_bn).numpy(), call(torch).numpy(), rtol=1e-12, atol=1e-14)


def test_gradcheck_is_under_pytorchs_path():
    from tinygrad_bn.check import gradcheck

    assert tinygrad_bn.autograd.gradcheck is gradcheck
