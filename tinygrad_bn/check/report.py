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
    with numpy.errstate(invalid="ignore"):
        gap = numpy.abs(x - y)
    agree = (x == y) | (numpy.isnan(x) & numpy.isnan(y))
    gap = numpy.where(agree, 0.0, numpy.where(numpy.isnan(gap), math.inf, gap))
    error = float(gap.max()) if gap.size else 0.0
    if scale > 0:
        relative = error / scale
    else:
        relative = 0.0 if error == 0 else math.inf
    return Difference(error, relative, tolerance)


@dataclass
class Row:
    """One compared quantity: an output, a gradient, a second-order term or an
    input's state after the call. ``a_ref`` / ``b_ref`` are None when the
    reference does not provide this quantity."""

    kind: str
    term: str
    dtype: str
    scale: float
    a_b: Difference
    a_ref: Difference | None = None
    b_ref: Difference | None = None

    def differences(self):
        return [d for d in (self.a_b, self.a_ref, self.b_ref) if d is not None]

    @property
    def passed(self) -> bool:
        return all(d.passed for d in self.differences())

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "term": self.term,
            "dtype": self.dtype,
            "largest": json_number(self.scale),
            "a_vs_b": _difference_dict(self.a_b),
            "a_vs_reference": _difference_dict(self.a_ref),
            "b_vs_reference": _difference_dict(self.b_ref),
            "passed": self.passed,
        }


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
    quantity; ``passed`` is True when every row is within tolerance."""

    title: str
    names: tuple = ("a", "b")
    reference: str = "float64"
    rows: list = field(default_factory=list)

    def parts(self) -> list:
        return self.rows

    def row(self, kind: str, term: str) -> Row:
        """The row for ``term`` of ``kind`` ("output", "grad", "2nd" or "state")."""
        for row in self.rows:
            if (row.kind, row.term) == (kind, term):
                return row
        known = ", ".join(f"{r.kind} {r.term}" for r in self.rows)
        raise KeyError(f"no row {kind} {term!r}; the report has: {known}")

    def to_dict(self) -> dict:
        a, b = self.names
        return {
            "title": self.title,
            "a": a,
            "b": b,
            "reference": self.reference,
            "passed": self.passed,
            "rows": [row.to_dict() for row in self.rows],
        }

    def __str__(self) -> str:
        a, b = self.names
        groups = [("", 4), (f"{a} vs {b}", 2), (f"{a} vs {self.reference}", 2),
                  (f"{b} vs {self.reference}", 2), ("", 1)]
        header = ["kind", "term", "dtype", "largest", "abs", "rel", "abs", "rel", "abs", "rel", ""]
        body = [
            [row.kind, row.term, row.dtype, f"{row.scale:.1e}", *_cells(row.a_b), *_cells(row.a_ref),
             *_cells(row.b_ref), "ok" if row.passed else "FAIL"]
            for row in self.rows
        ]
        verdict = "passed" if self.passed else f"FAILED: {len(self.failures)} of {len(self.rows)} rows (✗)"
        lines = [self.title, format_table(header, body, groups=groups, left=3)]
        lines.append(f"tolerated rel: {_tolerance_note(self.rows, self.names, self.reference)}")
        lines.append(verdict)
        return "\n".join(lines)


def _cells(d: Difference | None) -> list:
    if d is None:
        return ["—", "—"]
    return [f"{d.abs:.1e}", f"{d.rel:.1e}" + ("" if d.passed else " ✗")]


def _tolerance_note(rows, names, reference) -> str:
    """One clause per dtype: its tolerance between a and b, and against the reference."""
    notes = {}
    for row in rows:
        clause = f"{_bound(row.a_b.tolerance)} between {names[0]} and {names[1]}"
        if row.a_ref is not None:
            clause += f", {_bound(row.a_ref.tolerance)} against {reference}"
        notes.setdefault(row.dtype, f"{row.dtype}: {clause}")
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
