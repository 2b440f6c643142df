"""One SGD training step of an MLP with BatchNorm, side by side with PyTorch, and
a long training loop that must not grow in memory.

The model: 784-512-512-10, each hidden layer ``Linear(bias=False)`` → BatchNorm1d
→ ReLU; batch 256 of float32, cross-entropy, SGD with momentum. Both frameworks
build it from the same code (the APIs have the same names) and start from the
same weights: PyTorch's initial state dict is loaded into ours. The step is
:func:`tinygrad_bn.train.train_step`, which runs a torch model just as well.
The two are timed in alternating blocks with a short pause between them (see
:func:`time_apart`), so that neither runs while the other's threads still spin.

The memory check runs ``memory_steps`` steps under :mod:`tracemalloc` (which
sees NumPy's array allocations) and records the memory in use at regular points
and the peak between them: a loop that frees each step's graph stays flat.
"""

from __future__ import annotations

import tracemalloc

import numpy

from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn.timing import format_mib, format_ms, optional_torch, side_by_side, time_apart
from tinygrad_bn.train import train_step

SIZES = (784, 512, 512, 10)
BATCH = 256
LR = 0.01
MOMENTUM = 0.9
GOAL = 1.5
MEMORY_STEPS = 1000
MEMORY_CHECKPOINTS = 10
STABLE_GROWTH_BYTES = 1 << 20  # what the memory in use may drift between the first and last checkpoint


def mlp_bn(nn_namespace, sizes=SIZES, **batch_norm_options):
    """The benchmark's model, built from ``torch.nn`` or ``tinygrad_bn.nn``."""
    layers = []
    for width_in, width_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [
            nn_namespace.Linear(width_in, width_out, bias=False),
            nn_namespace.BatchNorm1d(width_out, **batch_norm_options),
            nn_namespace.ReLU(),
        ]
    return nn_namespace.Sequential(*layers, nn_namespace.Linear(sizes[-2], sizes[-1]))


def _batch(sizes=SIZES, batch=BATCH):
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(numpy.float32)
    target = rng.integers(0, sizes[-1], size=batch)
    return x, target


def _ours(x, target, state=None):
    model = mlp_bn(nn)
    if state is not None:
        model.load_state_dict(state)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, target = Tensor(x), Tensor(target)
    return lambda: train_step(model, optimizer, x, target)


def _pytorch(torch, x, target):
    torch.manual_seed(0)
    model = mlp_bn(torch.nn)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, target = torch.from_numpy(x), torch.from_numpy(target)
    state = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    return (lambda: train_step(model, optimizer, x, target, torch.nn.functional)), state


def memory_check(step, steps: int = MEMORY_STEPS, checkpoints: int = MEMORY_CHECKPOINTS) -> dict:
    """Run ``step`` ``steps`` times under tracemalloc; return the bytes in use and
    the peak bytes of each of ``checkpoints`` equal windows, and whether it is stable."""
    step()  # warm-up: the optimizer's state and any caches exist from here on
    window = max(1, steps // checkpoints)
    current, peak = [], []
    tracemalloc.start()
    try:
        for _ in range(checkpoints):
            tracemalloc.reset_peak()
            for _ in range(window):
                step()
            in_use, top = tracemalloc.get_traced_memory()
            current.append(in_use)
            peak.append(top)
    finally:
        tracemalloc.stop()
    growth = current[-1] - current[0]
    return {
        "steps": window * checkpoints,
        "current_bytes": current,
        "peak_bytes": peak,
        "growth_bytes": growth,
        "stable": abs(growth) <= STABLE_GROWTH_BYTES and max(peak) - peak[0] <= STABLE_GROWTH_BYTES,
    }


def run(rounds: int = 15, memory_steps: int = MEMORY_STEPS) -> dict:
    """Time one SGD step in both frameworks (median over ``rounds`` blocks of
    :data:`BLOCK` steps each), then check memory over ``memory_steps`` steps."""
    x, target = _batch()
    torch = optional_torch()
    candidates, state = {}, None
    if torch is not None:
        pytorch_step, state = _pytorch(torch, x, target)
    candidates["tinygrad_bn"] = _ours(x, target, state)
    if torch is not None:
        candidates["pytorch"] = pytorch_step
    step_seconds = time_apart(candidates, rounds)
    result = {
        "step_seconds": step_seconds,
        "batch": BATCH,
        "sizes": list(SIZES),
        "goal_ratio": GOAL,
    }
    if "pytorch" in step_seconds:
        result["ratio"] = step_seconds["tinygrad_bn"] / step_seconds["pytorch"]
    result["memory"] = memory_check(_ours(x, target, state), steps=memory_steps)
    return result


def report(result: dict) -> str:
    sizes = "-".join(str(n) for n in result["sizes"])
    lines = [f"train: one SGD step (forward, backward, update) of MLP-BN {sizes}, batch {result['batch']}"]
    lines += side_by_side(result["step_seconds"], format_ms, result["goal_ratio"], result.get("ratio"))
    memory = result["memory"]
    verdict = "stable" if memory["stable"] else "GROWING"
    lines.append(
        f"  memory over {memory['steps']} steps (tracemalloc): in use {format_mib(memory['current_bytes'][0])} "
        f"-> {format_mib(memory['current_bytes'][-1])}, peak {format_mib(min(memory['peak_bytes']))}"
        f"..{format_mib(max(memory['peak_bytes']))}: {verdict}"
    )
    return "\n".join(lines)
