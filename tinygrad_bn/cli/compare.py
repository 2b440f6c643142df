"""``tinygrad-bn compare``: cross-check fused against composite BatchNorm.

Prints one line per check (the worst relative errors), the full table of every
failing check with its worst elements and diagnosis, and each implementation's
time and memory; exits 1 if the twins disagree beyond tolerance. ``--order`` goes
up to the fourth derivative, ``--pytorch`` shows PyTorch's BatchNorm beside the
twins (not counted in the exit code), ``--plot`` draws the report, ``--json``
prints it as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from tinygrad_bn.check.compare import ORDERS
from tinygrad_bn.check.compare_bn import DTYPES, MODES, SHAPES, TIMING_SHAPE, compare_bn
from tinygrad_bn.cli import natural_int, positive_int, shape_argument
from tinygrad_bn.timing import optional_torch

AFFINE = {"both": (True, False), "on": (True,), "off": (False,)}


def _shape(text: str) -> tuple:
    shape = shape_argument(text)
    if math.prod(shape) // shape[1] < 2:
        raise argparse.ArgumentTypeError(
            f"training mode needs more than one value per channel (N·L or N·H·W >= 2), got {text!r}"
        )
    return shape


def _text(shape) -> str:
    return ",".join(map(str, shape))


def configure(parser):
    parser.add_argument("--shapes", type=_shape, nargs="+", default=list(SHAPES), metavar="N,C[,...]",
                        help=f"input shapes to check (default: {' '.join(map(_text, SHAPES))})")
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, default=list(DTYPES), help="dtypes to check")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="training and/or eval")
    parser.add_argument("--affine", choices=list(AFFINE), default="both", help="with γ, β; without; or both")
    parser.add_argument("--order", type=int, choices=ORDERS, default=2,
                        help="highest order of derivative to compare (default 2)")
    parser.add_argument("--pytorch", action="store_true",
                        help="also compare PyTorch's F.batch_norm with the composite (shown, not counted)")
    parser.add_argument("--plot", metavar="FILE.png", help="draw the report to this image (needs matplotlib)")
    parser.add_argument("--steps", type=positive_int, default=3,
                        help="training batches before the running statistics are compared (default 3)")
    parser.add_argument("--timing-shape", type=_shape, default=TIMING_SHAPE, metavar="N,C[,...]",
                        help=f"shape for time and memory (default: {_text(TIMING_SHAPE)})")
    parser.add_argument("--no-timing", action="store_true", help="skip time and memory")
    parser.add_argument("--rounds", type=positive_int, default=5, help="timed rounds per implementation (default 5)")
    parser.add_argument("--seed", type=natural_int, default=0, help="seed of the data and of the random gradients")
    parser.add_argument("--verbose", action="store_true", help="print the full table of every check")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")


def run(args) -> int:
    if args.pytorch and optional_torch() is None:
        print("tinygrad-bn compare: --pytorch needs PyTorch: pip install -e '.[torch]'", file=sys.stderr)
        return 2
    report = compare_bn(
        shapes=args.shapes,
        dtypes=args.dtypes,
        modes=args.modes,
        affine=AFFINE[args.affine],
        order=args.order,
        pytorch=args.pytorch,
        steps=args.steps,
        timing_shape=None if args.no_timing else args.timing_shape,
        rounds=args.rounds,
        seed=args.seed,
    )
    if args.plot:
        report.plot(args.plot)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(report.to_text(verbose=args.verbose))
    return 0 if report.passed else 1
