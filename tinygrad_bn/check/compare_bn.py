"""The BatchNorm cross-check: fused against composite over a matrix of cases.

Each case is one :func:`~tinygrad_bn.check.compare` of ``batch_norm(...,
impl="fused")`` with ``impl="composite"``; the composite in float64 is the
reference (the engine derives its gradients, so it is right by construction).
The matrix covers input ranks, dtypes, training and eval, affine on and off, data
far from mean 0 and variance 1, the running statistics of the module twins after
several steps, and each implementation's time and memory. See docs/cross-check.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy

from tinygrad_bn import Tensor
from tinygrad_bn.autograd.graph import saved_bytes
from tinygrad_bn.batchnorm import IMPLEMENTATIONS, batch_norm
from tinygrad_bn.check.compare import compare
from tinygrad_bn.check.derivatives import from_pytorch
from tinygrad_bn.check.diagnosis import channel_errors, diagnose
from tinygrad_bn.check.report import ComparisonReport, Tolerance, Verdict, format_table
from tinygrad_bn.nn.batchnorm import batch_norm_module
from tinygrad_bn.timing import compare_times, format_mib, optional_torch

SHAPES = ((8, 3), (4, 3, 5), (2, 3, 4, 4))
DTYPES = ("float32", "float64")
MODES = ("training", "eval")
TIMING_SHAPE = (64, 32, 16, 16)

#: Data far from mean 0 and variance 1: x = scale·randn + loc.
TYPICAL = (5.0, 12.0)
#: Ill-conditioned float32 data: neighbouring float32 numbers near 1000 are 6.1e-5
#: apart, 6e-4 of the standard deviation, so code that rounds μ to float32 before
#: subtracting it cannot do better than ~1e-3 (the fused forward, which never
#: rounds a value of size |μ|, reaches ~3e-7); a one-pass variance E[x²] − E[x]²
#: is off by 50% or NaN here.
HARD = (0.1, 1000.0)
HARD_TOLERANCES = {"float32": Tolerance(twins=1e-2, reference=1e-2)}


def _data_label(scale, loc) -> str:
    return f"x = {scale:g}·randn + {loc:g}"


class _Case:
    """The host data of one BatchNorm call: x, γ, β and running statistics near x's."""

    def __init__(self, shape, dtype, rng, scale, loc):
        channels = shape[1]
        self.x = (scale * rng.standard_normal(shape) + loc).astype(dtype)
        self.weight = (1 + 0.5 * rng.standard_normal(channels)).astype(dtype)
        self.bias = rng.standard_normal(channels).astype(dtype)
        self.running_mean = (loc + scale * rng.standard_normal(channels) / 4).astype(dtype)
        self.running_var = (scale**2 * rng.uniform(0.5, 1.5, channels)).astype(dtype)

    def inputs(self, affine: bool):
        """(names, Tensors) for ``batch_norm``'s arguments, parameters requiring grad."""
        names = ["x", "weight", "bias"] if affine else ["x"]
        tensors = [Tensor(getattr(self, name), requires_grad=True) for name in names]
        names += ["running_mean", "running_var"]
        tensors += [Tensor(self.running_mean.copy()), Tensor(self.running_var.copy())]
        return names, tensors


def _functional(impl: str, training: bool, affine: bool):
    """``batch_norm`` with ``impl`` as a function of the case's input Tensors."""

    def fn(x, *rest):
        weight, bias, running_mean, running_var = rest if affine else (None, None, *rest)
        return batch_norm(x, running_mean, running_var, weight, bias, training=training, impl=impl)

    return fn


def _pytorch_functional(training: bool, affine: bool):
    """PyTorch's ``F.batch_norm`` as a function of the case's inputs (torch tensors)."""

    def fn(x, *rest):
        import torch.nn.functional as F

        weight, bias, running_mean, running_var = rest if affine else (None, None, *rest)
        return F.batch_norm(x, running_mean, running_var, weight, bias, training=training)

    return from_pytorch(fn)


def compare_case(shape, dtype="float32", training=True, affine=True, data=TYPICAL, tolerances=None,
                 order=2, seed=0, implementation=None, names=IMPLEMENTATIONS) -> ComparisonReport:
    """Fused (or ``implementation``, a function with ``batch_norm``'s arguments)
    against composite BatchNorm for one case, to ``order``, with the composite in
    float64 as the reference. Failing rows carry their error per channel, and a
    failing ``grad x`` in training mode the diagnosis of its routes.

    >>> report = compare_case((8, 3), "float64", training=True)
    >>> report.passed, report.row("grad", "x").a_b.rel < 1e-12
    (True, True)
    """
    rng = numpy.random.default_rng(seed)
    case = _Case(shape, dtype, rng, *data)
    input_names, inputs = case.inputs(affine)
    mode = "training" if training else "eval"
    title = f"{tuple(shape)} {dtype} · {mode} · {'affine' if affine else 'no affine'} · {_data_label(*data)}"
    fused, composite = (_functional(impl, training, affine) for impl in IMPLEMENTATIONS)
    under_test = fused if implementation is None else implementation
    report = compare(under_test, composite, inputs, reference=composite, names=names, input_names=input_names,
                     tolerances=tolerances, order=order, title=title, seed=seed)
    report.batch_norm = {"x": case.x, "weight": case.weight if affine else None, "eps": 1e-5, "training": training}
    _explain(report, case, training, affine)
    return report


def compare_case_with_pytorch(shape, dtype="float32", training=True, affine=True, data=TYPICAL, order=2,
                              seed=0) -> ComparisonReport:
    """PyTorch's ``F.batch_norm`` against the composite, as :func:`compare_case`
    compares the fused op. Needs PyTorch (the ``torch`` extra)."""
    report = compare_case(shape, dtype, training, affine, data, order=order, seed=seed,
                          implementation=_pytorch_functional(training, affine), names=("PyTorch", "composite"))
    report.in_verdict = False
    return report


def _explain(report: ComparisonReport, case: _Case, training: bool, affine: bool):
    """Give each failing row its error per channel, and a failing ``grad x`` its diagnosis."""
    for row in report.failures:
        a, b, _ = row.values
        row.channel_errors = channel_errors(a, b, row.scale) or None
        if (row.kind, row.term) != ("grad", "x"):
            continue
        if training:
            dy = report.grad_outputs[0]
            row.diagnosis = diagnose(a, case.x, dy, case.weight if affine else None)
        else:
            row.diagnosis = ("in eval mode μ and σ² are the running statistics, constants, so dx = dy·γ/√(running_var"
                             " + ε) (E2); this backward gives something else")


def _module_steps(impl, momentum):
    """Train a fresh module on each batch in turn, then evaluate it on the last one:
    returns (running_mean, running_var, num_batches_tracked, eval output)."""

    def fn(*batches):
        first = batches[0]
        module = batch_norm_module(first.ndim)(first.shape[1], momentum=momentum, impl=impl, dtype=first.dtype)
        for batch in batches:
            module(batch)
        module.eval()
        return module.running_mean, module.running_var, module.num_batches_tracked, module(batches[-1])

    return fn


def _torch_steps(momentum):
    """The same steps with PyTorch's module in float64, as Tensors (None without PyTorch)."""
    torch = optional_torch()
    if torch is None:
        return None

    def fn(*batches):
        channels = batches[0].shape[1]
        cls = getattr(torch.nn, batch_norm_module(batches[0].ndim).__name__)
        module = cls(channels, momentum=momentum, dtype=torch.float64)
        with torch.no_grad():
            for batch in batches:
                module(torch.from_numpy(batch.numpy()))
            module.eval()
            y = module(torch.from_numpy(batches[-1].numpy()))
        state = (module.running_mean, module.running_var, module.num_batches_tracked, y)
        return tuple(Tensor(t.numpy()) for t in state)

    return fn


def compare_running_stats(shape, dtype="float32", steps=3, momentum=0.1, seed=0) -> ComparisonReport:
    """The module twins' running statistics after ``steps`` training batches, and
    their eval output; the reference is PyTorch's module in float64 when installed.

    >>> compare_running_stats((6, 2), "float64", momentum=None).passed
    True
    """
    rng = numpy.random.default_rng(seed)
    scale, loc = TYPICAL
    batches = [Tensor((scale * rng.standard_normal(shape) + loc).astype(dtype)) for _ in range(steps)]
    reference = _torch_steps(momentum)
    cls = batch_norm_module(len(shape)).__name__
    title = f"{cls} running statistics · {tuple(shape)} {dtype} · {steps} steps, momentum={momentum}"
    fused, composite = (_module_steps(impl, momentum) for impl in IMPLEMENTATIONS)
    report = compare(fused, composite, batches, reference=reference, names=IMPLEMENTATIONS,
                     reference_name="float64" if reference is None else "PyTorch float64",
                     input_names=[f"batch{i}" for i in range(steps)],
                     output_names=["running_mean", "running_var", "num_batches_tracked", "y (eval)"],
                     title=title, seed=seed)
    for row in report.failures:
        row.channel_errors = channel_errors(*row.values[:2], row.scale) or None
    return report


@dataclass
class Cost:
    """Forward + backward time (median) and the bytes one implementation's graph keeps
    for backward: all saved arrays, and those beyond the input, parameters and output."""

    impl: str
    shape: tuple
    seconds: float
    saved_bytes: int
    extra_bytes: int

    def to_dict(self) -> dict:
        return {"impl": self.impl, "shape": list(self.shape), "seconds": self.seconds,
                "saved_bytes": self.saved_bytes, "extra_bytes": self.extra_bytes}


def measure_costs(shape=TIMING_SHAPE, rounds=5, seed=0) -> list:
    """Time and memory of each implementation, training mode, float32, 5·randn + 12.

    >>> fused, composite = measure_costs((16, 4), rounds=1)
    >>> fused.impl, composite.impl, fused.extra_bytes < composite.extra_bytes
    ('fused', 'composite', True)
    """
    case = _Case(shape, "float32", numpy.random.default_rng(seed), *TYPICAL)
    _, (x, weight, bias, *_) = case.inputs(affine=True)
    dy = Tensor(numpy.random.default_rng(seed + 1).standard_normal(shape).astype("float32"))

    def step(impl):
        def run():
            x.grad = weight.grad = bias.grad = None
            batch_norm(x, None, None, weight, bias, training=True, impl=impl).backward(dy)

        return run

    timings = compare_times({impl: step(impl) for impl in IMPLEMENTATIONS}, rounds=rounds, warmup=1)
    costs = []
    for impl in IMPLEMENTATIONS:
        y = batch_norm(x, None, None, weight, bias, training=True, impl=impl)
        costs.append(Cost(impl, tuple(shape), timings[impl].median, saved_bytes(y),
                          saved_bytes(y, exclude=(x, weight, bias, y))))
    return costs


@dataclass
class BatchNormReport(Verdict):
    """Every check of :func:`compare_bn`, and the costs; ``passed`` when all checks
    that count pass (PyTorch's, with ``pytorch=True``, are shown but do not count)."""

    checks: list = field(default_factory=list)
    costs: list = field(default_factory=list)

    def parts(self) -> list:
        return [check for check in self.checks if check.in_verdict]

    @property
    def rows(self) -> list:
        """(check, row) for every row of every check."""
        return [(check, row) for check in self.checks for row in check.rows]

    def to_dict(self) -> dict:
        return {"passed": self.passed, "checks": [c.to_dict() for c in self.checks],
                "costs": [c.to_dict() for c in self.costs]}

    def summary(self) -> str:
        """One line per check: its worst relative errors, its first failing order and its verdict."""
        body = []
        for check in self.checks:
            a, b = check.names
            twins = max(check.rows, key=lambda row: row.a_b.rel)
            against = [(d.rel, f"{row.kind} {row.term}")
                       for row in check.rows for d in (row.a_ref, row.b_ref) if d is not None]
            worst_ref = max(against, default=None)
            first = check.first_failure()
            verdict = "ok" if check.passed else f"FAIL at order {first.order}"
            if not check.in_verdict:
                verdict += " (shown, not counted)"
            body.append([check.title if check.in_verdict else f"{a}: {check.title}",
                         f"{twins.a_b.rel:.1e} ({twins.kind} {twins.term})",
                         "—" if worst_ref is None else f"{worst_ref[0]:.1e} ({worst_ref[1]})", verdict])
        header = ["check", "worst rel, a vs b", "worst rel vs reference", ""]
        return format_table(header, body, left=4)

    def cost_table(self) -> str:
        header = ["impl", "shape", "forward+backward", "kept for backward", "beyond input/params/output"]
        body = [
            [c.impl, str(c.shape), f"{c.seconds * 1e3:.2f} ms", format_mib(c.saved_bytes), format_mib(c.extra_bytes)]
            for c in self.costs
        ]
        return format_table(header, body, left=2)

    def to_text(self, verbose=False) -> str:
        """The summary, the full table of each failing check (of every check when
        ``verbose``), the costs and the verdict."""
        parts = [self.summary()]
        shown = self.checks if verbose else [c for c in self.checks if not c.passed]
        parts += [str(check) for check in shown]
        if self.costs:
            parts.append(f"cost, training mode, float32, median of the rounds:\n{self.cost_table()}")
        failed = len(self.failures)
        counted = len(self.parts())
        parts.append("all checks passed" if self.passed else f"{failed} of {counted} checks FAILED")
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_pretty_(self, printer, cycle):
        printer.text("BatchNormReport(...)" if cycle else self.to_text())

    def _repr_html_(self) -> str:
        from tinygrad_bn.check.report import html_table

        verdict = "all checks passed" if self.passed else f"{len(self.failures)} checks FAILED"
        return "".join(html_table(check) for check in self.checks) + f"<p><b>{verdict}</b></p>"

    def plot(self, path=None):
        """A matplotlib Figure of every check (see :func:`~tinygrad_bn.check.plot.plot_report`)."""
        from tinygrad_bn.check.plot import plot_report

        return plot_report(self.checks, path)


def compare_bn(shapes=SHAPES, dtypes=DTYPES, modes=MODES, affine=(True, False), order=2, pytorch=False,
               steps=3, timing_shape=TIMING_SHAPE, rounds=5, seed=0) -> BatchNormReport:
    """Cross-check fused against composite BatchNorm over the whole matrix, to ``order``.

    Correctness runs at the small ``shapes``: every dtype × mode × affine on
    5·randn + 12 data; float32 training on 0.1·randn + 1000 data against the float64
    reference; the module twins' running statistics after ``steps`` batches with
    momentum 0.1 and None. ``pytorch=True`` adds PyTorch's ``F.batch_norm`` against
    the composite for every dtype × mode × affine case: shown, with its
    adjudication, but not counted in the verdict. Time and memory are measured at
    ``timing_shape`` (``timing_shape=None`` skips them).

    >>> report = compare_bn(shapes=[(4, 2)], dtypes=["float64"], timing_shape=None)
    >>> report.passed, len(report.checks)
    (True, 6)
    """
    report = BatchNormReport()
    for shape in shapes:
        for dtype in dtypes:
            for mode in modes:
                for with_affine in affine:
                    training = mode == "training"
                    report.checks.append(compare_case(shape, dtype, training, with_affine, order=order, seed=seed))
                    if pytorch:
                        report.checks.append(compare_case_with_pytorch(shape, dtype, training, with_affine,
                                                                       order=order, seed=seed))
        if "float32" in dtypes and "training" in modes:
            hard = compare_case(shape, "float32", training=True, affine=True, data=HARD,
                                tolerances=HARD_TOLERANCES, order=order, seed=seed)
            report.checks.append(hard)
        for dtype in dtypes:
            for momentum in (0.1, None):
                report.checks.append(compare_running_stats(shape, dtype, steps, momentum, seed))
    if timing_shape is not None:
        report.costs = measure_costs(timing_shape, rounds, seed)
    return report
