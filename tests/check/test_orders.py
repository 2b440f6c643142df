"""compare to any order: every quantity up to order k, checked against central
differences of the order below; BatchNorm's twins agree to the fourth order, and
PyTorch's fused BatchNorm is wrong at the third."""

import json

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.check import compare, compare_bn
from tinygrad_bn.check.compare import KINDS
from tinygrad_bn.check.compare_bn import compare_case, compare_case_with_pytorch


def _input(shape, seed=0):
    rng = numpy.random.default_rng(seed)
    return Tensor(2 * rng.standard_normal(shape), dtype="float64", requires_grad=True)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_rows_go_up_to_the_order_asked_for_and_say_their_order(order):
    report = compare(lambda t: (t * t).exp(), lambda t: (t**2).exp(), _input((3, 2)), order=order)
    assert report.passed, str(report)
    assert report.order == order
    assert {row.order for row in report.rows} == set(range(order + 1))
    for row in report.rows:
        assert row.kind == KINDS[row.order]
    directional = [row for row in report.rows if row.term == "along v"]
    assert [row.order for row in directional] == list(range(1, order + 1))
    assert all(row.a_fd is not None and row.a_fd.passed for row in directional)


def test_a_function_wrong_only_in_its_third_derivative_fails_first_at_order_3():
    """exp(x) against its Taylor polynomial to second order around 0: equal value, slope
    and curvature at x = 0, different third derivative (e⁰ = 1 against 0)."""
    x = Tensor(numpy.zeros(4), requires_grad=True)
    report = compare(lambda t: t.exp(), lambda t: 1.0 + t + 0.5 * t * t, x, order=3, names=("exp", "taylor"))
    assert not report.passed
    assert report.first_failure().order == 3
    assert all(row.passed for row in report.rows if row.order < 3)
    third = report.row("3rd", "along v")
    assert third.a_fd.passed and third.b_fd.passed  # each is right about its own function
    assert third.adjudication(("exp", "taylor")).startswith("both agree")


@pytest.mark.parametrize("shape", [(8, 3), (2, 3, 4)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_twins_agree_with_each_other_and_with_finite_differences_to_order_4(shape, training, dtype):
    report = compare_case(shape, dtype, training, affine=True, order=4)
    assert report.passed, str(report)
    assert report.order == 4
    high = [row for row in report.rows if row.order >= 3]
    assert {row.term for row in high} >= {"x", "weight", "bias", "along v"}
    assert all(row.dtype == "float64" for row in high)  # orders 3 and 4 run in float64
    for row in high:
        assert row.a_fd.passed and row.b_fd.passed, row


def test_a_wrong_order_or_a_shape_mismatch_is_a_value_error_naming_both():
    x = _input((3,))
    with pytest.raises(ValueError, match="order must be one of"):
        compare(lambda t: t, lambda t: t, x, order=5)
    with pytest.raises(ValueError, match=r"output 0 has different shapes: a \(3,\), b \(1, 3\)"):
        compare(lambda t: t * 1.0, lambda t: t.reshape(1, 3) * 1.0, x, order=3)


def test_failing_rows_name_their_worst_element_and_its_channel_in_json():
    """γ wrong in channel 2 only: every failing row points at channel 2."""

    def wrong_in_channel_2(x, weight, bias, running_mean, running_var):
        from tinygrad_bn.batchnorm import batch_norm

        mask = Tensor(numpy.array([1.0, 1.0, 1.1]))
        return batch_norm(x, running_mean, running_var, weight * mask, bias, training=True)

    report = compare_case((6, 3, 2), "float64", training=True, implementation=wrong_in_channel_2)
    assert not report.passed
    output = report.row("output", "y")
    assert output.index[1] == 2
    errors = output.channel_errors
    assert errors[2] > 1e-3 and max(errors[:2]) < 1e-12
    data = json.loads(json.dumps(report.to_dict()))
    row = next(r for r in data["rows"] if (r["kind"], r["term"]) == ("output", "y"))
    assert row["index"][1] == 2 and len(row["channel_errors"]) == 3 and set(row["worst"]) == {"a", "b"}
    assert row["channel"] == 2 and output.channel == 2
    assert f"✗ output y at {output.index} (channel 2): fused " in str(report)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def test_pytorchs_batch_norm_is_wrong_at_third_order_in_training_mode(torch):
    report = compare_case_with_pytorch((8, 3), "float64", training=True, affine=False, order=3)
    assert all(row.passed for row in report.rows if row.order <= 2), str(report)
    third = report.row("3rd", "along v")
    assert not third.passed
    assert third.a_b.rel > 1e-3  # not rounding (1e-15): a different number
    # PyTorch's third derivative is not the derivative of its own (right) second
    assert not third.a_fd.passed and third.b_fd.passed
    assert third.adjudication(("PyTorch", "composite")).startswith("composite agrees")
    assert compare_case_with_pytorch((8, 3), "float64", training=False, affine=False, order=3).passed


def test_pytorch_is_shown_beside_the_twins_but_not_counted(torch):
    report = compare_bn(shapes=[(8, 3)], dtypes=["float64"], modes=["training"], affine=[True], order=3,
                        pytorch=True, timing_shape=None)
    shown = [check for check in report.checks if not check.in_verdict]
    assert len(shown) == 1 and not shown[0].passed
    assert report.passed and shown[0] not in report.failures
    assert "(shown, not counted)" in report.summary()
