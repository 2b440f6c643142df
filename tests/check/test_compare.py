"""compare: two implementations of one function, to first and second order."""

import json

import numpy
import pytest

from tinygrad_bn import Function, Tensor
from tinygrad_bn.autograd import once_differentiable
from tinygrad_bn.check import TOLERANCES, Tolerance, compare
from tinygrad_bn.check.report import tolerance_for

SHAPES = [(7,), (3, 4), (2, 3, 5)]


def naive_softplus(x):
    return (x.exp() + 1.0).log()


def stable_softplus(x):
    """log(1 + eˣ) = max(x, 0) + log(1 + e^(−|x|)), which never overflows."""
    return x.relu() + ((-x.abs()).exp() + 1.0).log()


def naive_logsumexp(x):
    return x.exp().sum(-1).log()


def library_logsumexp(x):
    return x.logsumexp(-1)


def _input(shape, dtype, loc=0.0, seed=0):
    rng = numpy.random.default_rng(seed)
    return Tensor((2 * rng.standard_normal(shape) + loc).astype(dtype), requires_grad=True)


def _terms(report):
    return [(row.kind, row.term) for row in report.rows]


class SigmoidSoftplus(Function):
    """softplus with the derivative written by hand: d/dx log(1 + eˣ) = σ(x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x.xp.logaddexp(0, x._data)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * x.sigmoid()


class WrongSignSoftplus(SigmoidSoftplus):
    """A classic slip: σ(−x) in place of σ(x)."""

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * (-x).sigmoid()


class FrozenSigmoidSoftplus(SigmoidSoftplus):
    """Right first derivative, but σ(x) is saved as a constant: a double backward
    through it loses σ's dependence on x."""

    def forward(self, x):
        self.save_for_backward(Tensor(1 / (1 + x.xp.exp(-x._data))))
        return x.xp.logaddexp(0, x._data)

    def backward(self, grad):
        (sigmoid,) = self.saved_tensors
        return grad * sigmoid


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_two_softplus_formulas_agree(shape, dtype):
    report = compare(naive_softplus, stable_softplus, _input(shape, dtype))
    assert report.passed, str(report)
    assert _terms(report) == [("output", "y"), ("grad", "x"), ("grad", "along v"), ("2nd", "x"), ("2nd", "grad_y"),
                              ("2nd", "along v")]
    assert all(row.dtype == dtype for row in report.rows)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 5)])
def test_two_logsumexp_formulas_agree_on_moderate_data(dtype, shape):
    assert compare(naive_logsumexp, library_logsumexp, _input(shape, dtype)).passed


def test_naive_logsumexp_overflows_in_float32_and_only_it_fails():
    x = _input((3, 4), "float32", loc=100.0)  # e¹⁰⁰ > float32's largest, 3.4e38
    with numpy.errstate(over="ignore", invalid="ignore"):
        report = compare(naive_logsumexp, library_logsumexp, x, names=("naive", "stable"))
    assert not report.passed
    for row in report.rows:
        assert not row.a_ref.passed and row.a_ref.rel == numpy.inf
        assert row.b_ref.passed
    json.dumps(report.to_dict(), allow_nan=False)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_reported_errors_are_the_largest_differences(dtype):
    """f_a = 2x and f_b = (2 + δ)x: the output differs by δ·x, the gradient by δ·u."""
    delta = 1e-3
    x = _input((5, 3), dtype)
    u = numpy.random.default_rng(7).standard_normal((5, 3)).astype(dtype)
    report = compare(lambda t: t * 2.0, lambda t: t * (2.0 + delta), x, grad_outputs=[u], order=1)
    x64, u64 = x.numpy().astype(numpy.float64), u.astype(numpy.float64)
    cases = {("output", "y"): (2 * x64, (2 + delta) * x64), ("grad", "x"): (2 * u64, (2 + delta) * u64)}
    for (kind, term), (a, b) in cases.items():
        row = report.row(kind, term)
        scale = max(numpy.abs(a).max(), numpy.abs(b).max())
        expected = numpy.abs(a - b).max()
        assert row.scale == pytest.approx(scale, rel=1e-6)
        assert row.a_b.abs == pytest.approx(expected, rel=1e-3)
        assert row.a_b.rel == pytest.approx(expected / scale, rel=1e-3)
        assert row.a_ref.abs == pytest.approx(0, abs=1e-6 * scale)  # the reference is f_a in float64
        assert row.b_ref.abs == pytest.approx(expected, rel=1e-3)
        assert not row.passed
    assert _terms(report) == [("output", "y"), ("grad", "x"), ("grad", "along v")]


def test_catches_a_wrong_custom_backward():
    x = _input((4, 5), "float64")
    report = compare(WrongSignSoftplus.apply, SigmoidSoftplus.apply, x, reference=stable_softplus)
    assert report.row("output", "y").passed
    grad_x = report.row("grad", "x")
    assert not grad_x.passed and not grad_x.a_ref.passed and grad_x.b_ref.passed
    assert grad_x.a_b.rel > 0.1


def test_catches_a_backward_whose_second_derivative_is_wrong():
    """The frozen σ gives the right gradient; its Hessian-vector product in x is 0
    instead of v·u·σ(1 − σ), so that row is off by exactly its largest value."""
    x = _input((4, 5), "float64")
    report = compare(FrozenSigmoidSoftplus.apply, SigmoidSoftplus.apply, x)
    assert report.row("output", "y").passed and report.row("grad", "x").passed
    assert report.row("2nd", "grad_y").passed  # ∂/∂u of u·σ(x) is still σ(x)
    hvp, along = report.row("2nd", "x"), report.row("2nd", "along v")
    assert not hvp.passed
    assert hvp.a_b.rel == pytest.approx(1.0, rel=1e-12)
    assert report.failures == [hvp, along]
    # central differences of each one's own gradient side with the unfrozen one
    assert not hvp.a_fd.passed and hvp.b_fd.passed
    assert hvp.adjudication(("frozen", "live")).startswith("live agrees")


def test_a_function_with_a_second_derivative_matches_finite_differences():
    """The custom softplus and the composite one agree with each other to second
    order, and gradgradcheck confirms the composite is right."""
    from tinygrad_bn.check import gradgradcheck

    x = _input((3, 4), "float64")
    assert gradgradcheck(stable_softplus, x)
    assert compare(SigmoidSoftplus.apply, stable_softplus, x).passed


def test_second_order_can_be_skipped_for_a_backward_that_is_not_differentiable():
    class ArraySoftplus(SigmoidSoftplus):
        @once_differentiable
        def backward(self, grad):
            (x,) = self.saved_tensors
            return Tensor(grad._data / (1 + x.xp.exp(-x._data)))

    x = _input((6,), "float64")
    with pytest.raises(RuntimeError, match="not differentiable"):
        compare(ArraySoftplus.apply, stable_softplus, x)
    report = compare(ArraySoftplus.apply, stable_softplus, x, order=1)
    assert report.passed and _terms(report) == [("output", "y"), ("grad", "x"), ("grad", "along v")]


def test_integer_inputs_pass_through_unchanged_and_are_not_differentiated():
    x = _input((5, 3), "float32")
    index = Tensor(numpy.array([4, 0, 4, 2]))
    report = compare(lambda t, i: t[i] * 2.0, lambda t, i: t[i] + t[i], [x, index],
                     input_names=["x", "index"])
    assert report.passed
    assert ("grad", "index") not in _terms(report)
    # the repeated row 4 collects two gradients: the scatter must be right in both
    assert report.row("grad", "x").scale > 0


def test_several_outputs_and_inputs_are_named():
    x, w = _input((3, 4), "float64"), _input((4,), "float64", seed=1)

    def split(a, b):
        return a * b, (a * a).sum(0)

    def fused(a, b):
        return a * b, (a**2).sum(0)

    report = compare(split, fused, [x, w], input_names=["x", "w"], output_names=["prod", "sq"])
    assert _terms(report) == [
        ("output", "prod"), ("output", "sq"), ("grad", "x"), ("grad", "w"), ("grad", "along v"),
        ("2nd", "x"), ("2nd", "w"), ("2nd", "grad_prod"), ("2nd", "grad_sq"), ("2nd", "along v"),
    ]
    assert report.passed


def test_inputs_changed_in_place_are_compared_as_state():
    x = _input((4, 3), "float64")
    counter = Tensor(numpy.zeros(3))

    def counting(t, c):
        c._data += t._data.mean(0)
        return t * 2.0

    def forgetful(t, c):
        return t * 2.0

    report = compare(counting, forgetful, [x, counter], input_names=["x", "total"])
    state = report.row("state", "total")
    assert not state.a_b.passed and state.a_ref.passed and not state.b_ref.passed
    assert state.scale == pytest.approx(numpy.abs(x.numpy().mean(0)).max())
    assert counter.numpy().tolist() == [0.0, 0.0, 0.0]  # the caller's tensor is untouched
    assert compare(counting, counting, [x, counter]).passed


def test_report_prints_an_aligned_table_and_serializes_to_json():
    report = compare(naive_softplus, stable_softplus, _input((3, 4), "float32"), names=("naive", "stable"))
    text = str(report)
    lines = text.splitlines()
    assert lines[0] == "naive vs stable" and lines[-1] == "passed"
    assert "naive vs stable" in lines[1] and "stable vs float64" in lines[1]
    header, body = lines[2], lines[3:3 + len(report.rows)]
    for line in body:  # columns line up under the header
        assert line.index("float32") == header.index("dtype")
        assert line.rindex("ok") == len(header) + 2
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["passed"] is True and data["a"] == "naive" and len(data["rows"]) == len(report.rows)
    assert data["rows"][1]["a_vs_b"]["tolerance"] == TOLERANCES["float32"].twins


def test_a_failing_row_is_marked():
    report = compare(lambda t: t * 2.0, lambda t: t * 2.5, _input((3,), "float64"), order=1)
    text = str(report)
    assert "FAIL" in text and "✗" in text and text.endswith("FAILED: 3 of 3 rows (✗)")
    # each failing row names its worst element and both values: y = 2x against 2.5x
    worst = int(numpy.argmax(numpy.abs(_input((3,), "float64").numpy())))
    assert f"✗ output y at ({worst},): a " in text


def test_tolerances_follow_the_dtype_and_can_be_overridden():
    assert tolerance_for("int64") == Tolerance(0.0, 0.0)
    assert tolerance_for("float16").twins > tolerance_for("float32").twins > tolerance_for("float64").twins
    with pytest.raises(ValueError, match="no tolerance for dtype complex128"):
        tolerance_for("complex128")
    loose = {"float64": Tolerance(twins=0.2, reference=0.2)}
    x = _input((3,), "float64")
    assert not compare(lambda t: t * 2.0, lambda t: t * 2.2, x).passed
    assert compare(lambda t: t * 2.0, lambda t: t * 2.2, x, tolerances=loose).passed


def test_mismatched_functions_and_bad_arguments_are_explained():
    x = _input((3, 2), "float64")
    with pytest.raises(ValueError, match="different numbers of outputs: a 2, b 1"):
        compare(lambda t: (t, t * 2.0), lambda t: t, x)
    with pytest.raises(ValueError, match=r"output 0 has different shapes: a \(3, 2\), b \(2, 3\)"):
        compare(lambda t: t * 1.0, lambda t: t.T * 1.0, x)
    with pytest.raises(TypeError, match="input 1 is a list"):
        compare(lambda t, u: t, lambda t, u: t, [x, [1.0]])
    with pytest.raises(ValueError, match="2 input_names given for 1 values"):
        compare(lambda t: t, lambda t: t, x, input_names=["x", "y"])
    with pytest.raises(TypeError, match="a returned float 1.0; expected a Tensor"):
        compare(lambda t: 1.0, lambda t: t, x)
    for order in (0, 5, 2.5):
        with pytest.raises(ValueError, match=r"order must be one of \(1, 2, 3, 4\), got"):
            compare(lambda t: t, lambda t: t, x, order=order)


def test_runs_on_a_device_without_handing_device_arrays_to_numpy(strict_cuda):
    x = Tensor(_input((3, 4), "float32").numpy(), device="cuda", requires_grad=True)
    counter = Tensor(numpy.zeros(4, numpy.float32), device="cuda")

    def counting(t, c):
        c._data += t._data.sum(axis=0)
        return stable_softplus(t)

    report = compare(lambda t, c: naive_softplus(t), counting, [x, counter], input_names=["x", "total"])
    assert report.row("grad", "x").passed and report.row("2nd", "x").passed
    assert not report.row("state", "total").a_b.passed
