"""logaddexp, xlogy, logit, copysign, signbit, nan_to_num, lerp, addcmul, addcdiv,
clamp_min and clamp_max: values at ±0, ±∞ and NaN and the subgradients PyTorch picks,
against PyTorch; the few deliberate differences; dtypes."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor

INF, NAN = numpy.inf, numpy.nan


def test_logaddexp_of_infinities_and_large_numbers_is_pytorchs(matches_torch):
    a = numpy.array([-INF, INF, -INF, INF, NAN, 1000.0, -1000.0, 2.0])
    b = numpy.array([-INF, INF, 1.0, 1.0, 1.0, 1000.0, 1.0, 2.0])
    matches_torch(lambda x, y: x.logaddexp(y), a, b, gradients=False)
    matches_torch(lambda x, y: x.logaddexp(y), a[2:], b[2:])  # ties share the gradient: ½ each


def test_logaddexp_of_equal_infinities_gives_each_half_the_gradient():
    """Deliberately not PyTorch's NaN: ½ is the limit along a = b."""
    a, b = Tensor([-INF, INF], requires_grad=True), Tensor([-INF, INF], requires_grad=True)
    a.logaddexp(b).backward(Tensor([1.0, 1.0]))
    assert a.grad.tolist() == b.grad.tolist() == [0.5, 0.5]


@pytest.mark.filterwarnings("ignore:invalid value encountered", "ignore:divide by zero encountered")
def test_xlogy_is_zero_where_x_is_zero_unless_y_is_nan(matches_torch):
    x = numpy.array([0.0, 0.0, 0.0, 0.0, 1.0, 2.0, -1.0, NAN, 0.0])
    y = numpy.array([0.0, -1.0, NAN, INF, 0.0, INF, 0.5, 1.0, -INF])
    matches_torch(lambda a, b: a.xlogy(b), x, y, gradients=False)
    keep = [1, 2, 4, 5, 6, 7, 8]  # not (0, 0) nor (0, ∞): see below
    matches_torch(lambda a, b: a.xlogy(b), x[keep], y[keep])


@pytest.mark.filterwarnings("ignore:divide by zero encountered")
def test_xlogy_gradients_at_x_zero_are_pytorchs(torch):
    """∂/∂x is log y where x = 0 and y > 0, 0 where y ≤ 0, as PyTorch's; ∂/∂y = x/y, but 0
    rather than PyTorch's 0/0 = NaN at x = y = 0."""
    x, y = [0.0, 0.0, 0.0, 0.0, 0.0], [2.0, 0.5, 1e-300, -1.0, 0.0]
    seen = []
    for framework in (tg, torch):
        a = framework.tensor(x, dtype=framework.float64, requires_grad=True)
        b = framework.tensor(y, dtype=framework.float64, requires_grad=True)
        out = a.xlogy(b)
        out.sum().backward()
        seen.append((out.tolist(), a.grad.tolist(), b.grad.tolist()))
    (ours, our_dx, our_dy), (theirs, their_dx, their_dy) = seen
    assert ours == theirs == [0.0] * 5 and our_dx == their_dx
    assert not any(math.copysign(1.0, v) < 0 for v in ours)  # 0, not −0, as PyTorch's
    assert our_dy == their_dy[:4] + [0.0] and math.isnan(their_dy[4])


@pytest.mark.filterwarnings("ignore:invalid value encountered", "ignore:divide by zero encountered")
@pytest.mark.parametrize("eps", [None, 0.25])
def test_logit_values_and_eps_gradients_are_pytorchs(matches_torch, eps):
    x = numpy.array([-0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5, NAN])
    matches_torch(lambda t: t.logit(eps=eps), x, gradients=False)
    inside = x[1:-2] if eps is None else x[:-1]  # outside [0, 1] PyTorch's gradient is NaN, and at NaN 0 or NaN
    matches_torch(lambda t: t.logit(eps=eps), inside)


def test_copysign_keeps_signed_zeros_and_gives_b_no_gradient(matches_torch):
    a = numpy.array([1.0, -1.0, 0.0, -0.0, NAN, INF, 2.0, 3.0])
    b = numpy.array([-0.0, 0.0, -1.0, 1.0, -1.0, -INF, NAN, -2.0])
    matches_torch(lambda x, y: x.copysign(y), a, b, gradients=False)
    numbers = ~numpy.isnan(a)  # a NaN's sign bit means nothing
    numpy.testing.assert_array_equal(numpy.signbit(Tensor(a).copysign(Tensor(b)).numpy())[numbers],
                                     numpy.signbit(b)[numbers])
    finite = [0, 1, 2, 3, 6, 7]  # at a = ±∞ PyTorch's gradient is ∞/∞ = NaN, ours ±1
    matches_torch(lambda x, y: x.copysign(y), a[finite], b[finite])


@pytest.mark.parametrize("values", [[-0.0, 0.0, -1.5, NAN, -NAN, -INF], [-3, 0, 2]])
def test_signbit_is_pytorchs(torch, values):
    ours = Tensor(numpy.array(values)).signbit()
    assert ours.dtype == bool and not ours.requires_grad
    assert ours.tolist() == torch.tensor(values).signbit().tolist()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("words", [{}, {"nan": 1.0, "posinf": 2.0, "neginf": -3.0}, {"neginf": -7.5}])
def test_nan_to_num_replaces_with_the_dtypes_extremes_and_passes_no_gradient_there(matches_torch, dtype, words):
    x = numpy.array([NAN, INF, -INF, 1.5, -0.0]).astype(dtype)
    matches_torch(lambda t: t.nan_to_num(**words), x, rtol=0)


@pytest.mark.parametrize("values", [[1, -2, 3], [True, False]])
def test_nan_to_num_of_integers_is_a_copy(values):
    x = Tensor(values)
    y = x.nan_to_num()
    assert y is not x and y.dtype == x.dtype and y.tolist() == values


@pytest.mark.parametrize("weight", [0.0, 0.25, 0.5, 0.75, 1.0, -0.5, 1.5])
def test_lerp_is_pytorchs_and_exact_at_the_ends(matches_torch, weight):
    start, end = numpy.array([0.1, -3.0, 1e10, -INF]), numpy.array([0.7, 2.0, 1.0, 2.0])
    matches_torch(lambda a, b: a.lerp(b, weight), start[:3], end[:3], rtol=1e-15)
    matches_torch(lambda a, b, w: tg.lerp(a, b, w) if isinstance(a, Tensor) else a.lerp(b, w),
                  start[:3], end[:3], numpy.full(3, weight), rtol=1e-15)
    if weight in (0.0, 1.0):
        assert tg.lerp(Tensor(start[:3]), Tensor(end[:3]), weight).tolist() == (end if weight else start)[:3].tolist()


def test_addcmul_and_addcdiv_follow_pytorchs_dtypes(matches_torch):
    a, b, c = numpy.array([1, 2, 3]), numpy.array([4, 5, 6]), numpy.array([2, 1, 3])
    matches_torch(lambda x, y, z: x.addcmul(y, z, value=2), a, b, c)  # integers stay integers
    matches_torch(lambda x, y, z: x.addcdiv(y, z, value=0.5), a.astype("float32"), b, c.astype("float64"))
    with pytest.raises(RuntimeError, match="addcdiv of integer tensors"):
        Tensor(a.astype("float32")).addcdiv(Tensor(b), Tensor(c))


@pytest.mark.parametrize("bound", [2, 2.5])
@pytest.mark.parametrize("name", ["clamp_min", "clamp_max"])
def test_clamp_min_and_max_keep_pytorchs_dtypes_and_pass_the_gradient_at_the_bound(matches_torch, name, bound):
    matches_torch(lambda x: getattr(x, name)(bound), numpy.array([1, 2, 3]))
    matches_torch(lambda x: getattr(x, name)(bound), numpy.array([1.0, 2.0, 2.5, 3.0]))


@pytest.mark.parametrize("name", ["logaddexp", "xlogy", "copysign"])
def test_integers_compute_in_the_default_float_dtype(name):
    assert getattr(tg, name)(Tensor([1, 2]), Tensor([3, 4])).dtype == "float32"
    assert getattr(tg, name)(Tensor([1.0, 2.0], dtype="float16"), 3).dtype == "float16"


def test_the_functions_are_pytorchs_names():
    x = Tensor([0.25, -0.5])
    for name in ("nan_to_num", "signbit", "negative", "absolute", "frac"):
        assert getattr(tg, name)(x).tolist() == getattr(x, name)().tolist()
    assert tg.logit(x.abs()).tolist() == x.abs().logit().tolist()
    assert tg.negative(x).tolist() == [-0.25, 0.5] and tg.absolute(x).tolist() == [0.25, 0.5]
    assert tg.clamp_min(x, 0.0).tolist() == [0.25, 0.0] and tg.clamp_max(x, 0.0).tolist() == [0.0, -0.5]
