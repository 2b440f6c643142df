"""``tinygrad-bn zoo``: broken BatchNorm backwards, each run through the cross-check.

Prints, for each entry, what caught it, at which order, and why; exits 0 only if
every entry was caught. ``--json`` prints a list of objects with ``name``,
``caught``, ``order``, ``caught_by`` and ``diagnosis``.
"""

from __future__ import annotations

from tinygrad_bn.check import zoo


def configure(parser):
    parser.add_argument("--entries", nargs="+", choices=list(zoo.ENTRIES), metavar="NAME",
                        help="run only these entries (default: all)")
    parser.add_argument("--json", action="store_true", help="print the result as a JSON list")


def run(args) -> int:
    report = zoo.run(args.entries)
    print(report.to_json() if args.json else report)
    return 0 if report.passed else 1
