"""Anomaly mode: a backward producing NaN or inf raises, naming the op and the line of
the forward that created it; off, nothing is checked; on, finite backwards are unchanged."""

import inspect
import warnings

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.autograd import detect_anomaly, is_anomaly_enabled, set_detect_anomaly


def _line_of(marker: str) -> int:
    source, start = inspect.getsourcelines(_forward)
    return start + next(i for i, line in enumerate(source) if marker in line)


def _forward(x):
    y = x * 2.0
    z = y.sqrt()  # marker: sqrt
    return (z * 3.0).sum()


@pytest.mark.parametrize(
    "values, kind",
    [([0.0, 1.0], "inf"), ([-1.0, 1.0], "nan")],
    ids=["sqrt at 0", "sqrt below 0"],
)
def test_a_non_finite_gradient_names_the_op_and_its_forward_line(values, kind):
    x = Tensor(numpy.array(values), requires_grad=True)
    with numpy.errstate(all="ignore"), detect_anomaly():
        loss = _forward(x)
        with pytest.raises(RuntimeError, match=f"Function Sqrt returned {kind} values") as caught:
            loss.backward()
    message = str(caught.value)
    assert f"{__file__}\", line {_line_of('marker: sqrt')}, in _forward" in message
    assert "z = y.sqrt()" in message
    assert x.grad is None


def test_off_nothing_is_checked():
    x = Tensor(numpy.array([-1.0, 1.0]), requires_grad=True)
    with numpy.errstate(all="ignore"):
        _forward(x).backward()
    assert numpy.isnan(x.grad.numpy()[0])


def test_an_op_recorded_before_the_mode_was_on_is_named_without_a_place():
    x = Tensor(numpy.array([0.0, 1.0]), requires_grad=True)
    with numpy.errstate(all="ignore"):
        loss = _forward(x)
        with detect_anomaly(), pytest.raises(RuntimeError, match="before anomaly mode was on"):
            loss.backward()


def test_finite_backwards_give_the_same_gradients_and_the_mode_is_restored():
    data = numpy.random.default_rng(0).uniform(0.5, 2.0, (3, 4))
    plain = Tensor(data, requires_grad=True)
    _forward(plain).backward()
    checked = Tensor(data, requires_grad=True)

    @set_detect_anomaly(True)
    def run():
        assert is_anomaly_enabled()
        _forward(checked).backward()

    run()
    assert not is_anomaly_enabled()
    numpy.testing.assert_array_equal(checked.grad.numpy(), plain.grad.numpy())


def test_on_the_strict_device(strict_cuda):
    x = Tensor(numpy.array([0.0, 1.0]), requires_grad=True, device="cuda")
    with numpy.errstate(all="ignore"), detect_anomaly():
        loss = _forward(x)
        with pytest.raises(RuntimeError, match="Function Sqrt returned inf values"):
            loss.backward()


def test_set_detect_anomaly_as_a_call_switches_anomaly_mode_on_until_switched_off(torch):
    import tinygrad_bn

    for framework in (tinygrad_bn, torch):
        framework.autograd.set_detect_anomaly(True)
        try:
            assert framework.is_anomaly_enabled()
            x = framework.tensor([-1.0], requires_grad=True)
            with pytest.raises(RuntimeError, match="nan"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                x.sqrt().backward()
        finally:
            framework.autograd.set_detect_anomaly(False)
        assert not framework.is_anomaly_enabled()
