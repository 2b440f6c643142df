"""compare_bn: fused against composite BatchNorm over the matrix of cases, and the
wrong implementations it must catch."""

import importlib
import importlib.util
import json
from pathlib import Path

import numpy
import pytest

from tinygrad_bn import Function, Tensor, manual_seed, randn
from tinygrad_bn.batchnorm import batch_norm
from tinygrad_bn.check import compare, compare_bn
from tinygrad_bn.check.compare_bn import (
    HARD,
    HARD_TOLERANCES,
    compare_case,
    compare_running_stats,
    measure_costs,
)

SHAPES = [(8, 3), (4, 3, 5), (2, 3, 4, 4)]
# the module (tinygrad_bn.check.compare_bn is the function of that name)
MATRIX = importlib.import_module("tinygrad_bn.check.compare_bn")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wrong_backward.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("wrong_backward", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _replace_fused(monkeypatch, fused):
    """Make the matrix's ``impl="fused"`` call ``fused`` (same signature as batch_norm)."""

    def routed(*args, impl, **kwargs):
        return (fused if impl == "fused" else batch_norm)(*args, impl=impl, **kwargs)

    monkeypatch.setattr(MATRIX, "batch_norm", routed)


def _terms(rows):
    return {(row.kind, row.term) for row in rows}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_fused_and_composite_agree_to_second_order(shape, dtype, training, affine):
    report = compare_case(shape, dtype, training, affine)
    assert report.passed, str(report)
    params = {("grad", "weight"), ("grad", "bias")}
    assert params <= _terms(report.rows) if affine else not params & _terms(report.rows)
    assert {("2nd", "x"), ("2nd", "grad_y")} <= _terms(report.rows)
    state = {("state", "running_mean"), ("state", "running_var")}
    # training mode updates the running statistics (and both twins must do it alike)
    assert state <= _terms(report.rows) if training else not state & _terms(report.rows)


@pytest.mark.parametrize("shape", SHAPES)
def test_float32_data_far_from_zero_passes_and_a_one_pass_variance_does_not(shape, monkeypatch):
    assert compare_case(shape, "float32", data=HARD, tolerances=HARD_TOLERANCES).passed

    def one_pass(x, running_mean, running_var, weight, bias, training, impl, **_):
        axes = (0,) + tuple(range(2, x.ndim))
        param_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        mean = x.mean(axes, keepdims=True)
        var = (x * x).mean(axes, keepdims=True) - mean * mean  # E[x²] − E[x]²: cancels
        return (x - mean) / (var + 1e-5).sqrt() * weight.reshape(param_shape) + bias.reshape(param_shape)

    _replace_fused(monkeypatch, one_pass)
    with numpy.errstate(invalid="ignore"):
        report = compare_case(shape, "float32", data=HARD, tolerances=HARD_TOLERANCES)
    assert not report.row("output", "y").a_ref.passed
    assert report.row("output", "y").b_ref.passed


class FrozenInvStdBatchNorm(Function):
    """Training-mode BatchNorm with the closed-form backward (B7) written in Tensor
    ops on x̂ recomputed from x, but inv_std saved as a constant: right to first
    order, while its double backward misses inv_std's dependence on x."""

    def forward(self, x, weight, bias):
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.param_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        mean = x._data.mean(axis=self.axes, keepdims=True)
        inv_std = 1 / x.xp.sqrt(((x._data - mean) ** 2).mean(axis=self.axes, keepdims=True) + 1e-5)
        self.save_for_backward(x, weight, Tensor(inv_std))
        gamma, beta = weight._data.reshape(self.param_shape), bias._data.reshape(self.param_shape)
        return (x._data - mean) * inv_std * gamma + beta

    def backward(self, dy):
        x, weight, inv_std = self.saved_tensors
        m = x.size // x.shape[1]
        x_hat = (x - x.mean(self.axes, keepdims=True)) * inv_std
        dbeta = dy.sum(self.axes, keepdims=True)
        dgamma = (dy * x_hat).sum(self.axes, keepdims=True)
        dx = weight.reshape(self.param_shape) * inv_std * (dy - dbeta / m - x_hat * dgamma / m)
        return dx, dgamma.reshape(-1), dbeta.reshape(-1)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_double_backward_that_freezes_inv_std_is_caught_at_second_order_only(shape):
    rng = numpy.random.default_rng(3)
    channels = shape[1]
    inputs = [Tensor(5 * rng.standard_normal(shape) + 12, requires_grad=True),
              Tensor(1 + 0.5 * rng.standard_normal(channels), requires_grad=True),
              Tensor(rng.standard_normal(channels), requires_grad=True)]

    def composite(x, weight, bias):
        return batch_norm(x, None, None, weight, bias, training=True, impl="composite")

    report = compare(FrozenInvStdBatchNorm.apply, composite, inputs, reference=composite,
                     input_names=["x", "weight", "bias"])
    assert all(row.passed for row in report.rows if row.kind in ("output", "grad"))
    assert not report.row("2nd", "x").passed
    assert report.row("2nd", "x").a_b.rel > 1e-3


def test_the_wrong_backward_example_is_caught_in_training_mode_only(example, capsys):
    training = example.cross_check(training=True)
    assert {(r.kind, r.term) for r in training.failures} == {
        ("grad", "x"), ("grad", "along v"), ("2nd", "x"), ("2nd", "weight"), ("2nd", "grad_y"), ("2nd", "along v")
    }
    dx = training.row("grad", "x")
    assert dx.a_ref.rel > 0.1 and dx.b_ref.passed  # the simplified rule is the wrong one
    assert example.cross_check(training=False).passed
    assert example.main() == 0
    out = capsys.readouterr().out
    assert "training mode" in out and "eval mode" in out and "FAILED" in out


def test_the_matrix_fails_exactly_the_training_cases_of_the_wrong_backward(example, monkeypatch):
    def simplified(x, running_mean, running_var, weight, bias, training, impl, **_):
        channels = x.shape[1]
        weight = Tensor(numpy.ones(channels, x.dtype)) if weight is None else weight
        bias = Tensor(numpy.zeros(channels, x.dtype)) if bias is None else bias
        running = () if training else (running_mean, running_var)
        return example.SimplifiedBatchNorm.apply(x, weight, bias, *running, training=training, eps=1e-5)

    _replace_fused(monkeypatch, simplified)
    report = compare_bn(shapes=[(6, 2), (2, 2, 3)], dtypes=["float64"], timing_shape=None)
    assert not report.passed
    failed = {check.title for check in report.failures}
    cases = [check.title for check in report.checks if "randn" in check.title]
    assert failed == {title for title in cases if "training" in title}
    text = report.to_text()
    assert text.endswith(f"{len(failed)} of {len(report.checks)} checks FAILED")
    assert all(title in text for title in failed)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_module_twins_keep_the_same_running_statistics(shape, dtype, momentum):
    report = compare_running_stats(shape, dtype, steps=3, momentum=momentum)
    assert report.passed, str(report)
    assert report.row("output", "num_batches_tracked").a_b.tolerance == 0


def test_running_statistics_are_checked_against_pytorch(monkeypatch):
    pytest.importorskip("torch")
    import tinygrad_bn.nn.batchnorm as modules

    def keras_momentum_in_composite(*args, impl, momentum, **kwargs):
        """The classic port bug: Keras's momentum = 1 − PyTorch's."""
        momentum = 1 - momentum if impl == "composite" else momentum
        return batch_norm(*args, impl=impl, momentum=momentum, **kwargs)

    assert compare_running_stats((8, 3)).reference == "PyTorch float64"
    monkeypatch.setattr(modules, "batch_norm", keras_momentum_in_composite)
    report = compare_running_stats((8, 3))
    running_mean = report.row("output", "running_mean")
    assert running_mean.a_ref.passed and not running_mean.b_ref.passed


def test_random_gradients_do_not_repeat_the_data_drawn_with_the_same_seed():
    """The library's generator starts as default_rng(0); were u drawn from the same
    stream, u would equal x and BatchNorm's dx would vanish for any backward."""
    manual_seed(0)
    x = randn(8, 3, dtype="float64", requires_grad=True)
    report = compare(lambda t: batch_norm(t, None, None, training=True, impl="fused"),
                     lambda t: batch_norm(t, None, None, training=True, impl="composite"), x, seed=0)
    assert report.row("grad", "x").scale > 0.1


def test_costs_show_what_each_implementation_keeps_for_backward():
    shape = (16, 4, 3)
    x_bytes = 16 * 4 * 3 * 4  # float32
    fused, composite = measure_costs(shape, rounds=1)
    assert (fused.impl, composite.impl) == ("fused", "composite")
    for cost in (fused, composite):
        assert cost.seconds > 0 and cost.shape == shape
        assert 0 <= cost.extra_bytes <= cost.saved_bytes
    assert fused.extra_bytes < x_bytes  # per-channel values only
    assert composite.extra_bytes >= x_bytes  # at least x̂, for dγ


def test_the_whole_report_prints_and_serializes():
    report = compare_bn(shapes=[(6, 2), (2, 2, 3)], dtypes=["float32"], modes=["training"], affine=(True,),
                        order=1, timing_shape=(8, 4, 3), rounds=1)
    # per shape: one case, the float32 hard-data case, running statistics with two momenta
    assert len(report.checks) == 2 * (1 + 1 + 2)
    assert report.passed
    assert not any(row.kind == "2nd" for check in report.checks for row in check.rows)
    text = str(report)
    assert text.endswith("all checks passed")
    assert all(check.title in text for check in report.checks)
    assert "kept for backward" in text and "composite" in text
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["passed"] is True and len(data["checks"]) == 8
    assert [cost["impl"] for cost in data["costs"]] == ["fused", "composite"]
    assert len(report.to_text(verbose=True)) > len(text)
