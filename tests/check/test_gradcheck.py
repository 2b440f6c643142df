"""gradcheck and gradgradcheck: they pass correct ops and catch wrong ones."""

import re

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Function, Tensor
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import GradcheckError, gradcheck, gradgradcheck


class WrongExp(Function):
    """exp, with the slip d/dx eˣ = x."""

    def forward(self, x):
        self.save_for_backward(x)
        return x.xp.exp(x._data)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * x


class ConstantSlope(Function):
    """x³ whose backward uses the slope 3x² as a constant: right to first order only."""

    def forward(self, x):
        self.save_for_backward(x)
        return x._data**3

    def backward(self, grad):
        (x,) = self.saved_tensors
        slope = Tensor(3 * x._data**2)
        return grad * slope


class FlippedCentre(Function):
    """y = x − mean(x), with the backward's sign flipped: mean(dy) − dy.

    Under dy = ones both the true gradient (dy − mean(dy)) and this one are zero."""

    def forward(self, x):
        return x._data - x._data.mean()

    def backward(self, grad):
        return grad.mean() - grad


def _x(*shape, seed=0):
    values = numpy.random.default_rng(seed).uniform(-1.0, 1.0, shape)
    return Tensor(values, requires_grad=True)


def test_correct_ops_pass():
    x, w = _x(3, 4), _x(4, 2, seed=1)
    assert gradcheck(lambda x, w: (x @ w).tanh(), (x, w)) is True
    assert gradgradcheck(lambda x, w: (x @ w).tanh(), (x, w)) is True


def test_several_outputs_and_inputs_without_grad():
    x = _x(2, 3)
    constant = Tensor(numpy.full((2, 3), 2.0))
    assert gradcheck(lambda x, c: (x * c, x.exp().sum()), (x, constant))
    assert gradgradcheck(lambda x, c: (x * c, x.exp().sum()), (x, constant))


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
def test_arguments_that_are_not_tensors_are_passed_as_they_are(check):
    x = _x(2, 3)
    assert check(lambda t, scale, squared: (t * scale) ** 2 if squared else t * scale, (x, 0.7, True))
    with pytest.raises(GradcheckError, match="input 0"):
        check(lambda t, scale: (WrongExp.apply(t) if check is gradcheck else ConstantSlope.apply(t)) * scale,
              (x, 0.7))


def test_explicit_grad_outputs_for_gradgradcheck():
    x = _x(3)
    assert gradgradcheck(lambda t: t * t * t, x, grad_outputs=numpy.array([1.0, -2.0, 0.5]))


def test_inputs_are_left_as_they_were():
    x = _x(2, 2)
    before = x.numpy().copy()
    gradcheck(lambda t: t.sigmoid(), x)
    numpy.testing.assert_array_equal(x.numpy(), before)


def test_a_wrong_gradient_names_the_worst_element():
    x = _x(2, 3)
    with pytest.raises(GradcheckError) as error:
        gradcheck(WrongExp.apply, x)
    message = str(error.value)
    # with the same random upstream v the check uses, the error is |v·(x − eˣ)|
    v = numpy.random.default_rng(0).standard_normal((2, 3))
    values = x.numpy()
    numerical = v * numpy.exp(values)
    excess = numpy.abs(v * values - numerical) - (1e-5 + 1e-3 * numpy.abs(numerical))
    worst = numpy.unravel_index(excess.argmax(), excess.shape)
    assert "input 0" in message and f"element {tuple(int(i) for i in worst)}" in message
    analytical = float(re.search(r"analytical (\S+),", message).group(1))
    assert analytical == pytest.approx((v * values)[worst], rel=1e-8)
    assert gradcheck(WrongExp.apply, x, raise_exception=False) is False


def test_a_gradient_right_only_to_first_order_fails_gradgradcheck():
    x = _x(4)
    assert gradcheck(ConstantSlope.apply, x)
    with pytest.raises(GradcheckError, match="disagrees with finite differences"):
        gradgradcheck(ConstantSlope.apply, x)
    assert gradgradcheck(ConstantSlope.apply, x, raise_exception=False) is False


def test_float32_inputs_that_require_grad_are_refused():
    x = Tensor(numpy.ones(3, dtype="float32"), requires_grad=True)
    with pytest.raises(ValueError, match="float64.*input 0 is float32"):
        gradcheck(lambda t: t * 2.0, x)
    constant = Tensor(numpy.ones(3, dtype="float32"))
    assert gradcheck(lambda t, c: t * c, (_x(3), constant))


def test_random_upstream_gradients_catch_what_ones_would_miss():
    x = _x(5)
    # with dy = ones (checking the sum of the outputs, which is always 0) the wrong
    # backward gives the true gradient of that sum: zero
    ones = Tensor(numpy.ones(5))
    (with_ones,) = grad(FlippedCentre.apply(x), x, grad_outputs=ones)
    numpy.testing.assert_allclose(with_ones.numpy(), numpy.zeros(5), atol=1e-15)
    # a random dy exposes it
    with pytest.raises(GradcheckError):
        gradcheck(FlippedCentre.apply, x)


def test_a_failed_check_is_a_runtime_error_naming_a_jacobian_mismatch_as_pytorchs(torch):
    for framework in (tg, torch):
        class Wrong(framework.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                return t * 2

            @staticmethod
            def backward(ctx, g):
                return g * 3

        x = framework.tensor([0.5, -1.0, 2.0], dtype=framework.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match="Jacobian mismatch"):
            framework.autograd.gradcheck(Wrong.apply, (x,))


def test_random_numbers_after_gradgradcheck_are_pytorchs(torch):
    numbers = []
    for framework in (tg, torch):
        x = framework.tensor([[0.5, -1.0], [2.0, 0.1], [0.3, 0.7]], dtype=framework.float64, requires_grad=True)
        framework.manual_seed(5)
        assert framework.autograd.gradgradcheck(lambda t: (t.sin(), (t * t).sum()), (x,))
        assert framework.autograd.gradcheck(lambda t: t.exp(), (x,))  # draws nothing, in either
        numbers.append(framework.rand(3).numpy())
    numpy.testing.assert_array_equal(*numbers)
