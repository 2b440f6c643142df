"""Elementwise predicates and functions without a gradient (heaviside, isposinf,
isneginf, isreal, positive, sign of NaN), PyTorch's aliases (sgn, fix, erfc at the top level), the
in-place square_ and the casts byte() and char(): PyTorch's values and dtypes, also
on the strict stand-in device, and its errors. (The differentiable ones, logaddexp2,
rad2deg, deg2rad, fix and erfc, are op cases in conftest.py.) Also vdot, ger, msort
unravel_index, addr, ldexp, frexp, fill, renorm, mvlgamma, vander and new_empty."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck, gradgradcheck

X = numpy.array([-1.5, -0.0, 0.0, 2.0, numpy.inf, -numpy.inf, numpy.nan, 0.25])

def _integers(x):
    """``x`` as int64, NaN as 0 and ±∞ as ±9."""
    return x.nan_to_num(nan=0.0, posinf=9.0, neginf=-9.0).long()


CALLS = {
    "heaviside": lambda f, x: f.heaviside(x, f.tensor(0.5, dtype=x.dtype, device=x.device)),
    "heaviside broadcast values": lambda f, x: x.reshape(2, 4).heaviside(f.arange(4.0, dtype=x.dtype,
                                                                                  device=x.device)),
    "heaviside integers": lambda f, x: f.heaviside(_integers(x), f.tensor([7], device=x.device)),
    "isposinf": lambda f, x: f.isposinf(x),
    "isneginf": lambda f, x: x.isneginf(),
    "isneginf integers": lambda f, x: f.isneginf(_integers(x)),
    "isreal": lambda f, x: f.isreal(x),
    "positive": lambda f, x: f.positive(x),
    "positive integers": lambda f, x: _integers(x).positive(),
    "sgn": lambda f, x: f.sgn(x),
    "sign of NaN": lambda f, x: x.sign(),
    "sgn integers": lambda f, x: _integers(x).sgn(),
    "fix": lambda f, x: f.fix(x * 1.7),
    "erfc": lambda f, x: f.erfc(x),
    "erfc integers": lambda f, x: f.erfc(_integers(x)),
    "rad2deg integers": lambda f, x: f.rad2deg(_integers(x * 60)),
    "deg2rad integers": lambda f, x: _integers(x * 60).deg2rad(),
    "square_": lambda f, x: x.clone().square_(),
    "byte": lambda f, x: (x * 100).nan_to_num(posinf=255, neginf=0).abs().byte(),
    "char": lambda f, x: (x * 50).nan_to_num(posinf=127, neginf=-128).char(),
}


def _run(f, name, dtype, device=None):
    x = f.tensor(X, dtype=getattr(f, dtype))
    return CALLS[name](f, x.to(device) if device else x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", CALLS)
def test_values_and_dtypes_are_pytorchs(torch, name, dtype):
    ours, theirs = _run(tg, name, dtype), _run(torch, name, dtype)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.") and ours.shape == tuple(theirs.shape)
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("name", CALLS)
def test_on_the_device(strict_cuda, name):
    on_device = _run(tg, name, "float64", "cuda")
    assert on_device.device.type == "cuda"
    numpy.testing.assert_array_equal(on_device.cpu().numpy(), _run(tg, name, "float64").numpy())


def test_heaviside_and_the_predicates_are_outside_the_graph():
    x = tg.tensor(X, requires_grad=True)
    for result in (tg.heaviside(x, tg.tensor(0.5, dtype=x.dtype)), x.isposinf(), x.isneginf(), x.isreal()):
        assert not result.requires_grad
    assert tg.positive(x) is x


@pytest.mark.parametrize("call, words", [
    (lambda f: f.heaviside(f.tensor([1, 0]), f.tensor([0.5])), "dtype"),
    (lambda f: f.positive(f.tensor([True])), "The `\\+` operator, on a bool tensor is not supported"),
])
def test_errors_are_pytorchs_kind(torch, call, words):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match=words):
        call(tg)


PRODUCTS = {
    "vdot": lambda f, x: f.vdot(x[0], x[1]),
    "vdot method": lambda f, x: x[1].vdot(x[2]),
    "ger": lambda f, x: f.ger(x[0], x[1, :2]),
    "ger method": lambda f, x: x[0].ger(x[1]),
    "msort": lambda f, x: f.msort(x),
    "msort method": lambda f, x: x.t().msort(),
    "addr": lambda f, x: f.addr(x, x[0], x[1], beta=0.5, alpha=2),
    "addr method beta 0": lambda f, x: x.addr(x[2], x[0], beta=0),
    "ldexp": lambda f, x: f.ldexp(x, f.tensor([2, 1, 0])),
    "ldexp float exponent": lambda f, x: f.ldexp(x, f.tensor([2.0, -1.0, 0.5], dtype=x.dtype)),
    "ldexp method": lambda f, x: x.ldexp(f.tensor(3)),
    "fill": lambda f, x: f.fill(x, 2.5),
    "renorm": lambda f, x: f.renorm(x, 2, 0, 2.0),
    "renorm method": lambda f, x: x.renorm(1, 1, 3.0),
    "mvlgamma": lambda f, x: f.mvlgamma(x.abs() + 2, 3),
    "mvlgamma method": lambda f, x: (x.abs() + 1).mvlgamma(1),
}
M = numpy.array([[0.5, -1.5, 2.0], [3.0, 0.25, -2.5], [-0.75, 1.0, 1.25]])


@pytest.mark.parametrize("name", PRODUCTS)
def test_products_and_small_functions_values_and_gradients_are_pytorchs(torch, name):
    def run(f):
        x = f.tensor(M, requires_grad=True)
        y = PRODUCTS[name](f, x)
        (grad,) = f.autograd.grad((y * y).sum(), x)
        return y.detach().numpy(), grad.numpy()

    for a, b in zip(run(tg), run(torch), strict=True):  # renorm's ε enters PyTorch's gradient a little differently
        numpy.testing.assert_allclose(a, b, rtol=1e-7 if "renorm" in name else 1e-13)


@pytest.mark.parametrize("name", ["addr", "ldexp", "renorm", "renorm method", "mvlgamma"])
def test_gradcheck_and_gradgradcheck(name):
    x = tg.tensor(M, requires_grad=True)
    assert gradcheck(lambda x: PRODUCTS[name](tg, x), (x,))
    assert gradgradcheck(lambda x: PRODUCTS[name](tg, x), (x,))


def test_frexp_vander_and_new_empty_are_pytorchs(torch):
    for a, b in zip(tg.frexp(tg.tensor(X)), torch.frexp(torch.tensor(X)), strict=True):
        assert str(a.dtype) == str(b.dtype).removeprefix("torch.")
        numpy.testing.assert_array_equal(a.numpy(), b.numpy())
    assert tg.frexp(tg.tensor(X))._fields == ("mantissa", "exponent")
    for kwargs in ({}, {"N": 4}, {"increasing": True}, {"N": 2, "increasing": True}):
        ours, theirs = tg.vander(tg.tensor([1, 2, -3]), **kwargs), torch.vander(torch.tensor([1, 2, -3]), **kwargs)
        numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours, theirs = tg.ones(2, dtype=tg.int32).new_empty((2, 3)), torch.ones(2, dtype=torch.int32).new_empty((2, 3))
    assert ours.shape == tuple(theirs.shape) and ours.dtype == tg.int32
    with pytest.raises(RuntimeError):
        torch.frexp(torch.tensor([1]))
    with pytest.raises(RuntimeError, match="only supports floating-point dtypes, got int64"):
        tg.frexp(tg.tensor([1]))
    with pytest.raises(RuntimeError, match="at least 2 dimensions, got 1"):
        tg.renorm(tg.ones(3), 2, 0, 1.0)


@pytest.mark.parametrize("indices, shape", [([7, 13, -1, 0], (4, 5)), (7, (2, 2, 2)), ([[3], [4]], 5),
                                            ([[1, 2]], [3, 1])], ids=str)
def test_unravel_index_is_pytorchs(torch, indices, shape):
    ours = tg.unravel_index(tg.tensor(indices), shape)
    theirs = torch.unravel_index(torch.tensor(indices), shape)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == tg.int64 and a.shape == tuple(b.shape)
        numpy.testing.assert_array_equal(a.numpy(), b.numpy())


def test_vdot_and_unravel_index_refuse_what_pytorch_refuses(torch):
    with pytest.raises(RuntimeError):
        torch.vdot(torch.ones(2), torch.ones(3))
    with pytest.raises(RuntimeError, match=r"two 1-d tensors of one length, got shapes \(2,\) and \(3,\)"):
        tg.vdot(tg.ones(2), tg.ones(3))
    with pytest.raises(TypeError):
        torch.unravel_index(torch.tensor([2.0]), (4,))
    with pytest.raises(TypeError, match="indices as an integer Tensor, got dtype float32"):
        tg.unravel_index(tg.tensor([2.0]), (4,))
    with pytest.raises(RuntimeError):
        torch.unravel_index(torch.tensor([5]), (2, 0, 3))
    with pytest.raises(RuntimeError, match="an axis of length 0 has no indices"):
        tg.unravel_index(tg.tensor([5]), (2, 0, 3))


def test_ldexp_with_a_negative_integer_exponent_has_the_gradient_2_to_the_exponent(torch):
    # PyTorch's value is x·2ⁿ, but its gradient takes 2ⁿ in integers, which is 0 for n < 0
    x, t = tg.tensor([3.0], requires_grad=True), torch.tensor([3.0], requires_grad=True)
    tg.ldexp(x, tg.tensor([-1])).backward(tg.ones(1))
    torch.ldexp(t, torch.tensor([-1])).backward(torch.ones(1))
    assert tg.ldexp(x, tg.tensor([-1])).tolist() == torch.ldexp(t, torch.tensor([-1])).tolist() == [1.5]
    assert x.grad.tolist() == [0.5] and t.grad.tolist() == [0.0]
