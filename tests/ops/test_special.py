"""erfinv, lgamma, digamma and polygamma (and the erf under erfinv): relative error against
mpmath at 40 digits and against PyTorch over wide ranges, PyTorch's values at poles and
infinities, derivatives of higher order, dtypes."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad

rng = numpy.random.default_rng(0)
GAMMA_ARGUMENTS = numpy.concatenate([
    rng.uniform(0.0, 12.0, 150), rng.uniform(-12.0, 0.0, 150), numpy.exp(rng.uniform(-25.0, 12.0, 60)),
    [0.5, 1.0, 2.0, 3.0, 1.4616321449683622, 1e-8, 9.999999, 10.0, 10.000001],
])
ERFINV_ARGUMENTS = numpy.concatenate([
    rng.uniform(-1.0, 1.0, 300), 1.0 - numpy.exp(rng.uniform(-36.0, -1.0, 100)),
    numpy.exp(rng.uniform(-40.0, -1.0, 30)),
])


def _mpmath_reference(function, points) -> numpy.ndarray:
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    return numpy.array([float(function(mpmath, mpmath.mpf(float(p)))) for p in points])


def _relative_error(ours, exact) -> numpy.ndarray:
    return numpy.abs(ours - exact) / numpy.abs(exact)


# (name, our values, the exact function, points, the largest relative error allowed where |f| ≥ 1 or f is erf's)
ACCURACY = [
    ("erf", lambda x: x.erf(), lambda m, p: m.erf(p), rng.uniform(-6.0, 6.0, 700), 5e-16),
    ("erfinv", lambda x: x.erfinv(), lambda m, p: m.erfinv(p), ERFINV_ARGUMENTS, 5e-16),
    ("lgamma", lambda x: x.lgamma(), lambda m, p: m.log(abs(m.gamma(p))), GAMMA_ARGUMENTS, 1e-15),
    ("digamma", lambda x: x.digamma(), lambda m, p: m.digamma(p), GAMMA_ARGUMENTS, 1e-15),
    ("polygamma(1)", lambda x: x.polygamma(1), lambda m, p: m.polygamma(1, p), GAMMA_ARGUMENTS, 1e-15),
    ("polygamma(2)", lambda x: x.polygamma(2), lambda m, p: m.polygamma(2, p), GAMMA_ARGUMENTS, 1e-15),
    ("polygamma(3)", lambda x: x.polygamma(3), lambda m, p: m.polygamma(3, p), GAMMA_ARGUMENTS, 1e-15),
]


@pytest.mark.parametrize("name, ours, exact, points, tolerance", ACCURACY, ids=[case[0] for case in ACCURACY])
def test_float64_error_against_mpmath(name, ours, exact, points, tolerance):
    """A few units in the last place (2⁻⁵² ≈ 2.2e-16) where |f| ≥ 1, and an absolute
    error below 2e-15 where |f| < 1: near the zeros of lgamma (1, 2 and between the
    negative integers), of digamma and of polygamma(2) a small absolute error is a
    large relative one."""
    expected = _mpmath_reference(exact, points)
    values = ours(Tensor(points)).numpy()
    assert (numpy.abs(values - expected) <= 2e-15 * numpy.maximum(1.0, numpy.abs(expected))).all()
    relative_region = numpy.abs(expected) >= (1.0 if "gamma" in name else 0.0)
    relative_region &= expected != 0
    assert _relative_error(values[relative_region], expected[relative_region]).max() <= tolerance


@pytest.mark.parametrize("name, points", [("lgamma", 1.0 + numpy.array([-1e-9, 1e-12, 3e-5])),
                                          ("lgamma", 2.0 + numpy.array([-1e-9, 1e-12, 3e-5]))])
def test_lgamma_keeps_its_relative_precision_at_its_zeros(name, points):
    expected = _mpmath_reference(lambda m, p: m.log(m.gamma(p)), points)
    assert _relative_error(Tensor(points).lgamma().numpy(), expected).max() < 1e-15


@pytest.mark.parametrize("name, ours, theirs, points, rtol", [
    ("erfinv", tg.erfinv, "erfinv", ERFINV_ARGUMENTS, 1e-15),
    ("lgamma", tg.lgamma, "lgamma", GAMMA_ARGUMENTS, 2e-14),
    ("digamma", tg.digamma, "digamma", GAMMA_ARGUMENTS, 1e-12),
    ("polygamma(2)", lambda x: tg.polygamma(2, x), lambda t: t.polygamma(2), GAMMA_ARGUMENTS, 1e-13),
    ("polygamma(1)", lambda x: tg.polygamma(1, x), lambda t: t.polygamma(1), GAMMA_ARGUMENTS, 1e-9),  # PyTorch's 5e-10
])
def test_float64_values_match_pytorch_over_wide_ranges(torch, name, ours, theirs, points, rtol):
    expected = getattr(torch, theirs)(torch.tensor(points)) if isinstance(theirs, str) else theirs(torch.tensor(points))
    expected = expected.numpy()
    scale = numpy.maximum(1.0, numpy.abs(expected))  # absolute near the zeros, relative elsewhere
    assert (numpy.abs(ours(Tensor(points)).numpy() - expected) <= rtol * scale).all()


POLES_AND_INFINITIES = [0.0, -0.0, -1.0, -2.0, -7.0, float("inf"), float("-inf"), float("nan"), 1e-300, 1e300, 171.7,
                        -1e20]


@pytest.mark.filterwarnings("ignore:overflow encountered")  # ψ⁽ⁿ⁾(1e-300) is beyond float64: ±∞, as in NumPy
@pytest.mark.parametrize("name, ours, theirs", [
    ("lgamma", lambda x: x.lgamma(), lambda t: t.lgamma()),
    ("digamma", lambda x: x.digamma(), lambda t: t.digamma()),
    ("polygamma(2)", lambda x: x.polygamma(2), lambda t: t.polygamma(2)),
    ("polygamma(3)", lambda x: x.polygamma(3), lambda t: t.polygamma(3)),
    ("erfinv", lambda x: x.erfinv(), lambda t: t.erfinv()),
])
def test_poles_infinities_and_nan_give_pytorchs_values(torch, name, ours, theirs):
    points = POLES_AND_INFINITIES
    if name == "erfinv":
        points = [-1.0, 1.0, 0.0, -0.0, 1.5, -2.0, float("nan"), float("inf"), 1e-300]
    if name.startswith("polygamma"):  # ψ⁽ⁿ⁾(+∞) = 0 and ψ⁽ⁿ⁾(−∞) NaN here; PyTorch's n ≥ 2 says NaN and ±∞
        points = [p for p in points if abs(p) != float("inf")]
    points = numpy.array(points)  # float64
    values, expected = ours(Tensor(points)).numpy(), theirs(torch.tensor(points)).numpy()
    numpy.testing.assert_allclose(values, expected, rtol=1e-15)  # NaN where NaN, ±∞ where ±∞
    numbers = ~numpy.isnan(expected) & ((expected != 0) | (points == 0))  # the sign of an underflow is not kept
    numpy.testing.assert_array_equal(numpy.signbit(values[numbers]), numpy.signbit(expected[numbers]))


def test_trigamma_has_a_pole_at_the_negative_integers():
    """PyTorch's trigamma gives 6.6e32 at −1 (π²/sin²(−π) in rounding); the pole is +∞."""
    assert Tensor([-1.0, -2.0, 0.0]).polygamma(1).tolist() == [float("inf")] * 3


@pytest.mark.parametrize("n", [0, 1, 2])
def test_each_derivative_is_the_next_polygamma(n):
    x = Tensor(numpy.array([-2.5, 0.3, 1.7, 25.0]), requires_grad=True)
    y = tg.polygamma(n, x)
    (first,) = grad(y.sum(), [x], create_graph=True)
    (second,) = grad(first.sum(), [x])
    numpy.testing.assert_array_equal(first.numpy(), tg.polygamma(n + 1, x).numpy())
    numpy.testing.assert_array_equal(second.numpy(), tg.polygamma(n + 2, x).numpy())


def test_lgamma_derivative_is_digamma_and_erfinv_derivative_is_one_over_erf_prime():
    x = Tensor(numpy.array([-2.5, 0.3, 1.7, 25.0]), requires_grad=True)
    (dx,) = grad(x.lgamma().sum(), [x])
    numpy.testing.assert_array_equal(dx.numpy(), x.digamma().numpy())
    y = Tensor(numpy.array([-0.99, -0.3, 0.0, 0.5, 0.999]), requires_grad=True)
    (dy,) = grad(y.erfinv().sum(), [y])
    x_of_y = y.erfinv().numpy()
    numpy.testing.assert_allclose(dy.numpy(), numpy.sqrt(numpy.pi) / 2 * numpy.exp(x_of_y**2), rtol=1e-15)


@pytest.mark.parametrize("function", [tg.lgamma, tg.digamma, tg.erfinv, lambda x: tg.polygamma(1, x)])
@pytest.mark.parametrize("dtype, expected", [("int64", "float32"), ("bool", "float32"), ("float16", "float16"),
                                             ("float32", "float32"), ("float64", "float64")])
def test_integers_compute_in_the_default_float_dtype(function, dtype, expected):
    assert function(Tensor(numpy.array([0, 1]).astype(dtype))).dtype == expected


@pytest.mark.parametrize("n", [-1, 1.5, True])
def test_polygamma_refuses_an_order_that_is_not_a_natural_number(n):
    with pytest.raises(ValueError, match="an int ≥ 0"):
        tg.polygamma(n, Tensor([1.0]))
