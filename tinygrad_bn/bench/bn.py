"""BatchNorm forward + backward in training mode: fused vs composite vs PyTorch CPU.

For each shape, float32, data 5·randn + 12 and a random upstream gradient, the
three candidates run in one process, in alternating blocks with a pause between
them (``time_apart``); the report gives medians and
the ratios the goals are stated in, and the bytes each implementation's graph
keeps alive for backward. When PyTorch is installed, the same bytes are counted
for its ``F.batch_norm`` and for the same composite written in PyTorch ops, so
the memory ratio can be read against PyTorch's own pair.
"""

from __future__ import annotations

import statistics

import numpy

from tinygrad_bn import Tensor
from tinygrad_bn.autograd.graph import saved_bytes
from tinygrad_bn.batchnorm import batch_norm
from tinygrad_bn.timing import (
    RUNS,
    format_mib,
    format_ms,
    interleaved_runs,
    median_of_runs,
    optional_torch,
    ratios_of_runs,
)

SHAPES = ((4096, 512), (64, 64, 32, 32))
GOALS = {"fused_speedup_over_composite": 3.0, "fused_over_pytorch": 2.0, "memory_fused_over_composite": 1 / 3}
PYTORCH_GOALS = {(4096, 512): 2.0, (64, 64, 32, 32): 1.2}  # fused/pytorch by shape; others use GOALS'
HEADING = "bn: BatchNorm forward + backward, training mode, float32, median per step over {runs} interleaved runs"


def _step(impl, x, weight, bias, running_mean, running_var, dy):
    x.grad = weight.grad = bias.grad = None
    y = batch_norm(x, running_mean, running_var, weight, bias, training=True, impl=impl)
    y.backward(dy)


def _inputs(shape, rng):
    channels = shape[1]
    x = Tensor((5 * rng.standard_normal(shape) + 12).astype(numpy.float32), requires_grad=True)
    weight = Tensor(rng.standard_normal(channels).astype(numpy.float32), requires_grad=True)
    bias = Tensor(rng.standard_normal(channels).astype(numpy.float32), requires_grad=True)
    dy = Tensor(rng.standard_normal(shape).astype(numpy.float32))
    return x, weight, bias, dy


def _memory(impl, x, weight, bias):
    y = batch_norm(x, None, None, weight, bias, training=True, impl=impl)
    return {"saved": saved_bytes(y), "extra": saved_bytes(y, exclude=(x, weight, bias))}


def _torch_composite(x, weight, bias, eps=1e-5):
    """The composite's steps (F1)-(F5) in PyTorch ops, for counting what autograd saves."""
    axes = [0, *range(2, x.dim())]
    shape = [1, -1] + [1] * (x.dim() - 2)
    mean = x.mean(axes, keepdim=True)
    centred = x - mean
    var = (centred**2).mean(axes, keepdim=True)
    x_hat = centred / (var + eps).sqrt()
    return x_hat * weight.reshape(shape) + bias.reshape(shape)


def torch_saved_bytes(torch, forward, inputs) -> dict:
    """Bytes of the distinct storages PyTorch's autograd saves while ``forward(*inputs)``
    runs: all of them, and those beyond the inputs' own storages."""
    saved = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        forward(*inputs)
    own = {t.untyped_storage().data_ptr() for t in inputs}
    return {"saved": sum(saved.values()), "extra": sum(n for ptr, n in saved.items() if ptr not in own)}


def _torch_memory(torch, tx, tw, tb) -> dict:
    def fused(x, weight, bias):
        return torch.nn.functional.batch_norm(x, None, None, weight, bias, training=True)

    return {name: torch_saved_bytes(torch, fn, (tx, tw, tb)) for name, fn in
            (("fused", fused), ("composite", _torch_composite))}


def _ratios(memory: dict) -> dict:
    return {kind: memory["fused"][kind] / memory["composite"][kind] for kind in ("saved", "extra")}


def measure(shape, rounds: int, rng, runs: int = RUNS) -> dict:
    x, weight, bias, dy = _inputs(shape, rng)
    channels = shape[1]

    def stats():
        return Tensor(numpy.zeros(channels, numpy.float32)), Tensor(numpy.ones(channels, numpy.float32))

    fused_stats, composite_stats = stats(), stats()
    candidates = {
        "fused": lambda: _step("fused", x, weight, bias, *fused_stats, dy),
        "composite": lambda: _step("composite", x, weight, bias, *composite_stats, dy),
    }
    torch = optional_torch()
    if torch is not None:
        tx = torch.tensor(x.numpy(), requires_grad=True)
        tw = torch.tensor(weight.numpy(), requires_grad=True)
        tb = torch.tensor(bias.numpy(), requires_grad=True)
        trm, trv = torch.zeros(channels), torch.ones(channels)
        tdy = torch.tensor(dy.numpy())

        def pytorch_step():
            tx.grad = tw.grad = tb.grad = None
            torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training=True).backward(tdy)

        candidates["pytorch"] = pytorch_step
    per_run = interleaved_runs(candidates, rounds, runs, label=f"{tuple(shape)}: ")
    result = {
        "shape": list(shape),
        "median_seconds": median_of_runs(per_run),
        "bytes": {impl: _memory(impl, x, weight, bias) for impl in ("fused", "composite")},
        "pytorch_goal": PYTORCH_GOALS.get(tuple(shape), GOALS["fused_over_pytorch"]),
    }
    result["fused_speedup_over_composite"] = statistics.median(ratios_of_runs(per_run, "composite", "fused"))
    if torch is not None:
        result["fused_over_pytorch_runs"] = ratios_of_runs(per_run, "fused", "pytorch")
        result["fused_over_pytorch"] = statistics.median(result["fused_over_pytorch_runs"])
    result["memory_fused_over_composite"] = _ratios(result["bytes"])
    if torch is not None:
        result["pytorch_bytes"] = _torch_memory(torch, tx, tw, tb)
        result["pytorch_memory_fused_over_composite"] = _ratios(result["pytorch_bytes"])
    return result


def run(rounds: int = 3, shapes=SHAPES, runs: int = RUNS) -> dict:
    """Each shape in ``runs`` interleaved runs of ``rounds`` blocks; the ratios are the
    medians of the runs' ratios."""
    rng = numpy.random.default_rng(0)
    return {"goals": GOALS, "runs": runs, "shapes": [measure(tuple(s), rounds, rng, runs) for s in shapes]}


def report(result: dict, heading: bool = True) -> str:
    lines = [HEADING.format(runs=result["runs"])] if heading else []
    lines.append(f"  {'shape':<18} {'fused':>11} {'composite':>11} {'pytorch':>11}   "
                 f"{'composite/fused':>15} {'fused/pytorch':>13}  (runs)")
    for row in result["shapes"]:
        seconds = row["median_seconds"]
        torch_time = format_ms(seconds["pytorch"]) if "pytorch" in seconds else "        n/a"
        torch_ratio = f"{'n/a':>13}"
        if "fused_over_pytorch" in row:
            runs = row["fused_over_pytorch_runs"]
            torch_ratio = f"{row['fused_over_pytorch']:13.2f}  ({min(runs):.2f}-{max(runs):.2f})"
        lines.append(
            f"  {str(tuple(row['shape'])):<18} {format_ms(seconds['fused'])} {format_ms(seconds['composite'])} "
            f"{torch_time}   {row['fused_speedup_over_composite']:15.2f} {torch_ratio}"
        )
    lines.append("  bytes kept for backward (all saved arrays, inputs included | beyond the input and parameters):")
    for row in result["shapes"]:
        shape = f"  {str(tuple(row['shape'])):<18}"
        lines.append(_memory_line(shape, row["bytes"], row["memory_fused_over_composite"]))
        if "pytorch_bytes" in row:
            lines.append(_memory_line(f"  {'  same in pytorch':<18}", row["pytorch_bytes"],
                                      row["pytorch_memory_fused_over_composite"]))
    goals = result["goals"]
    pytorch_goals = ", ".join(f"{row['pytorch_goal']:g} at {tuple(row['shape'])}" for row in result["shapes"])
    lines.append(
        f"  goals: composite/fused >= {goals['fused_speedup_over_composite']:g}, "
        f"fused/pytorch <= {pytorch_goals}, "
        f"memory fused/composite <= {goals['memory_fused_over_composite']:.2f}"
    )
    lines += [f"  {_verdict_label(name)}: {verdict}" for name, verdict in verdicts(result).items()]
    return "\n".join(lines)


MEMORY_COUNTS = {"saved": "all saved arrays", "extra": "beyond the input and parameters"}
VERDICTS = ("fused_speedup_over_composite", "fused_over_pytorch",
            "memory_fused_over_composite:saved", "memory_fused_over_composite:extra")


def _ratio(row: dict, name: str):
    """The ratio ``name`` of one shape (goal, or goal:count for memory), None if not measured."""
    goal, _, count = name.partition(":")
    value = row.get(goal)
    return value[count] if count and value is not None else value


def verdicts(result: dict) -> dict:
    """Name -> 'meets', 'misses at <shapes>' or 'not measured' (no PyTorch), for each goal,
    the memory goal once per count. The speed-up goal is a lower bound, the others upper bounds."""
    out = {}
    for name in VERDICTS:
        goal = name.partition(":")[0]
        at_least = goal == "fused_speedup_over_composite"
        bounds = {str(tuple(row["shape"])): row.get("pytorch_goal", result["goals"][goal])
                  if goal == "fused_over_pytorch" else result["goals"][goal] for row in result["shapes"]}
        values = {str(tuple(row["shape"])): _ratio(row, name) for row in result["shapes"]}
        measured = {shape: value for shape, value in values.items() if value is not None}
        missed = [shape for shape, value in measured.items()
                  if (value < bounds[shape] if at_least else value > bounds[shape])]
        out[name] = "not measured" if not measured else f"misses at {', '.join(missed)}" if missed else "meets"
    return out


def _verdict_label(name: str) -> str:
    goal, _, count = name.partition(":")
    return f"{goal} ({MEMORY_COUNTS[count]})" if count else goal


def _memory_line(label: str, memory: dict, ratio: dict) -> str:
    fused, composite = ([f"{format_mib(memory[impl][kind]):>11}" for kind in ("saved", "extra")]
                        for impl in ("fused", "composite"))
    return (f"{label} fused {fused[0]} | {fused[1]}   composite {composite[0]} | {composite[1]}   "
            f"fused/composite {ratio['saved']:.2f} | {ratio['extra']:.4f}")
