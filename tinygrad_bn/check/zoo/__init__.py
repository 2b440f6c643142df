"""The bug zoo: broken BatchNorm backwards run through the cross-check.

Each entry of :data:`~tinygrad_bn.check.zoo.entries.ENTRIES` is compared with the
composite BatchNorm, in training and eval mode, to third order; the zoo says what
caught it, at which order, and why (``tinygrad-bn zoo``).

>>> report = run(["only μ constant"], modes=("training",))
>>> entry = report.entries[0]
>>> entry.caught, entry.order
(True, 1)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tinygrad_bn.check.compare_bn import compare_case
from tinygrad_bn.check.report import format_table
from tinygrad_bn.check.zoo.entries import ENTRIES

__all__ = ["ENTRIES", "Caught", "ZooReport", "catch", "run"]

SHAPE = (8, 3)
MODES = ("training", "eval")
ORDER = 3


@dataclass
class Caught:
    """One zoo entry after the cross-check: ``caught``, the lowest ``order`` of a
    failing row, which row (``by``), and ``diagnosis``."""

    name: str
    doc: str
    caught: bool
    order: int | None
    by: str | None
    diagnosis: str | None
    checks: list = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        return {"name": self.name, "caught": self.caught, "order": self.order, "caught_by": self.by,
                "diagnosis": self.diagnosis}


@dataclass
class ZooReport:
    entries: list

    @property
    def passed(self) -> bool:
        """True when every entry was caught."""
        return all(entry.caught for entry in self.entries)

    def to_json(self) -> str:
        return json.dumps([entry.to_dict() for entry in self.entries], ensure_ascii=False)

    def __str__(self) -> str:
        body = [[entry.name, "caught" if entry.caught else "MISSED", "—" if entry.order is None else str(entry.order),
                 entry.by or "—"] for entry in self.entries]
        lines = [format_table(["entry", "", "order", "caught by"], body, left=4), ""]
        lines += [f"{entry.name}: {entry.diagnosis}" for entry in self.entries if entry.diagnosis]
        caught = sum(entry.caught for entry in self.entries)
        lines += ["", f"{caught} of {len(self.entries)} caught"]
        return "\n".join(lines)


def _implementation(cls, training: bool):
    def fn(x, weight, bias, running_mean, running_var):
        return cls.apply(x, weight, bias, running_mean, running_var, training=training, momentum=0.1, eps=1e-5)

    return fn


def catch(name: str, modes=MODES, order=ORDER, shape=SHAPE) -> Caught:
    """Run one entry through the cross-check (float64) in each mode."""
    cls = ENTRIES[name]
    checks = [compare_case(shape, "float64", mode == "training", affine=True, order=order,
                           implementation=_implementation(cls, mode == "training"), names=("zoo", "composite"))
              for mode in modes]
    failing = [(row.order, check, row) for check in checks for row in check.failures]
    doc = " ".join((cls.__doc__ or "").split())
    if not failing:
        return Caught(name, doc, False, None, None, None, checks)
    lowest, check, row = min(failing, key=lambda item: item[0])
    mode = check.title.split(" · ")[1]
    return Caught(name, doc, True, lowest, f"{row.kind} {row.term} ({mode})", _why(row, mode), checks)


def _why(row, mode) -> str:
    """The row's own diagnosis, or a sentence from what it compares."""
    if row.diagnosis:
        return row.diagnosis
    if row.kind == "state":
        return f"{row.term} differs after one {mode} step: the running statistics are updated wrongly"
    if row.kind == "output":
        return f"the {mode} forward differs: the statistics that normalize are not BatchNorm's"
    judged = row.adjudication(("zoo", "composite"))
    return f"right below order {row.order}, wrong at it ({row.kind} {row.term}): {judged}"


def run(names=None, modes=MODES, order=ORDER) -> ZooReport:
    """Every entry (or those ``names``) through the cross-check."""
    return ZooReport([catch(name, modes, order) for name in (names or ENTRIES)])
