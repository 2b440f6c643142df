"""Side-by-side timing, shared by the benchmarks and the cross-checks: run candidates
interleaved, report medians and ratios.

Machines are noisy, so absolute times mean little; what a benchmark reports is
the ratio of two medians measured in the same run, rounds alternating between
the candidates so that both see the same noise.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from dataclasses import dataclass, field


def optional_torch():
    """PyTorch if it is installed, else None (it is never required)."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


BLOCK = 3  # timed calls per candidate between pauses (time_apart)
RUNS = 5  # interleaved runs whose median ratio decides a goal (interleaved_runs)
SETTLE_SECONDS = 0.2
WARM_SECONDS = 0.25  # untimed calls after each pause, at least one: see time_apart


@dataclass
class Timing:
    name: str
    seconds: list = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def compare_times(candidates: dict, rounds: int = 15, number: int = 1, warmup: int = 2) -> dict:
    """Time each callable in ``candidates`` (name -> fn), alternating between them.

    Each round calls every candidate ``number`` times and records the mean time
    per call. Returns name -> :class:`Timing`.
    """
    timings = {name: Timing(name) for name in candidates}
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    for _ in range(rounds):
        for name, fn in candidates.items():
            start = time.perf_counter()
            for _ in range(number):
                fn()
            timings[name].seconds.append((time.perf_counter() - start) / number)
    return timings


def time_apart(candidates: dict, rounds: int, block: int = BLOCK) -> dict:
    """Median seconds per call of each candidate (name -> fn), timed in alternating
    blocks of ``block`` calls, each after a pause and ``WARM_SECONDS`` of untimed calls.

    After working, NumPy's BLAS threads and PyTorch's OpenMP threads keep spinning
    for a while; on 2 cores a framework timed right after the other one runs up to
    2-3x slower than alone. The pause lets them go to sleep first. But a process
    that has sat idle then runs slower for a while: a 1×8×8 CNN step took 5.3 ms in
    the first 25 ms after a 0.2 s pause and 4.0 ms from 150 ms on. The untimed calls
    bring each candidate back to the speed it has in a loop that never pauses, which
    is what a training loop sees. Each round starts with the next candidate, so
    none is always the one that follows a given other.
    """
    seconds = {name: [] for name in candidates}
    names = list(candidates)
    for round_ in range(rounds):
        start = round_ % len(names)
        for name in names[start:] + names[:start]:
            fn = candidates[name]
            time.sleep(SETTLE_SECONDS)
            _warm_up(fn, WARM_SECONDS)
            seconds[name] += compare_times({name: fn}, rounds=block, number=1, warmup=0)[name].seconds
    return {name: statistics.median(values) for name, values in seconds.items()}


def _warm_up(fn, seconds: float):
    """Call ``fn`` once, then again until ``seconds`` have passed."""
    start = time.perf_counter()
    fn()
    while time.perf_counter() - start < seconds:
        fn()


def interleaved_runs(candidates: dict, rounds: int, runs: int = RUNS, timer=None, label: str = "") -> list:
    """``runs`` interleaved runs of ``candidates`` (name -> fn), each timed by
    ``timer(candidates, rounds)`` (:func:`time_apart` by default), which returns name ->
    median seconds. Returns one such dict per run, and shows the progress on stderr."""
    timer = timer or time_apart
    results = []
    for run in range(runs):
        print(f"  {label}run {run + 1}/{runs}", file=sys.stderr, flush=True)
        results.append(timer(candidates, rounds))
    return results


def median_of_runs(per_run: list) -> dict:
    """Name -> median over the runs of each run's median seconds."""
    return {name: statistics.median(run[name] for run in per_run) for name in per_run[0]}


def ratios_of_runs(per_run: list, numerator: str, denominator: str) -> list:
    """numerator / denominator of each run (the goals are decided on their median)."""
    return [run[numerator] / run[denominator] for run in per_run]


def format_ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.3f} ms"


def format_us(seconds: float) -> str:
    return f"{seconds * 1e6:8.2f} µs"


def format_mib(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:.2f} MiB"


def side_by_side(seconds: dict, fmt, goal: float, ratio: float | None = None, ratios=None) -> list:
    """Report lines: each framework's time (``fmt`` formats seconds), then the ratio
    tinygrad_bn / pytorch against ``goal`` (with the range over ``ratios``, one per
    run, when given), or a hint to install PyTorch."""
    lines = [f"  {name:<12} {fmt(value)}" for name, value in seconds.items()]
    if ratio is None:
        lines.append("  (PyTorch is not installed: pip install -e '.[torch]' for the side-by-side ratio)")
    else:
        verdict = "meets" if ratio <= goal else "misses"
        spread = f", runs {min(ratios):.2f}-{max(ratios):.2f}" if ratios else ""
        lines.append(f"  ratio tinygrad_bn / pytorch = {ratio:.2f} ({verdict} the goal <= {goal:.1f}{spread})")
    return lines
