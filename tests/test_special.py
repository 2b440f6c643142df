"""tinygrad_bn.special against torch.special: edge values (0, ±∞, NaN, far tails), dtypes,
arguments and errors. Gradients of every order at ordinary points come from the op-case
registry (the ``special.*`` cases of tests/ops/conftest.py)."""

import math

import numpy
import pytest

import tinygrad_bn as tg

EDGES = numpy.array([0.0, -0.0, 1.0, -1.0, 0.5, 1e-30, -1e-30, 3.5, -3.5, 29.9, -30.1, 85.0, 700.0, 1e6, -1e6,
                     math.inf, -math.inf, math.nan])
TAILS = numpy.array([-1e10, -1e5, -300.0, -40.0, -38.5, -20.0, -8.0, -1.5, -1.2, 0.7, 5.0, 9.0, 30.0, 1e5])
PROBABILITIES = numpy.array([0.0, 1e-300, 1e-100, 1e-20, 1e-8, 1e-3, 0.02, 0.3, 0.7, 0.97, 1 - 1e-9, 1.0, 1.5, -0.1,
                             math.nan])
UNARY = ["expit", "erf", "erfc", "erfinv", "gammaln", "digamma", "psi", "log1p", "expm1", "exp2", "sinc", "round",
         "entr", "ndtr", "log_ndtr", "ndtri", "logit", "i0", "i1", "i0e", "i1e"]


def _values(name, dtype):
    if name in ("erfinv", "ndtri", "logit"):
        return PROBABILITIES.astype(dtype) if name != "erfinv" else (2 * PROBABILITIES - 1).astype(dtype)
    if name in ("ndtr", "log_ndtr", "erfc"):
        return numpy.concatenate([EDGES, TAILS]).astype(dtype)
    return EDGES.astype(dtype)


def _close(ours, theirs, dtype, rtol=None):
    rtol = rtol or {"float32": 2e-6, "float64": 1e-12}[dtype]
    numpy.testing.assert_allclose(ours, theirs, rtol=rtol, atol={"float32": 1e-30, "float64": 1e-300}[dtype])


# exact values at 40 digits, for the functions whose tails PyTorch computes less accurately
# (its float64 ndtr(−20) is 0, not 2.8e-89; its float32 ndtr(−3.5) errs by 3e-5)
MPMATH = {
    "erfc": lambda mp, x: mp.erfc(x),
    "ndtr": lambda mp, x: mp.ncdf(x),
    "log_ndtr": lambda mp, x: mp.log1p(-mp.ncdf(-x)) if x > 0 else mp.log(mp.ncdf(x)),
}


def _reference(name, x, torch):
    """PyTorch's values, or for MPMATH's functions mpmath's at the finite points."""
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    if name not in MPMATH:
        return theirs
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    exact = numpy.isfinite(x)
    values = [float(MPMATH[name](mpmath, mpmath.mpf(float(v)))) for v in x[exact]]
    theirs = theirs.copy()
    theirs[exact] = numpy.asarray(values).astype(x.dtype)
    return theirs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_edge_values_match_pytorch(torch, name, dtype):
    x = _values(name, dtype)
    ours = getattr(tg.special, name)(tg.tensor(x))
    assert str(ours.dtype) == str(getattr(torch.special, name)(torch.tensor(x)).dtype).removeprefix("torch.")
    # erfinv and ndtri near their zero differ in absolute terms from PyTorch's by ~1e-17
    rtol = 2e-5 if (name, dtype) in {("ndtri", "float32"), ("erfinv", "float32")} else None
    _close(ours.numpy(), _reference(name, x, torch), dtype, rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["ndtr", "log_ndtr", "erfc"])
def test_tail_gradients_match_pytorch_in_float64(torch, name, dtype):
    """In the far tails the gradients stay finite and exact (PyTorch's float32 ones err by 3e-5
    at −33, so the reference is PyTorch's float64, rounded). In float32, x/√2 rounds before
    e^(−x²/2) is taken, a relative error of x²·6e-8: 5e-6 at x = 9."""
    x = TAILS[numpy.abs(TAILS) < 1e4]
    ours = tg.tensor(x.astype(dtype), requires_grad=True)
    getattr(tg.special, name)(ours).sum().backward()
    theirs = torch.tensor(x.astype(dtype).astype("float64"), requires_grad=True)
    getattr(torch.special, name)(theirs).sum().backward()
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy().astype(dtype),
                                  rtol={"float32": 1e-5, "float64": 1e-11}[dtype], atol=0)


@pytest.mark.parametrize("name", ["i0", "i1", "i0e", "i1e"])
def test_bessel_gradients_match_pytorch_on_both_sides_of_the_series(torch, name):
    x = numpy.array([0.0, -1e-8, 2.0, -12.0, 29.9, -30.1, 45.0, 300.0])
    ours = tg.tensor(x, requires_grad=True)
    getattr(tg.special, name)(ours).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    getattr(torch.special, name)(theirs).sum().backward()
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_ndtri_is_accurate_in_its_far_tail(torch):
    p = numpy.exp(numpy.linspace(-700.0, -1.0, 200))
    numpy.testing.assert_allclose(tg.special.ndtri(tg.tensor(p)).numpy(), torch.special.ndtri(torch.tensor(p)).numpy(),
                                  rtol=1e-13)


def test_entr_and_xlog1py_edges_match_pytorch(matches_torch_special):
    matches_torch_special(lambda s, x: s.entr(x), [0.0, -1.0, 2.0, math.inf, math.nan, 1e-300])
    matches_torch_special(lambda s, x, y: s.xlog1py(x, y), [0.0, 1.0, -1.0, 0.0, 2.0, 0.0, 0.0],
                          [3.0, 0.0, math.nan, 1e300, -0.5, -1.0, -2.0])


@pytest.fixture
def matches_torch_special(torch):
    """``check(fn, *lists)``: fn(special, *tensors) agrees with PyTorch in value and gradient (float64)."""

    def check(fn, *values):
        arrays = [numpy.asarray(v, dtype="float64") for v in values]
        ours = [tg.tensor(a, requires_grad=True) for a in arrays]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        y, expected = fn(tg.special, *ours), fn(torch.special, *theirs)
        numpy.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), rtol=1e-13)
        y.sum().backward()
        expected.sum().backward()
        numpy.testing.assert_allclose(ours[0].grad.numpy(), theirs[0].grad.numpy(), rtol=1e-13)

    return check


@pytest.mark.parametrize("p", [1, 2, 4])
def test_multigammaln_matches_pytorch(torch, p):
    a = numpy.array([2.5, 3.0, 7.25, 40.0])
    ours = tg.tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    y, expected = tg.special.multigammaln(ours, p), torch.special.multigammaln(theirs, p)
    numpy.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), rtol=1e-13)
    y.sum().backward()
    expected.sum().backward()
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9)


def test_multigammaln_refuses_p_below_one_as_pytorch(torch):
    with pytest.raises(RuntimeError, match="p") as theirs:
        torch.special.multigammaln(torch.tensor([3.0]), 0)
    assert "greater than or equal to 1" in str(theirs.value)
    with pytest.raises(RuntimeError, match="p, an int ≥ 1, got 0"):
        tg.special.multigammaln(tg.tensor([3.0]), 0)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_dim_is_required_as_in_pytorch(torch, name):
    with pytest.raises(TypeError):
        getattr(torch.special, name)(torch.ones(2, 3))
    with pytest.raises(TypeError):
        getattr(tg.special, name)(tg.ones(2, 3))


def test_reductions_and_rounding_take_pytorchs_arguments(torch):
    x = numpy.random.default_rng(0).standard_normal((2, 3, 4))
    calls = [
        lambda s, t: s.logsumexp(t, (0, 2), keepdim=True),
        lambda s, t: s.softmax(t, 1, dtype=t.dtype),
        lambda s, t: s.log_softmax(t, dim=-1),
        lambda s, t: s.round(t * 100, decimals=-1),
        lambda s, t: s.polygamma(3, t.abs() + 0.5),
        lambda s, t: s.logit(t.sigmoid(), eps=0.3),
    ]
    for call in calls:
        numpy.testing.assert_allclose(call(tg.special, tg.tensor(x)).numpy(),
                                      call(torch.special, torch.tensor(x)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["expit", "erfc", "ndtr", "log_ndtr", "ndtri", "entr", "gammaln"])
def test_integers_give_the_default_float_dtype(torch, name):
    x = [0, 1, 2]
    assert str(getattr(tg.special, name)(tg.tensor(x)).dtype) == \
        str(getattr(torch.special, name)(torch.tensor(x)).dtype).removeprefix("torch.")


def test_our_names_are_pytorchs(torch):
    assert set(tg.special.__all__) <= set(dir(torch.special))


def test_special_is_reachable_as_pytorchs():
    import tinygrad_bn as torch

    assert torch.special.gammaln is tg.lgamma
