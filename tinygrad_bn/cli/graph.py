"""``tinygrad-bn graph``: draw BatchNorm's computation graph, composite, fused or both.

Both twins run on the same random input (each on its own copy, so that their
gradients can be compared); ``both`` draws them side by side in one picture,
each in its own cluster. Images need the Graphviz ``dot`` program;
``--format dot`` writes the DOT text without it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import graphviz

import tinygrad_bn
from tinygrad_bn.autograd import scope
from tinygrad_bn.cli import shape_argument
from tinygrad_bn.nn.batchnorm import batch_norm_module
from tinygrad_bn.viz import draw_graph, retain_grads

FORMATS = ("svg", "png", "pdf", "dot")
IMPLS = ("composite", "fused", "both")


def configure(parser):
    parser.add_argument("--impl", choices=IMPLS, default="both", help="which BatchNorm (default both)")
    parser.add_argument("--format", choices=FORMATS, help="image or DOT (default: --out's suffix, else svg)")
    parser.add_argument("--out", required=True, type=Path, help="file to write")
    parser.add_argument("--shape", type=shape_argument, default=(4, 3),
                        help="input N,C or N,C,L or N,C,H,W or N,C,D,H,W (default 4,3)")
    parser.add_argument("--grads", action="store_true", help="run a backward and show each gradient's norm")
    parser.add_argument("--saved", action="store_true", help="show what each op keeps for backward")
    parser.add_argument("--eval", action="store_true", help="eval mode: use the running statistics")
    parser.add_argument("--collapse", action="store_true", help="fold each BatchNorm cluster into one node")


def bn_graph(impl: str, shape: tuple, grads=False, saved=False, training=True, collapse=False):
    """The picture ``tinygrad-bn graph`` draws, as a ``graphviz.Digraph``.

    >>> graph = bn_graph("both", (4, 3))
    >>> "BatchNorm1d · composite" in graph.source, "BatchNorm (fused)" in graph.source
    (True, True)
    """
    tinygrad_bn.manual_seed(0)
    data = tinygrad_bn.randn(*shape).numpy()
    module_class = batch_norm_module(len(shape))
    impls = ("composite", "fused") if impl == "both" else (impl,)
    outputs, params, buffers, inputs = [], [], [], []
    for name in impls:
        module = module_class(shape[1], impl=name).train(training)
        prefix = name if impl == "both" else ""
        params += module.named_parameters(prefix=prefix)
        buffers += module.named_buffers(prefix=prefix)
        x = tinygrad_bn.Tensor(data, requires_grad=True)
        inputs.append((f"{prefix}.x" if prefix else "x", x))
        if impl == "both" and name == "fused":
            with scope("batch_norm", f"{module_class.__name__} · fused"):
                outputs.append(module(x))
        else:
            outputs.append(module(x))
    if grads:
        retain_grads(*outputs)
        dy = tinygrad_bn.randn(*shape)  # one upstream gradient for both twins
        for y in outputs:
            y.backward(dy, retain_graph=True)
    return draw_graph(
        *outputs,
        params=params,
        buffers=buffers,
        inputs=inputs,
        show_grads=grads,
        show_saved=saved,
        collapse=("batch_norm",) if collapse else (),
    )


def run(args) -> int:
    fmt = args.format or args.out.suffix.lstrip(".").lower()
    fmt = fmt if fmt in FORMATS else "svg"
    graph = bn_graph(args.impl, args.shape, args.grads, args.saved, not args.eval, args.collapse)
    try:
        if fmt == "dot":
            args.out.write_text(graph.source, encoding="utf-8")
        else:
            args.out.write_bytes(graph.pipe(format=fmt))
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
