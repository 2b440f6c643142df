"""The overhead benchmark: its workload computes what it says, and its result is sane.

No timing is asserted: speed goals live in the benchmark's own report."""

import statistics

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.bench import overhead


def _chain_slope(steps, a=1.01):
    # y_n = a·y_{n-1} + x with y_0 = x  ⇒  dy_n/dx = (aⁿ⁺¹ − 1)/(a − 1)
    return (a ** (steps + 1) - 1) / (a - 1)


def test_the_chain_differentiates_correctly():
    x = Tensor(numpy.ones((4, 4)), requires_grad=True)
    overhead.chain(x, steps=3)
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.full((4, 4), _chain_slope(3)))


def test_the_chain_runs_the_same_on_pytorch():
    torch = pytest.importorskip("torch")
    x = torch.ones((4, 4), dtype=torch.float64, requires_grad=True)
    overhead.chain(x, steps=3)
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.full((4, 4), _chain_slope(3)))


def test_run_returns_per_op_times():
    result = overhead.run(rounds=1, steps=3)
    assert result["ops"] == 3 * overhead.OPS_PER_STEP + 1
    seconds = result["per_op_seconds"]["tinygrad_bn"]
    assert 0 < seconds < 1
    if "pytorch" in result["per_op_seconds"]:
        # the goal is decided on the median of the runs' ratios
        assert len(result["ratios"]) == overhead.RUNS and result["ratio"] == statistics.median(result["ratios"])
        assert "ratio tinygrad_bn / pytorch" in overhead.report(result)


def test_report_with_pytorch_states_the_ratio_against_the_goal():
    pytest.importorskip("torch")
    result = overhead.run(rounds=1, steps=3)
    report = overhead.report(result)
    assert f"{result['ratio']:.2f}" in report
    assert ("meets" if result["ratio"] <= 1.0 else "misses") + " the goal <= 1.0" in report


def test_report_without_pytorch_says_how_to_get_the_ratio():
    report = overhead.report({"per_op_seconds": {"tinygrad_bn": 2e-5}, "ops": 7, "goal_ratio": 1.0})
    assert "20.00 µs" in report and "pip install -e '.[torch]'" in report
