"""``tinygrad-bn graph``: not available yet."""

from __future__ import annotations

import sys


def configure(parser):
    parser.add_argument("rest", nargs="*", help="arguments (the command is not implemented yet)")


def run(args) -> int:
    print("tinygrad-bn graph is not implemented yet", file=sys.stderr)
    return 2
