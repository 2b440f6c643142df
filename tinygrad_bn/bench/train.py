"""One SGD training step of an MLP and of a CNN with BatchNorm, side by side with
PyTorch, and a long training loop that must not grow in memory.

The models: MLP-BN 784-512-512-10, each hidden layer ``Linear(bias=False)`` →
BatchNorm1d → ReLU, batch 256; and the ``tinygrad-bn train --model cnn`` network
(two 3×3 conv → BatchNorm2d → ReLU → 2×2 max pool blocks, then a Linear), batch 64,
on 1×8×8 images (the digits) and on 3×32×32 ones. All float32, cross-entropy, SGD
with momentum. Both frameworks build each model from the same code (the APIs have
the same names) and start from the same weights: PyTorch's initial state dict is
loaded into ours. The step is :func:`tinygrad_bn.train.train_step`, which runs a
torch model just as well. The two are timed in alternating blocks with a short
pause between them (see :func:`time_apart`), so that neither runs while the
other's threads still spin, in several interleaved runs: a goal is decided on the
median of the runs' ratios.

The memory check runs ``memory_steps`` steps of the MLP under :mod:`tracemalloc`
(which sees NumPy's array allocations) and records the memory in use at regular
points and the peak between them: a loop that frees each step's graph stays flat.
"""

from __future__ import annotations

import statistics
import tracemalloc

import numpy

from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn.timing import (
    RUNS,
    format_mib,
    format_ms,
    interleaved_runs,
    median_of_runs,
    optional_torch,
    ratios_of_runs,
    side_by_side,
)
from tinygrad_bn.train import train_step

SIZES = (784, 512, 512, 10)
BATCH = 256
LR = 0.01
MOMENTUM = 0.9
GOALS = {"mlp": 1.3, "cnn": 1.5}
CNN_BATCH = 64
CNN_IMAGES = ((1, 8, 8), (3, 32, 32))
CLASSES = 10
HEADING = "train: one SGD step (forward, backward, update), float32, median over {runs} interleaved runs"
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


def cnn_bn(nn_namespace, image_shape, classes=CLASSES):
    """The ``--model cnn`` network of :func:`tinygrad_bn.train.build_model` (fused
    BatchNorm), built from ``torch.nn`` or ``tinygrad_bn.nn``, for (C, H, W) images."""
    channels, height, width = image_shape
    layers = []
    for out in (16, 32):
        layers += [nn_namespace.Conv2d(channels, out, kernel_size=3, padding=1, bias=False),
                   nn_namespace.BatchNorm2d(out), nn_namespace.ReLU(), nn_namespace.MaxPool2d(2)]
        channels, height, width = out, height // 2, width // 2
    return nn_namespace.Sequential(*layers, nn_namespace.Flatten(),
                                   nn_namespace.Linear(channels * height * width, classes))


def _batch(sizes=SIZES, batch=BATCH):
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((batch, *numpy.atleast_1d(sizes[0]))).astype(numpy.float32)
    target = rng.integers(0, sizes[-1], size=batch)
    return x, target


def _ours(x, target, state=None, build=mlp_bn):
    model = build(nn)
    if state is not None:
        model.load_state_dict(state)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, target = Tensor(x), Tensor(target)
    return lambda: train_step(model, optimizer, x, target)


def _pytorch(torch, x, target, build=mlp_bn):
    torch.manual_seed(0)
    model = build(torch.nn)
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


def cases() -> list:
    """(name, goal key, model builder, batch sizes) of each timed step."""
    mlp = ("MLP-BN " + "-".join(str(n) for n in SIZES) + f", batch {BATCH}", "mlp", mlp_bn, (SIZES, BATCH))
    cnns = [(f"CNN {'x'.join(str(n) for n in shape)}, batch {CNN_BATCH}", "cnn",
             lambda namespace, shape=shape: cnn_bn(namespace, shape), ((shape, CLASSES), CNN_BATCH))
            for shape in CNN_IMAGES]
    return [mlp, *cnns]


def time_step(name, goal_key, build, batch, rounds: int, runs: int, torch) -> dict:
    """One model's SGD step in both frameworks, in ``runs`` interleaved runs."""
    x, target = _batch(*batch)
    candidates, state = {}, None
    if torch is not None:
        pytorch_step, state = _pytorch(torch, x, target, build)
    candidates["tinygrad_bn"] = _ours(x, target, state, build)
    if torch is not None:
        candidates["pytorch"] = pytorch_step
    per_run = interleaved_runs(candidates, rounds, runs, label=f"{name}: ")
    row = {"name": name, "step_seconds": median_of_runs(per_run), "goal_ratio": GOALS[goal_key]}
    if torch is not None:
        row["ratios"] = ratios_of_runs(per_run, "tinygrad_bn", "pytorch")
        row["ratio"] = statistics.median(row["ratios"])
    return row


def run(rounds: int = 3, memory_steps: int = MEMORY_STEPS, runs: int = RUNS, models=None) -> dict:
    """Time one SGD step of each model (``models``: goal keys, all by default) in both
    frameworks, then check the MLP's memory over ``memory_steps`` steps."""
    torch = optional_torch()
    steps = [time_step(*case, rounds, runs, torch) for case in cases() if models is None or case[1] in models]
    x, target = _batch()
    state = _pytorch(torch, x, target)[1] if torch is not None else None
    return {"runs": runs, "steps": steps, "memory": memory_check(_ours(x, target, state), steps=memory_steps)}


def report(result: dict, heading: bool = True) -> str:
    lines = [HEADING.format(runs=result["runs"])] if heading else []
    for row in result["steps"]:
        lines.append(f"  {row['name']}:")
        lines += ["  " + line for line in side_by_side(row["step_seconds"], format_ms, row["goal_ratio"],
                                                       row.get("ratio"), row.get("ratios"))]
    memory = result["memory"]
    verdict = "stable" if memory["stable"] else "GROWING"
    lines.append(
        f"  MLP memory over {memory['steps']} steps (tracemalloc): in use {format_mib(memory['current_bytes'][0])} "
        f"-> {format_mib(memory['current_bytes'][-1])}, peak {format_mib(min(memory['peak_bytes']))}"
        f"..{format_mib(max(memory['peak_bytes']))}: {verdict}"
    )
    return "\n".join(lines)
