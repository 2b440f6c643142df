"""``tinygrad-bn graph``: draw BatchNorm's graph, composite, fused or both, forward
or backward, as an image, DOT text or a page that steps through the backward.

Both twins run on the same random input (each on its own copy, so that their
gradients can be compared) with one random upstream gradient; ``both`` draws
them side by side, each in its own cluster, with a verdict box that compares
their outputs and gradients. Images and pages need the Graphviz ``dot`` program;
``--format dot`` writes the DOT text without it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import graphviz

import tinygrad_bn
from tinygrad_bn.autograd import grad
from tinygrad_bn.check.report import difference, largest, tolerance_for
from tinygrad_bn.cli import shape_argument
from tinygrad_bn.nn.batchnorm import batch_norm_module
from tinygrad_bn.viz import draw_graph, to_html

SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".html": "html"}
FORMATS = ("svg", "png", "pdf", "dot", "html")
IMPLS = ("composite", "fused", "both")
TERMS = ("y", "dx", "dγ", "dβ")


def configure(parser):
    parser.add_argument("--impl", choices=IMPLS, default="both", help="which BatchNorm (default both)")
    parser.add_argument("--format", choices=FORMATS,
                        help="image, DOT or a step-through page (default: --out's suffix, else svg)")
    parser.add_argument("--out", required=True, type=Path, help="file to write (its folder is created)")
    parser.add_argument("--shape", type=shape_argument, default=(4, 3),
                        help="input N,C or N,C,L or N,C,H,W or N,C,D,H,W (default 4,3)")
    parser.add_argument("--backward", action="store_true",
                        help="draw the graph the backward records (create_graph=True) instead of the forward")
    parser.add_argument("--grads", action="store_true",
                        help="run a backward and show each gradient's norm, on nodes and edges")
    parser.add_argument("--saved", action="store_true", help="draw the tensors kept for backward")
    parser.add_argument("--eval", action="store_true", help="eval mode: use the running statistics")
    parser.add_argument("--collapse", action="store_true", help="fold each BatchNorm cluster into one node")


class Twins:
    """One BatchNorm module per implementation on copies of one input, with one
    upstream gradient ``dy``; ``names`` for the picture."""

    def __init__(self, impl: str, shape: tuple, training=True):
        tinygrad_bn.manual_seed(0)
        data = tinygrad_bn.randn(*shape).numpy()
        self.dy = tinygrad_bn.randn(*shape)
        module_class = batch_norm_module(len(shape))
        self.impls = ("composite", "fused") if impl == "both" else (impl,)
        self.outputs, self.params, self.buffers, self.inputs, self.leaves = [], [], [], [], []
        for name in self.impls:
            module = module_class(shape[1], impl=name).train(training)
            prefix = name if impl == "both" else ""
            self.params += module.named_parameters(prefix=prefix)
            self.buffers += module.named_buffers(prefix=prefix)
            x = tinygrad_bn.Tensor(data, requires_grad=True)
            self.inputs.append((f"{prefix}.x" if prefix else "x", x))
            self.leaves.append((x, module.weight, module.bias))
            self.outputs.append(module(x))
        self.output_names = [f"{name} y" for name in self.impls] if impl == "both" else None

    def verdict(self):
        """(title, rows): the largest difference between the twins for y, dx, dγ and
        dβ, and whether it is within the cross-check's tolerance (docs/cross-check.md)."""
        values = []
        for y, leaves in zip(self.outputs, self.leaves):
            values.append([y, *grad(y, list(leaves), self.dy, retain_graph=True)])
        dtype = self.outputs[0].dtype
        tolerance = tolerance_for(dtype).twins
        rows = []
        for term, a, b in zip(TERMS, *values):
            a, b = a.numpy().astype("float64"), b.numpy().astype("float64")
            gap = difference(a, b, largest(a, b), tolerance)
            rows.append((f"max |Δ{term}|", f"{gap.abs:.2g}", "ok" if gap.passed else "✗"))
        rows.append((f"{dtype}: ok when within {tolerance:g}", "of the largest value", ""))
        return "composite against fused", rows

    def options(self, grads=False, saved=False, collapse=False, backward=False) -> dict:
        return dict(
            params=self.params, buffers=self.buffers, inputs=self.inputs, output_names=self.output_names,
            show_grads=grads, show_saved=saved, collapse=("batch_norm",) if collapse else (), backward=backward,
            grad_outputs=[self.dy] * len(self.outputs) if grads or backward else None,
        )

    def align(self) -> list:
        """The twins' inputs (x, γ, β) in one row, in the same order, and their outputs
        in another; the fused op's running statistics stay in its frame."""
        if len(self.outputs) == 1:
            return []
        return [[leaf for leaves in self.leaves for leaf in leaves], self.outputs]


def bn_graph(impl: str, shape: tuple, grads=False, saved=False, training=True, collapse=False, backward=False):
    """The picture ``tinygrad-bn graph`` draws, as a ``graphviz.Digraph``.

    >>> graph = bn_graph("both", (4, 3))
    >>> "BatchNorm1d · composite" in graph.source, "BatchNorm (fused)" in graph.source
    (True, True)
    >>> "composite against fused" in graph.source
    True
    """
    twins = Twins(impl, shape, training)
    note = twins.verdict() if impl == "both" else None
    align = [] if backward else twins.align()
    return draw_graph(*twins.outputs, note=note, align=align, **twins.options(grads, saved, collapse, backward))


def bn_page(impl: str, shape: tuple, saved=False, training=True, collapse=False) -> str:
    """The step-through page of ``tinygrad-bn graph --format html``."""
    twins = Twins(impl, shape, training)
    options = twins.options(saved=saved, collapse=collapse)
    options["grad_outputs"] = [twins.dy] * len(twins.outputs)
    return to_html(*twins.outputs, title=f"BatchNorm backward, step by step ({impl})", **options)


def output_format(out: Path, given: str | None) -> str:
    """The format to write: ``--format``, else ``--out``'s suffix, else svg; a
    ValueError when the suffix is unknown or disagrees with ``--format``."""
    suffix = out.suffix.lower()
    implied = SUFFIXES.get(suffix)
    if suffix and implied is None:
        known = ", ".join(SUFFIXES)
        raise ValueError(f"--out {out} ends in {suffix}, which is none of {known}; pick one of those")
    if given is not None and implied is not None and given != implied:
        raise ValueError(f"--format {given} but --out {out} ends in {suffix} ({implied}); make them agree")
    return given or implied or "svg"


def _contents(args, fmt: str):
    training = not args.eval
    if fmt == "html":
        return bn_page(args.impl, args.shape, args.saved, training, args.collapse).encode("utf-8")
    graph = bn_graph(args.impl, args.shape, args.grads, args.saved, training, args.collapse, args.backward)
    return graph.source.encode("utf-8") if fmt == "dot" else graph.pipe(format=fmt)


def run(args) -> int:
    try:
        fmt = output_format(args.out, args.format)
    except ValueError as error:
        print(f"tinygrad-bn graph: {error}", file=sys.stderr)
        return 2
    try:
        contents = _contents(args, fmt)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(contents)
    except ValueError as error:  # a shape BatchNorm refuses: one value per channel in training
        print(f"tinygrad-bn graph: argument --shape: {error}", file=sys.stderr)
        return 2
    except graphviz.ExecutableNotFound:
        print(
            f"tinygrad-bn graph: writing {fmt} needs the Graphviz 'dot' program, which is not installed "
            "(install Graphviz, e.g. `apt-get install graphviz`), or use --format dot",
            file=sys.stderr,
        )
        return 1
    except OSError as error:
        print(f"tinygrad-bn graph: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0
