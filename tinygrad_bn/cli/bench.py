"""``tinygrad-bn bench``: benchmarks measured side by side with PyTorch CPU."""

from __future__ import annotations

import importlib
import json

from tinygrad_bn.cli import positive_int

SUITES = {
    "overhead": "tinygrad_bn.bench.overhead",
    "bn": "tinygrad_bn.bench.bn",
    "train": "tinygrad_bn.bench.train",
    "fold": "tinygrad_bn.bench.fold",
}


def configure(parser):
    parser.add_argument("suite", choices=[*SUITES, "all"], help="which benchmark to run")
    parser.add_argument("--rounds", type=positive_int, default=15, help="timed rounds per candidate (default 15)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")


def run(args) -> int:
    names = list(SUITES) if args.suite == "all" else [args.suite]
    results = {}
    for name in names:
        module = importlib.import_module(SUITES[name])
        results[name] = module.run(rounds=args.rounds)
        if not args.json:
            print(module.report(results[name]), flush=True)
    if args.json:
        print(json.dumps(results))
    return 0
