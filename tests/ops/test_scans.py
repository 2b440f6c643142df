"""Running products, extremes and log-sum-exps, differences, the trapezoid rule and
gradient (finite differences of samples):
PyTorch's values and dtypes, the indices of tied and NaN extremes, first and second
derivatives of cumprod at zeros, and PyTorch's error classes. (Gradients of
ordinary inputs: the op cases in conftest.py.)"""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradgradcheck

WITH_ZEROS = [[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 0.0, 1.5], [1.0, -2.0, 0.0], [0.5, -3.0, 2.0]]


@pytest.mark.parametrize("values", WITH_ZEROS, ids=["two apart", "two in a row", "last", "none"])
def test_cumprod_and_its_two_derivatives_match_pytorch_at_zeros(torch, values):
    upstream, weights = numpy.arange(1.0, len(values) + 1), numpy.cos(numpy.arange(len(values)))

    def derivatives(f, gradient_of):
        x = f.tensor(values, dtype=f.float64, requires_grad=True)
        y = x.cumprod(0)
        (first,) = gradient_of(y, x, f.tensor(upstream), True)
        (second,) = gradient_of((first * f.tensor(weights)).sum(), x, None, False)
        return [t.detach().numpy() for t in (y, first, second)]

    ours = derivatives(tg, lambda y, x, u, create: grad(y, [x], u, create_graph=create))
    theirs = derivatives(torch, lambda y, x, u, create: torch.autograd.grad(y, [x], u, create_graph=create))
    for a, b in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda f, x: x.cumprod(1),
    lambda f, x: f.cumprod(x.int(), dim=0),
    lambda f, x: (x > 0).cumprod(-1),
    lambda f, x: x.int().cumprod(1, dtype=f.float64),
    lambda f, x: f.cumprod(x, axis=0),
    lambda f, x: x[0, 0].cumprod(0),
], ids=["float", "int32", "bool", "dtype", "axis", "0-d"])
def test_cumprod_matches_pytorch(torch, agree, call):
    data = numpy.array([[1.5, -2.0, 0.0, 3.0], [2.0, 1.0, -1.0, 0.5]], dtype=numpy.float32)
    agree(call(tg, tg.tensor(data)), call(torch, torch.tensor(data)))


EXTREMES = {
    "ties": numpy.array([[1.0, 3.0, 3.0, 2.0, 3.0], [5.0, 1.0, 1.0, 0.5, 0.5]]),
    "nan": numpy.array([[1.0, 3.0, numpy.nan, 5.0, numpy.nan], [numpy.nan, 0.0, 1.0, -1.0, 2.0]]),
    "int": numpy.array([[1, 5, 2, 5, 0], [3, 3, 3, 1, 4]]),
    "uint8": numpy.array([[1, 5, 2, 5, 0], [3, 3, 3, 1, 4]], dtype=numpy.uint8),
    "bool": numpy.array([[True, False, True, True, False], [False, False, True, False, True]]),
}


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("data", EXTREMES.values(), ids=EXTREMES.keys())
@pytest.mark.parametrize("dim", [1, 0, -1])
def test_running_extremes_and_their_indices_match_pytorch(torch, agree, name, data, dim):
    ours, theirs = getattr(tg.tensor(data), name)(dim), getattr(torch.tensor(data), name)(dim=dim)
    agree(ours, theirs)
    assert ours._fields == ("values", "indices")


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_running_extremes_send_the_gradient_to_their_indices_as_pytorch(torch, name):
    data, upstream = EXTREMES["ties"], numpy.arange(10.0).reshape(2, 5)
    x, tx = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (dx,) = grad(getattr(x, name)(1).values, [x], tg.tensor(upstream))
    (expected,) = torch.autograd.grad(getattr(tx, name)(1).values, [tx], torch.tensor(upstream))
    numpy.testing.assert_array_equal(dx.numpy(), expected.numpy())


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # ∞ − ∞ inside logaddexp, guarded there
@pytest.mark.parametrize("values", [[-1000.0, 0.0, 0.0], [float("inf"), 1.0, float("-inf")],
                                    [float("-inf"), float("-inf"), 1.0], [float("nan"), 1.0], [30.0, -30.0, 88.0]])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logcumsumexp_matches_pytorch_at_extremes(torch, agree, values, dtype):
    agree(tg.tensor(values, dtype=dtype).logcumsumexp(0), torch.tensor(values, dtype=getattr(torch, dtype))
          .logcumsumexp(0))


@pytest.mark.parametrize("call", [
    lambda f, x: x.diff(),
    lambda f, x: f.diff(x, n=2, dim=0),
    lambda f, x: x.diff(n=0),
    lambda f, x: x.diff(n=7),
    lambda f, x: (x > 2).diff(dim=1),
    lambda f, x: x.diff(prepend=f.tensor([[0.5], [1.5]]), append=f.zeros(2, 2, dtype=f.int64)),
    lambda f, x: x.float().diff(dim=0, append=x[:1].float()),
], ids=["default", "n=2, dim=0", "n=0", "n past the length", "bool", "prepend, append", "append dim=0"])
def test_diff_matches_pytorch(torch, agree, call):
    data = numpy.array([[1, 4, 9, 16, 25], [2, 3, 5, 7, 11]])
    agree(call(tg, tg.tensor(data)), call(torch, torch.tensor(data)))


@pytest.mark.parametrize("rule", ["trapezoid", "cumulative_trapezoid"])
@pytest.mark.parametrize("call", [
    lambda t, f, y: t(y),
    lambda t, f, y: t(y.float(), dx=0.5, dim=0),
    lambda t, f, y: t(y.double(), f.tensor([0.0, 1.0, 3.0, 3.5, 6.0], dtype=f.float64)),
    lambda t, f, y: t(y.float(), f.tensor([[0.0], [2.0]]), dim=0),
    lambda t, f, y: t(y.float(), y.float().cumsum(1) / 4, dim=-1),
    lambda t, f, y: t(y[:, :1].float()),
], ids=["ints", "dx", "x", "x broadcast", "x of y's shape", "one sample"])
def test_trapezoid_rules_match_pytorch(torch, agree, rule, call):
    data = numpy.array([[1, 4, 9, 16, 25], [2, 3, 5, 7, 11]])
    agree(call(getattr(tg, rule), tg, tg.tensor(data)), call(getattr(torch, rule), torch, torch.tensor(data)))


ERRORS = {
    "cumprod no dim": (lambda f, x: x.cumprod(), "missing required argument 'dim'"),
    "cummax no dim": (lambda f, x: f.cummax(x), "missing required argument 'dim'"),
    "diff n": (lambda f, x: x.diff(n=-1), "n >= 0 .*got -1"),
    "diff 0-d": (lambda f, x: x[0, 0].diff(), r"at least one dimension, got shape \(\)"),
    "diff prepend": (lambda f, x: x.diff(prepend=f.tensor(1.0)), r"prepend and append of the input's 2 dimensions, "
                                                                  r"got shapes \[\(\), \(2, 3\)\]"),
    "trapezoid x": (lambda f, x: f.trapezoid(x, f.tensor([0.0, 1.0])), r"one x per sample along dim 1 \(3\), got 2"),
    "cumulative_trapezoid x": (lambda f, x: f.cumulative_trapezoid(x, f.tensor([0.0, 1.0])),
                               r"one x per sample along dim 1 \(3\), got 2"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    data = numpy.arange(6.0).reshape(2, 3)
    raises_like_torch(lambda: call(tg, tg.tensor(data)), lambda: call(torch, torch.tensor(data)), words)


def test_trapezoid_takes_x_or_dx():
    with pytest.raises(TypeError, match="the sample points x or their spacing dx, not both"):
        tg.trapezoid(tg.ones(3), tg.ones(3), dx=2.0)


def test_logcumsumexp_needs_a_floating_tensor():
    """PyTorch: "not implemented for 'Long'"; here a dtype error (TypeError and RuntimeError)."""
    with pytest.raises(TypeError, match="logcumsumexp needs a floating tensor, got dtype int64"):
        tg.arange(3).logcumsumexp(0)


GRADIENT_CALLS = {
    "default": lambda f, x, c: f.gradient(x),
    "spacing": lambda f, x, c: f.gradient(x, spacing=2.0),
    "spacing per dim": lambda f, x, c: f.gradient(x, spacing=[2.0, 0.5]),
    "dim": lambda f, x, c: f.gradient(x, dim=1),
    "dims edge_order 2": lambda f, x, c: f.gradient(x, dim=[-1, 0], edge_order=2),
    "coordinates": lambda f, x, c: f.gradient(x, spacing=(c,), dim=1),
    "coordinates edge_order 2": lambda f, x, c: f.gradient(x, spacing=(c,), dim=1, edge_order=2),
    "two samples": lambda f, x, c: f.gradient(x[:2], dim=0),
}
SAMPLES = numpy.random.default_rng(3).standard_normal((3, 5))
COORDINATES = numpy.array([0.0, 1.0, 3.0, 4.0, 7.5])


@pytest.mark.parametrize("name", GRADIENT_CALLS)
def test_gradient_values_and_derivatives_are_pytorchs(torch, name):
    def run(f):
        x = f.tensor(SAMPLES, requires_grad=True)
        outputs = GRADIENT_CALLS[name](f, x, f.tensor(COORDINATES))
        (dx,) = f.autograd.grad(sum((o * o).sum() for o in outputs), x)
        return [o.detach().numpy() for o in outputs] + [dx.numpy()]

    ours, theirs = run(tg), run(torch)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_gradient_gradcheck_device_dtype_and_errors(torch, strict_cuda):
    x = tg.tensor(SAMPLES, requires_grad=True)
    assert gradgradcheck(lambda x: GRADIENT_CALLS["coordinates edge_order 2"](tg, x, tg.tensor(COORDINATES)), (x,))
    on_device = tg.gradient(tg.tensor(SAMPLES, device="cuda"), spacing=[2.0, 0.5], edge_order=2)
    for a, b in zip(on_device, tg.gradient(tg.tensor(SAMPLES), spacing=[2.0, 0.5], edge_order=2), strict=True):
        numpy.testing.assert_array_equal(a.cpu().numpy(), b.numpy())
    assert tg.gradient(tg.tensor([1, 4, 9]))[0].dtype == tg.float32
    assert torch.gradient(torch.tensor([1, 4, 9]))[0].dtype == torch.float32
    for call, words in [(lambda f: f.gradient(f.ones(2), edge_order=2), "at least edge_order\\+1"),
                        (lambda f: f.gradient(f.ones(3, 3), spacing=[1.0, 2.0, 3.0]), "a list of length 2"),
                        (lambda f: f.gradient(f.ones(3), edge_order=3), "edge_order=1 and edge_order=2")]:
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError, match=words):
            call(tg)
