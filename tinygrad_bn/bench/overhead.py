"""Per-op engine overhead on tiny tensors, side by side with PyTorch's eager mode.

The workload: a chain of ``steps`` × (``y = y * 1.01 + x``) on a 4×4 float32
tensor, then ``y.sum().backward()``. Reported per recorded op (forward and
backward together), so the cost of the arrays themselves is negligible and what
is measured is the framework: op dispatch, graph recording and the backward walk.
"""

from __future__ import annotations

import numpy

from tinygrad_bn import Tensor
from tinygrad_bn.timing import compare_times, format_us, optional_torch, side_by_side

STEPS = 50
OPS_PER_STEP = 2  # one multiply, one add
GOAL = 1.0


def chain(x, steps=STEPS):
    y = x
    for _ in range(steps):
        y = y * 1.01 + x
    y.sum().backward()


def run(rounds: int = 15, steps: int = STEPS) -> dict:
    """Measure the chain; returns per-op seconds by framework and the ratio."""
    data = numpy.random.default_rng(0).standard_normal((4, 4)).astype(numpy.float32)
    x = Tensor(data, requires_grad=True)
    candidates = {"tinygrad_bn": lambda: chain(x, steps)}
    torch = optional_torch()
    if torch is not None:
        tx = torch.tensor(data, requires_grad=True)
        candidates["pytorch"] = lambda: chain(tx, steps)
    ops = steps * OPS_PER_STEP + 1
    timings = compare_times(candidates, rounds=rounds, number=20)
    per_op = {name: t.median / ops for name, t in timings.items()}
    result = {"per_op_seconds": per_op, "ops": ops, "goal_ratio": GOAL}
    if "pytorch" in per_op:
        result["ratio"] = per_op["tinygrad_bn"] / per_op["pytorch"]
    return result


def report(result: dict) -> str:
    lines = [f"overhead: chain of {result['ops']} ops on 4x4 float32, forward + backward, per op"]
    lines += side_by_side(result["per_op_seconds"], format_us, result["goal_ratio"], result.get("ratio"))
    return "\n".join(lines)
