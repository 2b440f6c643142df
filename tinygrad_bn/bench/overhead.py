"""Per-op engine overhead on tiny tensors, side by side with PyTorch's eager mode.

The workload: a chain of ``steps`` × (``y = y * 1.01 + x``) on a 4×4 float32
tensor, then ``y.sum().backward()``. Reported per recorded op (forward and
backward together), so the cost of the arrays themselves is negligible and what
is measured is the framework: op dispatch, graph recording and the backward walk.
"""

from __future__ import annotations

import statistics

import numpy

from tinygrad_bn import Tensor
from tinygrad_bn.timing import (
    RUNS,
    compare_times,
    format_us,
    interleaved_runs,
    median_of_runs,
    optional_torch,
    ratios_of_runs,
    side_by_side,
)

STEPS = 50
OPS_PER_STEP = 2  # one multiply, one add
GOAL = 1.0
HEADING = "overhead: a chain of y = y * 1.01 + x on 4x4 float32, forward + backward, per op, median of {runs} runs"


def chain(x, steps=STEPS):
    y = x
    for _ in range(steps):
        y = y * 1.01 + x
    y.sum().backward()


def run(rounds: int = 5, steps: int = STEPS, runs: int = RUNS) -> dict:
    """Measure the chain in ``runs`` interleaved runs; returns the median per-op seconds by
    framework and the median of the runs' ratios."""
    data = numpy.random.default_rng(0).standard_normal((4, 4)).astype(numpy.float32)
    x = Tensor(data, requires_grad=True)
    candidates = {"tinygrad_bn": lambda: chain(x, steps)}
    torch = optional_torch()
    if torch is not None:
        tx = torch.tensor(data, requires_grad=True)
        candidates["pytorch"] = lambda: chain(tx, steps)
    ops = steps * OPS_PER_STEP + 1
    per_run = interleaved_runs(candidates, rounds, runs, timer=_per_call)
    per_op = {name: seconds / ops for name, seconds in median_of_runs(per_run).items()}
    result = {"per_op_seconds": per_op, "ops": ops, "goal_ratio": GOAL, "runs": runs}
    if "pytorch" in per_op:
        result["ratios"] = ratios_of_runs(per_run, "tinygrad_bn", "pytorch")
        result["ratio"] = statistics.median(result["ratios"])
    return result


def _per_call(candidates: dict, rounds: int) -> dict:
    return {name: t.median for name, t in compare_times(candidates, rounds=rounds, number=20).items()}


def report(result: dict, heading: bool = True) -> str:
    lines = [HEADING.format(runs=result.get("runs", RUNS))] if heading else []
    lines.append(f"  {result['ops']} ops per chain")
    lines += side_by_side(result["per_op_seconds"], format_us, result["goal_ratio"], result.get("ratio"),
                          result.get("ratios"))
    return "\n".join(lines)
