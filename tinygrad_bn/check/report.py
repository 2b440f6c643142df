"""What a cross-check reports: the tolerance table, one row per compared quantity,
and the aligned text table that ``str(report)`` prints.

Every error is *relative to the largest value*: for a row, with ``scale`` the
largest |value| in a, b and the reference,

    abs = max |a − b|        rel = abs / scale

so a quantity that is small everywhere is judged against its own size, and a
single element near zero cannot make the relative error explode (an element-wise
|a − b|/|b| would). The row passes when every ``rel`` is within its tolerance.
See docs/cross-check.md for how to read the table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy


class Tolerance(NamedTuple):
    """Largest relative error that passes: ``twins`` for a against b, ``reference``
    for each of them against the float64 reference."""

    twins: float
    reference: float


#: Tolerances by dtype, relative to the largest value (see docs/cross-check.md).
#: float64: two correct implementations agree to ~1e-15; 1e-10 leaves room for
#: ill-conditioned data (mean 1000, std 0.1 costs four to five digits) and still
#: catches any wrong formula. float32: twins agree to ~1e-6 of the largest value;
#: against float64 the float32 rounding of every intermediate adds up, so 1e-4.
#: float16: ~3 significant digits, 1e-2 for everything. Integers and booleans
#: must match exactly.
TOLERANCES = {
    "float64": Tolerance(twins=1e-10, reference=1e-10),
    "float32": Tolerance(twins=1e-5, reference=1e-4),
    "float16": Tolerance(twins=1e-2, reference=1e-2),
}
EXACT = Tolerance(twins=0.0, reference=0.0)
#: Central differences of the order below, in float64, against each implementation
#: (relative to the larger of the two). Their error at compare's step is ~1e-8 for
#: smooth functions; a wrong derivative is off by 1e-2 or more.
FINITE_DIFFERENCES = 1e-5


def tolerance_for(dtype, table: dict | None = None) -> Tolerance:
    """The tolerance for values of ``dtype``: ``table`` entries override :data:`TOLERANCES`.

    >>> tolerance_for("float32")
    Tolerance(twins=1e-05, reference=0.0001)
    """
    dtype = numpy.dtype(dtype)
    if dtype.kind in "biu":
        return EXACT
    merged = {**TOLERANCES, **(table or {})}
    if dtype.name not in merged:
        raise ValueError(
            f"no tolerance for dtype {dtype.name}; known: {', '.join(merged)}. "
            f"Pass tolerances={{'{dtype.name}': Tolerance(twins=..., reference=...)}}"
        )
    return merged[dtype.name]


class Difference(NamedTuple):
    """The largest absolute and relative difference between two arrays, and the
    relative tolerance it is judged against."""

    abs: float
    rel: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return self.rel <= self.tolerance  # False for NaN


def largest(*arrays) -> float:
    """The largest finite |value| in any of the host arrays (0.0 when there is none)."""
    finite = [numpy.abs(a[numpy.isfinite(a)]) for a in arrays if a is not None]
    return max((float(f.max()) for f in finite if f.size), default=0.0)


def difference(x, y, scale: float, tolerance: float) -> Difference:
    """Compare two host arrays of one shape, relative to ``scale``.

    Equal elements (the same infinity, or NaN in both) differ by 0; where only one
    side is non-finite the difference is infinite.
    """
    gap = _gaps(x, y)
    error = float(gap.max()) if gap.size else 0.0
    if scale > 0:
        relative = error / scale
    else:
        relative = 0.0 if error == 0 else math.inf
    return Difference(error, relative, tolerance)


@dataclass
class Row:
    """One compared quantity: an output, a derivative or an input's state after the
    call, and how far a, b, the reference and central differences are apart.

    ``order`` is the number of derivatives the quantity takes (0 for outputs and
    state). ``a_ref``/``b_ref`` are None when the reference does not provide this
    quantity, ``a_fd``/``b_fd`` when there are no central differences for it (the
    order-1 gradients; see :mod:`~tinygrad_bn.check.compare`). ``values`` keeps the
    host arrays of a, b and the reference. ``diagnosis`` and ``channel_errors`` are
    filled in by checks that know what the quantity means (BatchNorm's routes).
    """

    kind: str
    term: str
    dtype: str
    scale: float
    a_b: Difference
    a_ref: Difference | None = None
    b_ref: Difference | None = None
    order: int = 0
    a_fd: Difference | None = None
    b_fd: Difference | None = None
    values: tuple = field(default=(None, None, None), repr=False)
    finite_differences: tuple | None = field(default=None, repr=False)
    diagnosis: str | None = None
    channel_errors: list | None = None

    def differences(self):
        return [d for d in (self.a_b, self.a_ref, self.b_ref, self.a_fd, self.b_fd) if d is not None]

    @property
    def passed(self) -> bool:
        return all(d.passed for d in self.differences())

    @property
    def index(self) -> tuple:
        """The index of the worst element: where a and b are furthest apart, or, when
        they agree, where the worst failing comparison with a reference is."""
        a, b, ref = self.values
        pairs = [(a, b)]
        if self.a_b.passed:
            pairs = [(x, y) for x, y, d in ((a, ref, self.a_ref), (b, ref, self.b_ref)) if d and not d.passed]
            if self.finite_differences is not None:
                pairs += [(x, y) for x, y, d in zip((a, b), self.finite_differences, (self.a_fd, self.b_fd),
                                                    strict=True) if not d.passed]
        gaps = [_gaps(x, y) for x, y in pairs[:1] if x is not None and y is not None]
        if not gaps or gaps[0].ndim == 0:
            return ()
        return tuple(int(i) for i in numpy.unravel_index(int(numpy.argmax(gaps[0])), gaps[0].shape))

    @property
    def worst(self) -> tuple:
        """(a, b) at :attr:`index`."""
        a, b, _ = self.values
        index = self.index
        return float(numpy.asarray(a)[index]), float(numpy.asarray(b)[index])

    @property
    def channel(self) -> int | None:
        """The channel of the worst element, for rows that know their channels
        (BatchNorm's: axis 1 of an input, axis 0 of a per-channel parameter)."""
        index = self.index
        if self.channel_errors is None or not index:
            return None
        return index[1] if len(index) >= 2 else index[0]

    def adjudication(self, names=("a", "b")) -> str | None:
        """Which implementation agrees with central differences of its own order below,
        when there are such differences."""
        if self.a_fd is None:
            return None
        right = [name for name, d in zip(names, (self.a_fd, self.b_fd), strict=True) if d.passed]
        if len(right) == 2:
            return "both agree with central differences of their order below"
        if not right:
            return "neither agrees with central differences of its order below"
        wrong = names[1] if right[0] == names[0] else names[0]
        return f"{right[0]} agrees with central differences of its order below; {wrong} does not"

    def where(self, names=("a", "b")) -> str:
        """One line: the worst element, both values, and the adjudication."""
        a, b = names
        va, vb = self.worst
        index = self.index
        place = f"at {index}" if index else "(a scalar)"
        if self.channel is not None:
            place += f" (channel {self.channel})"
        text = f"{self.kind} {self.term} {place}: {a} {va:.6g}, {b} {vb:.6g}"
        if self.finite_differences is not None:
            fd = self.finite_differences[0]
            text += f", central differences {float(numpy.asarray(fd)[index]):.6g}"
        judged = self.adjudication(names)
        if judged and not self.a_b.passed:
            text += f"; {judged}"
        if self.diagnosis:
            text += f"\n    why: {self.diagnosis}"
        return text

    def to_dict(self, names=("a", "b")) -> dict:
        failing = not self.passed
        return {
            "kind": self.kind,
            "term": self.term,
            "order": self.order,
            "dtype": self.dtype,
            "largest": json_number(self.scale),
            "a_vs_b": _difference_dict(self.a_b),
            "a_vs_reference": _difference_dict(self.a_ref),
            "b_vs_reference": _difference_dict(self.b_ref),
            "a_vs_finite_differences": _difference_dict(self.a_fd),
            "b_vs_finite_differences": _difference_dict(self.b_fd),
            "passed": self.passed,
            "index": list(self.index) if failing else None,
            "worst": dict(zip(("a", "b"), map(json_number, self.worst), strict=True)) if failing else None,
            "channel": self.channel if failing else None,
            "adjudication": self.adjudication(names),
            "diagnosis": self.diagnosis,
            "channel_errors": None if self.channel_errors is None else [json_number(e) for e in self.channel_errors],
        }


def _gaps(x, y):
    """|x − y| elementwise, with NaN or ∞ where only one side is non-finite as +∞."""
    x, y = numpy.asarray(x, dtype=float), numpy.asarray(y, dtype=float)
    with numpy.errstate(invalid="ignore"):
        gap = numpy.abs(x - y)
    agree = (x == y) | (numpy.isnan(x) & numpy.isnan(y))
    return numpy.where(agree, 0.0, numpy.where(numpy.isnan(gap), math.inf, gap))


class Verdict:
    """A report made of parts that each pass or fail (rows, or whole checks)."""

    def parts(self) -> list:
        raise NotImplementedError

    @property
    def passed(self) -> bool:
        return all(part.passed for part in self.parts())

    @property
    def failures(self) -> list:
        return [part for part in self.parts() if not part.passed]


@dataclass
class ComparisonReport(Verdict):
    """The result of :func:`~tinygrad_bn.check.compare`: one :class:`Row` per
    quantity; ``passed`` is True when every row is within tolerance, ``failures``
    lists the rows that are not. ``grad_outputs`` and ``directions`` are the
    cotangents w and directions v that were drawn (host arrays)."""

    title: str
    names: tuple = ("a", "b")
    reference: str = "float64"
    rows: list = field(default_factory=list)
    grad_outputs: list | None = field(default=None, repr=False)
    directions: list | None = field(default=None, repr=False)
    #: False for a comparison shown for information only (PyTorch's BatchNorm
    #: beside ours): a report made of several leaves it out of its verdict.
    in_verdict: bool = True

    def parts(self) -> list:
        return self.rows

    @property
    def order(self) -> int:
        """The highest order of derivative compared."""
        return max((row.order for row in self.rows), default=0)

    def row(self, kind: str, term: str) -> Row:
        """The row for ``term`` of ``kind`` ("output", "state", "grad", "2nd", "3rd", "4th")."""
        for row in self.rows:
            if (row.kind, row.term) == (kind, term):
                return row
        known = ", ".join(f"{r.kind} {r.term}" for r in self.rows)
        raise KeyError(f"no row {kind} {term!r}; the report has: {known}")

    def first_failure(self) -> Row | None:
        """The failing row of the lowest order (the first one, at equal orders)."""
        return min(self.failures, key=lambda row: row.order, default=None)

    def to_dict(self) -> dict:
        a, b = self.names
        return {
            "title": self.title,
            "a": a,
            "b": b,
            "reference": self.reference,
            "order": self.order,
            "passed": self.passed,
            "in_verdict": self.in_verdict,
            "rows": [row.to_dict(self.names) for row in self.rows],
        }

    def table(self) -> str:
        a, b = self.names
        groups = [("", 4), (f"{a} vs {b}", 2), (f"{a} vs {self.reference}", 2),
                  (f"{b} vs {self.reference}", 2), ("vs central diff.", 2), ("", 1)]
        header = ["kind", "term", "dtype", "largest", "abs", "rel", "abs", "rel", "abs", "rel", a, b, ""]
        body = [
            [row.kind, row.term, row.dtype, f"{row.scale:.1e}", *_cells(row.a_b), *_cells(row.a_ref),
             *_cells(row.b_ref), _cells(row.a_fd)[1], _cells(row.b_fd)[1], "ok" if row.passed else "FAIL"]
            for row in self.rows
        ]
        return format_table(header, body, groups=groups, left=3)

    def __str__(self) -> str:
        verdict = "passed" if self.passed else f"FAILED: {len(self.failures)} of {len(self.rows)} rows (✗)"
        lines = [self.title, self.table()]
        lines.append(f"tolerated rel: {_tolerance_note(self.rows, self.names, self.reference)}")
        lines += [f"✗ {row.where(self.names)}" for row in self.failures]
        lines.append(verdict)
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):
        printer.text(f"{type(self).__name__}(...)" if cycle else str(self))

    def _repr_html_(self) -> str:
        return html_table(self)

    def plot(self, path=None):
        """A matplotlib Figure of this comparison (see :func:`~tinygrad_bn.check.plot.plot_report`)."""
        from tinygrad_bn.check.plot import plot_report

        return plot_report([self], path)


def _cells(d: Difference | None) -> list:
    if d is None:
        return ["—", "—"]
    return [f"{d.abs:.1e}", f"{d.rel:.1e}" + ("" if d.passed else " ✗")]


def html_table(report) -> str:
    """The rows of a :class:`ComparisonReport` as an HTML table, failing cells marked."""
    from html import escape

    a, b = report.names
    head = ["order", "kind", "term", "dtype", f"{a} vs {b}", f"{a} vs {report.reference}",
            f"{b} vs {report.reference}", f"{a} vs c.d.", f"{b} vs c.d.", ""]
    cells = []
    for row in report.rows:
        tds = [str(row.order), row.kind, escape(row.term), row.dtype]
        for d in (row.a_b, row.a_ref, row.b_ref, row.a_fd, row.b_fd):
            bad = d is not None and not d.passed
            text = "—" if d is None else f"{d.rel:.1e}"
            tds.append(f'<td style="background:#f4c7a1">{text} ✗</td>' if bad else f"<td>{text}</td>")
        verdict = "ok" if row.passed else "<b>FAIL</b>"
        cells.append("<tr>" + "".join(t if t.startswith("<td") else f"<td>{t}</td>" for t in tds)
                     + f"<td>{verdict}</td></tr>")
    where = "".join(f"<li>{escape(row.where(report.names))}</li>" for row in report.failures)
    verdict = "passed" if report.passed else f"FAILED: {len(report.failures)} of {len(report.rows)} rows"
    return (f"<div><b>{escape(report.title)}</b><table><tr>{''.join(f'<th>{escape(h)}</th>' for h in head)}</tr>"
            f"{''.join(cells)}</table>{f'<ul>{where}</ul>' if where else ''}<p>{verdict}</p></div>")


def _tolerance_note(rows, names, reference) -> str:
    """One clause per dtype: its tolerance between a and b, against the reference,
    and against central differences."""
    notes = {}
    for row in rows:
        clause = f"{_bound(row.a_b.tolerance)} between {names[0]} and {names[1]}"
        if row.a_ref is not None:
            clause += f", {_bound(row.a_ref.tolerance)} against {reference}"
        notes.setdefault(row.dtype, f"{row.dtype}: {clause}")
        if row.a_fd is not None and "central" not in notes[row.dtype]:
            notes[row.dtype] += f", {_bound(row.a_fd.tolerance)} against central differences"
    return "; ".join(notes.values())


def _bound(tolerance: float) -> str:
    return f"{tolerance:.0e}" if tolerance else "exact"


def _difference_dict(d: Difference | None):
    if d is None:
        return None
    return {"abs": json_number(d.abs), "rel": json_number(d.rel), "tolerance": d.tolerance,
            "passed": d.passed}


def json_number(x: float):
    """A float for JSON: NaN and infinities become the strings "nan", "inf", "-inf"."""
    return x if math.isfinite(x) else str(x)


def format_table(header, body, groups=None, left=1) -> str:
    """Align ``body`` (rows of strings) under ``header``; the first ``left`` columns
    are left-aligned, the others right-aligned. ``groups`` is an optional line of
    (title, number of columns it spans) above the header."""
    widths = [max(len(str(row[i])) for row in [header, *body]) for i in range(len(header))]
    gap = "  "
    start = 0
    for title, span in groups or ():
        spanned = sum(widths[start:start + span]) + len(gap) * (span - 1)
        widths[start + span - 1] += max(0, len(title) - spanned)
        start += span

    def line(cells):
        aligned = [str(c).ljust(w) if i < left else str(c).rjust(w)
                   for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return gap.join(aligned).rstrip()

    lines = []
    if groups:
        spans, start = [], 0
        for title, span in groups:
            width = sum(widths[start:start + span]) + len(gap) * (span - 1)
            spans.append(title.center(width) if title else " " * width)
            start += span
        lines.append(gap.join(spans).rstrip())
    lines.append(line(header))
    lines.extend(line(row) for row in body)
    return "\n".join(lines)
