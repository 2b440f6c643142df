"""``tinygrad-bn bench``: benchmarks measured side by side with PyTorch CPU."""

from __future__ import annotations

import importlib
import json
import sys

from tinygrad_bn.cli import positive_int
from tinygrad_bn.timing import RUNS

SUITES = {
    "overhead": "tinygrad_bn.bench.overhead",
    "bn": "tinygrad_bn.bench.bn",
    "train": "tinygrad_bn.bench.train",
    "fold": "tinygrad_bn.bench.fold",
    "viz": "tinygrad_bn.bench.viz",
}


def configure(parser):
    parser.add_argument("suite", choices=[*SUITES, "all"], help="which benchmark to run")
    parser.add_argument("--rounds", type=positive_int, default=None,
                        help="timed rounds per candidate in each run (default: each benchmark's own)")
    parser.add_argument("--runs", type=positive_int, default=RUNS,
                        help=f"interleaved runs; goals are decided on their median ratio (default {RUNS})")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")


def run(args) -> int:
    names = list(SUITES) if args.suite == "all" else [args.suite]
    results = {}
    for name in names:
        module = importlib.import_module(SUITES[name])
        # the heading first, so a long section shows what it is doing (its progress goes to stderr)
        print(module.HEADING.format(runs=args.runs), file=sys.stderr if args.json else sys.stdout,
              flush=True)
        rounds = {} if args.rounds is None else {"rounds": args.rounds}
        results[name] = module.run(runs=args.runs, **rounds)
        if not args.json:
            print(module.report(results[name], heading=False), flush=True)
    if args.json:
        print(json.dumps(results))
    return 0
