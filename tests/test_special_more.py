"""erfcx, gammainc, gammaincc and zeta of tinygrad_bn.special against mpmath (40 or 100 digits)
and torch.special: ordinary values, far tails, 0, ±∞ and NaN, dtypes, and gradients, which
exist in the last argument only (backward in the first raises, as PyTorch's does)."""

import math
from fractions import Fraction
from math import comb, factorial

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck, gradgradcheck

inf, nan = math.inf, math.nan
rng = numpy.random.default_rng(7)
RTOL = {"float32": 2e-6, "float64": 1e-12}


def _mpmath(function, *columns, dps=40):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = dps
    return numpy.array([float(mpmath.re(function(mpmath, *map(mpmath.mpf, row)))) for row in zip(*columns)])


def _relative_error(ours, exact):
    return numpy.abs(ours - exact) / numpy.abs(exact)


def _torch_dtype(tensor):
    return str(tensor.dtype).removeprefix("torch.")


# erfcx -------------------------------------------------------------------------------------

ERFCX_POINTS = numpy.concatenate([
    rng.uniform(-26.0, 30.0, 400), numpy.exp(rng.uniform(-30.0, 200.0, 200)), -numpy.exp(rng.uniform(-30.0, 3.2, 100)),
    [0.0, 1.0, -1.0, 0.999999, 1.000001, 26.6, -26.6, -26.62, 1e8, 1.1e8],
])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erfcx_matches_mpmath(dtype):
    """erfcx(x) = e^(x²)·erfc(x) within RTOL of the exact value at x rounded to ``dtype``
    (PyTorch's float32 erfcx errs by 3e-6 near −8.7, so the reference is exact)."""
    x = ERFCX_POINTS[numpy.abs(ERFCX_POINTS) < numpy.finfo(dtype).max].astype(dtype)
    exact = _mpmath(lambda m, v: m.erfc(v) * m.exp(v * v), x.astype("float64"))
    ours = tg.special.erfcx(tg.tensor(x)).numpy()
    assert ours.dtype == dtype
    finite = numpy.abs(exact) < numpy.finfo(dtype).max
    assert _relative_error(ours[finite], exact[finite]).max() <= RTOL[dtype]
    assert (ours[~finite] == inf).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erfcx_edges_match_pytorch(torch, dtype):
    big = numpy.finfo(dtype).max
    x = numpy.array([0.0, -0.0, 1e-30, big, -big, 1e20, -27.0, inf, -inf, nan], dtype=dtype)
    ours, theirs = tg.special.erfcx(tg.tensor(x)).numpy(), torch.special.erfcx(torch.tensor(x)).numpy()
    numpy.testing.assert_allclose(ours, theirs, rtol=RTOL[dtype], atol=0)


def test_erfcx_gradients_match_pytorch(torch):
    x = numpy.array([-20.0, -3.0, -1.0, -1e-8, 0.0, 0.5, 1.0, 2.5, 40.0, 1e3])
    ours = tg.tensor(x, requires_grad=True)
    tg.special.erfcx(ours).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    torch.special.erfcx(theirs).sum().backward()
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9)


def test_erfcx_gradients_of_two_orders():
    x = tg.tensor([-2.0, -0.3, 0.4, 1.7, 6.0], dtype="float64", requires_grad=True)
    assert gradcheck(tg.special.erfcx, [x])
    assert gradgradcheck(tg.special.erfcx, [x])


# gammainc, gammaincc -----------------------------------------------------------------------

GAMMA_A = numpy.concatenate([rng.uniform(0.01, 20.0, 300), numpy.exp(rng.uniform(-3.0, 7.0, 150)),
                             numpy.exp(rng.uniform(-700.0, -0.7, 100)), [1.0, 0.5, 10.0, 9.999, 1000.0]])
GAMMA_X = numpy.concatenate([rng.uniform(0.0, 30.0, 300), GAMMA_A[300:450] * numpy.exp(rng.uniform(-0.3, 0.3, 150)),
                             rng.uniform(0.0, 1.0, 100), [1.0, 1e-10, 10.0, 10.001, 1010.0]])
REGULARIZED = {
    "gammainc": lambda m, a, x: m.gammainc(a, 0, x, regularized=True),
    "gammaincc": lambda m, a, x: m.gammainc(a, x, m.inf, regularized=True),
}


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_regularized_gamma_matches_mpmath_in_float64(name):
    """Within 1e-12 where a ≤ 100 (including a ≪ 1, where PyTorch's Q = 1 − P loses all its
    digits) and 2e-13 beyond, where e^(−a·φ) itself carries the rounding of a·φ."""
    exact = _mpmath(REGULARIZED[name], GAMMA_A, GAMMA_X)
    ours = getattr(tg.special, name)(tg.tensor(GAMMA_A), tg.tensor(GAMMA_X)).numpy()
    measurable = exact > 1e-300
    error = _relative_error(ours[measurable], exact[measurable])
    assert error[GAMMA_A[measurable] <= 100].max() <= 1e-12
    assert error.max() <= 2e-13


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_regularized_gamma_in_float32_matches_pytorch(torch, name):
    a, x = GAMMA_A[:450].astype("float32"), GAMMA_X[:450].astype("float32")
    ours = getattr(tg.special, name)(tg.tensor(a), tg.tensor(x))
    theirs = getattr(torch.special, name)(torch.tensor(a), torch.tensor(x))
    assert str(ours.dtype) == _torch_dtype(theirs)
    # where the value is below 1e-30, both carry float32's rounding of a and x, not a relative 2e-6
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-5, atol=1e-30)


GAMMA_EDGES = [
    (inf, inf), (0.0, inf), (0.0, nan), (1.0, 0.0), (0.5, 0.0), (2.0, 0.0), (1.0, inf), (0.5, inf), (5.0, 1e300),
    (-1.0, 1.0), (1.0, -1.0), (nan, 1.0), (3.0, nan), (0.0, 0.0), (inf, 0.0), (inf, 5.0), (0.0, 2.0), (7.0, 7.5),
]


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_regularized_gamma_edges_and_x_gradients_match_pytorch(torch, name):
    a, x = (numpy.array(column) for column in zip(*GAMMA_EDGES))
    ours_x = tg.tensor(x, requires_grad=True)
    ours = getattr(tg.special, name)(tg.tensor(a), ours_x)
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = getattr(torch.special, name)(torch.tensor(a), theirs_x)
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=0)
    ours.sum().backward()
    theirs.sum().backward()
    numpy.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_regularized_gamma_x_gradients_of_two_orders(name):
    a = tg.tensor([0.5, 2.0, 7.5, 30.0], dtype="float64")
    x = tg.tensor([0.3, 1.5, 9.0, 28.0], dtype="float64", requires_grad=True)
    fn = getattr(tg.special, name)
    assert gradcheck(lambda t: fn(a, t), [x])
    assert gradgradcheck(lambda t: fn(a, t), [x])


@pytest.mark.parametrize("name, internal", [("gammainc", "igamma"), ("gammaincc", "igammac")])
def test_regularized_gamma_has_no_gradient_in_a_as_in_pytorch(torch, name, internal):
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch.special, name)(torch.tensor([2.0], requires_grad=True), torch.tensor([1.0])).sum().backward()
    with pytest.raises(RuntimeError) as ours:
        getattr(tg.special, name)(tg.tensor([2.0], requires_grad=True), tg.tensor([1.0])).sum().backward()
    assert str(ours.value) == str(theirs.value) == f"the derivative for '{internal}: input' is not implemented."


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_regularized_gamma_takes_tensors_only_and_promotes_as_pytorch(torch, name):
    with pytest.raises(TypeError):
        getattr(torch.special, name)(torch.tensor([1.0]), 2.0)
    with pytest.raises(TypeError, match="other must be a Tensor, got float"):
        getattr(tg.special, name)(tg.tensor([1.0]), 2.0)
    pairs = [("float32", "float64", (3,), (3,)), ("float64", "float32", (), (3,)), ("float32", "float32", (2, 1), (3,))]
    for dtype_a, dtype_x, shape_a, shape_x in pairs:
        a, x = numpy.full(shape_a, 2.5, dtype=dtype_a), numpy.full(shape_x, 1.5, dtype=dtype_x)
        ours = getattr(tg.special, name)(tg.tensor(a), tg.tensor(x))
        theirs = getattr(torch.special, name)(torch.tensor(a), torch.tensor(x))
        assert str(ours.dtype) == _torch_dtype(theirs)
        numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_regularized_gamma_of_integers_is_in_the_default_float_dtype():
    """PyTorch refuses integer tensors here ("not implemented for 'Long'"); these take the
    default float dtype, as every other op of torch.special does with integers."""
    assert tg.special.gammainc(tg.tensor([1, 2]), tg.tensor([1, 3])).dtype == tg.get_default_dtype()


# zeta --------------------------------------------------------------------------------------

ZETA_S = numpy.concatenate([rng.uniform(1.001, 30.0, 300), numpy.exp(rng.uniform(-20.0, 1.0, 100)) + 1.0,
                            rng.integers(2, 12, 100).astype(float), [2.0, 1.0000001, 60.0, 1.5, 3.0, 4.5]])
ZETA_Q = numpy.concatenate([numpy.exp(rng.uniform(-10.0, 10.0, 300)), rng.uniform(0.0, 5.0, 100),
                            -rng.uniform(0.05, 50.0, 100), [1.0, 1.0, 0.5, 1e200, 1e-5, 1e5]])


def test_zeta_matches_mpmath_in_float64():
    exact = _mpmath(lambda m, s, q: m.zeta(s, q), ZETA_S, ZETA_Q, dps=100)  # at 60 digits mpmath errs by 2e-10
    ours = tg.special.zeta(tg.tensor(ZETA_S), tg.tensor(ZETA_Q)).numpy()
    assert _relative_error(ours, exact).max() <= 1e-12


def test_zeta_in_float32_matches_pytorch(torch):
    s, q = ZETA_S[:400].astype("float32"), ZETA_Q[:400].astype("float32")
    ours = tg.special.zeta(tg.tensor(s), tg.tensor(q))
    theirs = torch.special.zeta(torch.tensor(s), torch.tensor(q))
    assert ours.dtype == tg.float32
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-5, atol=1e-37)


ZETA_EDGES = [
    (1.0, nan), (nan, 1.0), (inf, 2.0), (inf, 0.5), (inf, 1.0), (inf, -0.5), (2.0, -inf), (2.0, 1e-300), (3.0, 0.0),
    (3.0, -0.0), (3.0, -1.0), (3.0, -1.5), (2.0, -2.5), (4.0, -40.3), (1.5, -1.5), (0.5, 1.0), (0.0, 1.0),
    (-1.0, 1.0), (-inf, 1.0), (2.0, inf), (1.0, inf), (1.0, 1.0), (1.0, -3.0), (3.0, 1e-10),
]


def test_zeta_edges_match_pytorch(torch):
    s, q = (numpy.array(column) for column in zip(*ZETA_EDGES))
    ours = tg.special.zeta(tg.tensor(s), tg.tensor(q)).numpy()
    theirs = torch.special.zeta(torch.tensor(s), torch.tensor(q)).numpy()
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)


def test_zeta_q_gradients_match_pytorch(torch):
    s = numpy.array([2.0, 1.0, 3.0, 3.0, 4.5, 2.0, 6.0])
    q = numpy.array([1.0, 1.0, -1.5, 1e-3, 1e5, -2.5, 0.7])
    ours_q = tg.tensor(q, requires_grad=True)
    tg.special.zeta(tg.tensor(s), ours_q).sum().backward()
    theirs_q = torch.tensor(q, requires_grad=True)
    torch.special.zeta(torch.tensor(s), theirs_q).sum().backward()
    numpy.testing.assert_allclose(ours_q.grad.numpy(), theirs_q.grad.numpy(), rtol=1e-12)


def test_zeta_q_gradients_of_two_orders():
    s = tg.tensor([2.0, 3.5, 7.0], dtype="float64")
    q = tg.tensor([0.6, 2.0, 11.0], dtype="float64", requires_grad=True)
    assert gradcheck(lambda t: tg.special.zeta(s, t), [q])
    assert gradgradcheck(lambda t: tg.special.zeta(s, t), [q])


def test_zeta_has_no_gradient_in_s_as_in_pytorch(torch):
    with pytest.raises(RuntimeError) as theirs:
        torch.special.zeta(torch.tensor([2.0], requires_grad=True), torch.tensor([1.0])).sum().backward()
    with pytest.raises(RuntimeError) as ours:
        tg.special.zeta(tg.tensor([2.0], requires_grad=True), tg.tensor([1.0])).sum().backward()
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("s, q", [(2.0, [1.0, 2.0]), ([2, 3], 1), ([2, 3], [1, 2]), ([2.0], [[1.0], [2.0]])])
def test_zeta_takes_numbers_and_promotes_as_pytorch(torch, s, q):
    def call(module, value):
        return module.tensor(value) if isinstance(value, list) else value

    ours = tg.special.zeta(call(tg, s), call(tg, q))
    theirs = torch.special.zeta(call(torch, s), call(torch, q))
    assert str(ours.dtype) == _torch_dtype(theirs)
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_new_names_are_pytorchs(torch):
    assert {"erfcx", "gammainc", "gammaincc", "zeta"} <= set(tg.special.__all__) & set(dir(torch.special))


# Bessel functions outside the graph ----------------------------------------------------------

BESSEL = {
    "bessel_j0": lambda m, x: m.besselj(0, x),
    "bessel_j1": lambda m, x: m.besselj(1, x),
    "bessel_y0": lambda m, x: m.bessely(0, x),
    "bessel_y1": lambda m, x: m.bessely(1, x),
    "modified_bessel_i0": lambda m, x: m.besseli(0, x),
    "modified_bessel_i1": lambda m, x: m.besseli(1, x),
    "modified_bessel_k0": lambda m, x: m.besselk(0, x),
    "modified_bessel_k1": lambda m, x: m.besselk(1, x),
    "scaled_modified_bessel_k0": lambda m, x: m.besselk(0, x) * m.exp(x),
    "scaled_modified_bessel_k1": lambda m, x: m.besselk(1, x) * m.exp(x),
    "spherical_bessel_j0": lambda m, x: m.sin(x) / x,
}
BESSEL_POINTS = numpy.concatenate([rng.uniform(-40.0, 40.0, 120), numpy.exp(rng.uniform(-30.0, 6.5, 60)),
                                   [0.1, 0.09999, 2.0, 2.0001, 25.0, 25.0001, 29.999, 30.0, 1e5, 1e10]])
POSITIVE_ONLY = {"bessel_y0", "bessel_y1", "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
                 "scaled_modified_bessel_k1"}
OSCILLATING = {"bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "spherical_bessel_j0"}


def _bessel_points(name):
    x = numpy.abs(BESSEL_POINTS) if name in POSITIVE_ONLY else BESSEL_POINTS
    return x[x != 0]


@pytest.mark.parametrize("name", sorted(BESSEL))
def test_bessel_functions_match_mpmath_in_float64(name):
    """Within 1e-12 relative, except that J₀, J₁, Y₀, Y₁ and sin(x)/x, near their zeros, are
    held to an absolute 1e-15 times their envelope √(2/(π|x|)) instead."""
    x = _bessel_points(name)
    exact = _mpmath(BESSEL[name], x)
    ours = getattr(tg.special, name)(tg.tensor(x)).numpy()
    finite = numpy.isfinite(exact) & (exact != 0)
    error = numpy.abs(ours - exact)[finite]
    if name in OSCILLATING:
        envelope = numpy.minimum(1.0, numpy.sqrt(2.0 / (numpy.pi * numpy.abs(x[finite]))))
        assert (error <= 1e-12 * numpy.abs(exact[finite]) + 1e-15 * envelope).all()
    else:
        assert (error <= 1e-12 * numpy.abs(exact[finite])).all()
        assert (ours[~finite] == exact[~finite]).all()


@pytest.mark.parametrize("name", sorted(BESSEL))
def test_bessel_functions_in_float32(torch, name):
    """Against PyTorch's float32 values, or for J₀, J₁, Y₀, Y₁ (whose float32 values in
    PyTorch err by up to 2e-6 relative, 4e-7 absolute) and sin(x)/x against mpmath's at the
    same points."""
    x = _bessel_points(name).astype("float32")
    ours = getattr(tg.special, name)(tg.tensor(x))
    assert ours.dtype == tg.float32
    if name in OSCILLATING:
        expected = _mpmath(BESSEL[name], x.astype("float64")).astype("float32")
    else:
        expected = getattr(torch.special, name)(torch.tensor(x)).numpy()
    numpy.testing.assert_allclose(ours.numpy(), expected, rtol=2e-6, atol=1e-15 if name in OSCILLATING else 0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(BESSEL))
def test_bessel_edges_match_pytorch(torch, name, dtype):
    x = numpy.array([0.0, -0.0, 1e-30, -1e-30, 0.5, -0.5, 2.0, -2.0, 30.0, 85.0, 700.0, 800.0, inf, -inf, nan])
    x = x.astype(dtype)
    ours = getattr(tg.special, name)(tg.tensor(x)).numpy()
    # PyTorch's float32 J₀, J₁, Y₀ and Y₁ err by 2e-6 at 700 and 800: there its float64 ones, rounded
    reference = "float64" if name in OSCILLATING else dtype
    theirs = getattr(torch.special, name)(torch.tensor(x.astype(reference))).numpy().astype(dtype)
    numpy.testing.assert_allclose(ours, theirs, rtol=RTOL[dtype], atol=0)


@pytest.mark.parametrize("name", sorted(BESSEL))
def test_bessel_functions_record_no_gradient_as_in_pytorch(torch, name):
    theirs = getattr(torch.special, name)(torch.tensor([0.5, 2.0], requires_grad=True))
    ours = getattr(tg.special, name)(tg.tensor([0.5, 2.0], requires_grad=True))
    assert ours.requires_grad is theirs.requires_grad is False
    with pytest.raises(RuntimeError):
        theirs.sum().backward()
    with pytest.raises(RuntimeError):
        ours.sum().backward()


@pytest.mark.parametrize("name", sorted(BESSEL))
def test_bessel_of_integers_is_in_the_default_float_dtype(torch, name):
    assert str(getattr(tg.special, name)(tg.tensor([1, 2])).dtype) == \
        _torch_dtype(getattr(torch.special, name)(torch.tensor([1, 2])))


def test_bessel_names_are_pytorchs(torch):
    assert set(BESSEL) <= set(tg.special.__all__) & set(dir(torch.special))


# the Airy function -----------------------------------------------------------------------

AIRY_POINTS = numpy.concatenate([rng.uniform(-15.0, 15.0, 400), -numpy.exp(rng.uniform(-5.0, 4.6, 60)),
                                 numpy.exp(rng.uniform(-20.0, 4.6, 60)), [-4.0, -4.0001, 2.0, 2.0001, -10.9, -10.95]])


def test_airy_ai_matches_mpmath_in_float64():
    """Within 2e-14·(1 + ζ) of |Ai| where it decays and of its envelope 1/(√π|x|^¼) where it
    oscillates: ζ = (2/3)|x|^(3/2) is the phase or the exponent, which rounding x shifts by
    a relative 1e-16."""
    x = AIRY_POINTS
    exact = _mpmath(lambda m, v: m.airyai(v), x)
    ours = tg.special.airy_ai(tg.tensor(x)).numpy()
    zeta = 2.0 / 3.0 * numpy.abs(x) ** 1.5
    scale = numpy.where(x < 0, 1.0 / (numpy.sqrt(numpy.pi) * numpy.abs(x) ** 0.25), numpy.abs(exact))
    assert (numpy.abs(ours - exact) <= 2e-14 * (1.0 + zeta) * scale).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_airy_ai_edges_match_pytorch(torch, dtype):
    """PyTorch's own float32 Ai errs by 6e-6 near −2 (its float64 one by 6e-11 near −5), so the
    points avoid its weak regions; Ai(x) for x > 103.9, below 1e-307, PyTorch rounds to 0."""
    x = numpy.array([0.0, -0.0, 1.0, -1.0, 0.5, 5.0, 30.0, 100.0, 110.0, 1e300, inf, -inf, nan]).astype(dtype)
    ours = tg.special.airy_ai(tg.tensor(x))
    theirs = torch.special.airy_ai(torch.tensor(x))
    assert str(ours.dtype) == _torch_dtype(theirs)
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=RTOL[dtype], atol=0)


def test_airy_ai_in_float32_matches_mpmath():
    x = AIRY_POINTS[numpy.abs(AIRY_POINTS) < 30].astype("float32")
    exact = _mpmath(lambda m, v: m.airyai(v), x.astype("float64")).astype("float32")
    numpy.testing.assert_allclose(tg.special.airy_ai(tg.tensor(x)).numpy(), exact, rtol=2e-6, atol=1e-14)


def test_airy_ai_records_no_gradient_and_promotes_integers_as_pytorch(torch):
    theirs = torch.special.airy_ai(torch.tensor([0.5, 2.0], requires_grad=True))
    ours = tg.special.airy_ai(tg.tensor([0.5, 2.0], requires_grad=True))
    assert ours.requires_grad is theirs.requires_grad is False
    with pytest.raises(RuntimeError):
        ours.sum().backward()
    assert str(tg.special.airy_ai(tg.tensor([1, 2])).dtype) == _torch_dtype(torch.special.airy_ai(torch.tensor([1, 2])))


# orthogonal polynomials ------------------------------------------------------------------


def _chebyshev_t(n, x):
    # Tₙ(x) = Σₖ C(n, 2k)(x² − 1)ᵏ xⁿ⁻²ᵏ
    return sum(comb(n, 2 * k) * (x * x - 1) ** k * x ** (n - 2 * k) for k in range(n // 2 + 1))


def _chebyshev_u(n, x):
    # Uₙ(x) = Σₖ C(n + 1, 2k + 1)(x² − 1)ᵏ xⁿ⁻²ᵏ
    return sum(comb(n + 1, 2 * k + 1) * (x * x - 1) ** k * x ** (n - 2 * k) for k in range(n // 2 + 1))


def _chebyshev_v(n, x):
    # Vₙ = Uₙ − Uₙ₋₁
    return _chebyshev_u(n, x) - (_chebyshev_u(n - 1, x) if n > 0 else 0)


def _chebyshev_w(n, x):
    # Wₙ = Uₙ + Uₙ₋₁
    return _chebyshev_u(n, x) + (_chebyshev_u(n - 1, x) if n > 0 else 0)


def _hermite(n, x):
    # Hₙ(x) = n! Σₘ (−1)ᵐ (2x)ⁿ⁻²ᵐ / (m!(n − 2m)!)
    return sum(Fraction((-1) ** m * factorial(n), factorial(m) * factorial(n - 2 * m)) * (2 * x) ** (n - 2 * m)
               for m in range(n // 2 + 1))


def _hermite_e(n, x):
    # Heₙ(x) = n! Σₘ (−1)ᵐ xⁿ⁻²ᵐ / (m!(n − 2m)! 2ᵐ)
    return sum(Fraction((-1) ** m * factorial(n), factorial(m) * factorial(n - 2 * m) * 2 ** m) * x ** (n - 2 * m)
               for m in range(n // 2 + 1))


def _laguerre(n, x):
    # Lₙ(x) = Σₖ C(n, k)(−x)ᵏ/k!
    return sum(Fraction(comb(n, k), factorial(k)) * (-x) ** k for k in range(n + 1))


def _legendre(n, x):
    # Pₙ(x) = 2⁻ⁿ Σₖ C(n, k)² (x − 1)ⁿ⁻ᵏ (x + 1)ᵏ
    return sum(comb(n, k) ** 2 * (x - 1) ** (n - k) * (x + 1) ** k for k in range(n + 1)) / 2 ** n


POLYNOMIALS = {
    "chebyshev_polynomial_t": _chebyshev_t,
    "chebyshev_polynomial_u": _chebyshev_u,
    "chebyshev_polynomial_v": _chebyshev_v,
    "chebyshev_polynomial_w": _chebyshev_w,
    "shifted_chebyshev_polynomial_t": lambda n, x: _chebyshev_t(n, 2 * x - 1),
    "shifted_chebyshev_polynomial_u": lambda n, x: _chebyshev_u(n, 2 * x - 1),
    "shifted_chebyshev_polynomial_v": lambda n, x: _chebyshev_v(n, 2 * x - 1),
    "shifted_chebyshev_polynomial_w": lambda n, x: _chebyshev_w(n, 2 * x - 1),
    "hermite_polynomial_h": _hermite,
    "hermite_polynomial_he": _hermite_e,
    "laguerre_polynomial_l": _laguerre,
    "legendre_polynomial_p": _legendre,
}
POLYNOMIAL_X = numpy.concatenate([rng.uniform(-1.0, 1.0, 40), rng.uniform(-4.0, 4.0, 20), [0.0, 1.0, -1.0, 0.5]])
DEGREES = [0, 1, 2, 3, 5, 8, 13, 25]


@pytest.mark.parametrize("name", sorted(POLYNOMIALS))
def test_polynomials_match_exact_sums_in_float64(name):
    """Each degree within 1e-12 of the exact value, or (near a root, where a relative error
    means nothing) within 1e-14·n of the largest |pₙ| over the points in its interval."""
    x = numpy.repeat(POLYNOMIAL_X, len(DEGREES))
    n = numpy.tile(numpy.array(DEGREES, dtype=float), len(POLYNOMIAL_X))
    exact = numpy.array([float(POLYNOMIALS[name](int(d), Fraction(v))) for d, v in zip(n, x)])
    ours = getattr(tg.special, name)(tg.tensor(x), tg.tensor(n)).numpy()
    for degree in DEGREES:
        row = n == degree
        scale = numpy.abs(exact[row]).max()
        error = numpy.abs(ours[row] - exact[row])
        assert (error <= 1e-12 * numpy.abs(exact[row]) + 1e-14 * max(degree, 1) * scale).all(), degree


POLYNOMIAL_EDGES_X = numpy.array([0.3, -0.7, 1.0, -1.0, 2.5, -3.0, 0.0, 0.999, inf, -inf])
POLYNOMIAL_EDGES_N = [0, 1, 2, 3, -1, -0.5, 0.5, 2.5, 3.7, 7.0, 30, 100, nan, inf, -inf]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(POLYNOMIALS))
def test_polynomial_edges_and_degrees_match_pytorch(torch, name, dtype):
    """Degrees truncated toward zero, 0 for negative or non-finite n, ±∞ in x, as PyTorch's
    float64 values rounded to ``dtype`` (its float32 recurrence turns an overflow into NaN)."""
    x = numpy.repeat(POLYNOMIAL_EDGES_X, len(POLYNOMIAL_EDGES_N)).astype(dtype)
    n = numpy.tile(numpy.array(POLYNOMIAL_EDGES_N), len(POLYNOMIAL_EDGES_X)).astype(dtype)
    ours = getattr(tg.special, name)(tg.tensor(x), tg.tensor(n))
    theirs = getattr(torch.special, name)(torch.tensor(x), torch.tensor(n))
    assert str(ours.dtype) == _torch_dtype(theirs)
    with numpy.errstate(over="ignore"):
        exact = getattr(torch.special, name)(torch.tensor(x, dtype=torch.float64), torch.tensor(n, dtype=torch.float64))
        expected = exact.numpy().astype(dtype)
    numpy.testing.assert_allclose(ours.numpy(), expected, rtol=RTOL[dtype], atol=1e-13)


@pytest.mark.parametrize("name", sorted(POLYNOMIALS))
def test_polynomials_of_nan_are_nan_from_degree_one_on(name):
    """pₙ(NaN) is NaN for n ≥ 1 (PyTorch gives ∞ at n = 2 and 1 from n = 3 on in six of the
    families, and NaN in the others), 1 for n = 0, and 0 for a negative n."""
    n = numpy.array([0.0, 1.0, 2.0, 3.0, 7.0, -1.0])
    ours = getattr(tg.special, name)(tg.tensor(numpy.full(6, nan)), tg.tensor(n)).numpy()
    assert ours[0] == 1.0 and numpy.isnan(ours[1:5]).all() and ours[5] == 0.0


@pytest.mark.parametrize("name", sorted(POLYNOMIALS))
def test_polynomials_broadcast_promote_and_take_numbers_as_pytorch(torch, name):
    calls = [
        lambda m: (m.tensor([0.5, -0.25], dtype=m.float32), 3),
        lambda m: (m.tensor([0.5, -0.25], dtype=m.float32), m.tensor([[2], [4]])),
        lambda m: (m.tensor([1, 2]), m.tensor([3])),
        lambda m: (m.tensor([0.5], dtype=m.float32), m.tensor([3.0], dtype=m.float64)),
        lambda m: (m.tensor([0.5], dtype=m.float64), 3.5),
        lambda m: (m.tensor([0.5], dtype=m.float32), m.tensor(4.0, dtype=m.float64)),
        lambda m: (0.5, m.tensor([3, 4])),
    ]
    for call in calls:
        ours = getattr(tg.special, name)(*call(tg))
        theirs = getattr(torch.special, name)(*call(torch))
        assert str(ours.dtype) == _torch_dtype(theirs)
        assert tuple(ours.shape) == tuple(theirs.shape)
        numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(POLYNOMIALS))
def test_polynomials_record_no_gradient_as_in_pytorch(torch, name):
    theirs = getattr(torch.special, name)(torch.tensor([0.5, 2.0], requires_grad=True), 3)
    ours = getattr(tg.special, name)(tg.tensor([0.5, 2.0], requires_grad=True), 3)
    assert ours.requires_grad is theirs.requires_grad is False
    with pytest.raises(RuntimeError):
        ours.sum().backward()


def test_polynomial_names_are_pytorchs(torch):
    assert set(POLYNOMIALS) <= set(tg.special.__all__) & set(dir(torch.special))


# on a device -------------------------------------------------------------------------------

TWO_ARGUMENTS = {
    "gammainc": lambda x, y: (y + 0.2, x * 3.0),
    "gammaincc": lambda x, y: (y * 12.0, x * 12.0),
    "zeta": lambda x, y: (y + 1.5, x - 2.5),
}
ON_DEVICE = ["erfcx", "airy_ai", *BESSEL, *POLYNOMIALS, *TWO_ARGUMENTS]


def _call(name, x, y):
    """``name`` at points spread over its interesting range (x and y uniform in [0.05, 1))."""
    function = getattr(tg.special, name)
    if name in TWO_ARGUMENTS:
        return function(*TWO_ARGUMENTS[name](x, y))
    if name in POLYNOMIALS:
        return function(x * 2.0 - 0.5, (y * 9.0).floor())
    return function(x * 40.0 - 10.0 if name != "erfcx" else x * 4.0 - 2.0)


@pytest.mark.parametrize("name", sorted(ON_DEVICE))
def test_new_functions_run_on_a_device_as_on_the_cpu(strict_cuda, name):
    """No array reaches NumPy on the strict stand-in device, and the values (and where there
    is one, the gradient in the last argument) equal the CPU's."""
    values = numpy.random.default_rng(3).uniform(0.05, 1.0, (2, 3, 7))
    results = {}
    for device in ("cuda", "cpu"):
        x = tg.tensor(values[0], device=device, requires_grad=name in ("erfcx", "gammainc", "gammaincc", "zeta"))
        y = tg.tensor(values[1], device=device)
        out = _call(name, x, y)
        assert out.device == device
        if x.requires_grad:
            out.sum().backward()
        results[device] = [out.numpy(), *([x.grad.numpy()] if x.requires_grad else [])]
    for on_device, on_cpu in zip(results["cuda"], results["cpu"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-13, atol=0)


def test_igamma_and_igammac_are_the_regularized_incomplete_gammas_at_the_top_level(torch):
    a, x = numpy.array([0.5, 2.0, 7.5]), numpy.array([1.0, 3.0, 0.2])
    ours = [tg.igamma(tg.tensor(a), tg.tensor(x)), tg.tensor(a).igammac(tg.tensor(x))]
    theirs = [torch.igamma(torch.tensor(a), torch.tensor(x)), torch.tensor(a).igammac(torch.tensor(x))]
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(mine.numpy(), other.numpy(), rtol=1e-12)
