"""The ``tinygrad-bn`` command: one subcommand per module of this package.

Each subcommand module has ``HELP`` (one line), ``configure(parser)`` and
``run(args) -> int``; they are imported only when chosen, so ``--help`` is quick.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys

SUBCOMMANDS = {
    "train": "train a toy model (MLP or CNN, with fused, composite or no BatchNorm)",
    "graph": "render a computation graph (composite and fused BatchNorm) with graphviz",
    "compare": "cross-check composite vs fused BatchNorm (and finite differences, PyTorch)",
    "zoo": "run broken BatchNorm backwards through the cross-check: what catches each, and why",
    "bench": "benchmarks side by side with PyTorch CPU (overhead, bn, train, fold, viz)",
}


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose mistakes are one line, naming the option, with exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _integer_at_least(lowest: int):
    def integer(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < lowest:
            raise argparse.ArgumentTypeError(f"expected an integer >= {lowest}, got {text!r}")
        return value

    return integer


positive_int = _integer_at_least(1)  # an argparse type: counts, sizes, rounds
natural_int = _integer_at_least(0)  # an argparse type: seeds


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0, such as a learning rate."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def shape_argument(text: str) -> tuple:
    """``N,C``, ``N,C,L``, ``N,C,H,W`` or ``N,C,D,H,W`` as a tuple of positive integers."""
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        shape = ()
    if not 2 <= len(shape) <= 5 or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"expected N,C or N,C,L or N,C,H,W or N,C,D,H,W (positive integers, e.g. 4,3), got {text!r}"
        )
    return shape


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    parser = Parser(
        prog="tinygrad-bn",
        description="A small autodiff framework where BatchNorm is a first-class op, written twice.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            _module(name).configure(sub)
    return parser


def _module(name: str):
    return importlib.import_module(f"tinygrad_bn.cli.{name}")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if a in SUBCOMMANDS), None)
    parser = build_parser(chosen)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _module(args.command).run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
