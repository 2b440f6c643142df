"""Draw the BatchNorm twins' computation graphs: the pictures of docs/visualization.md.

    python examples/draw_bn_graphs.py          # writes docs/images/bn-*.svg

Needs the Graphviz ``dot`` program (``apt-get install graphviz``).
"""

from __future__ import annotations

from pathlib import Path

import tinygrad_bn
from tinygrad_bn import nn
from tinygrad_bn.cli.graph import bn_graph
from tinygrad_bn.viz import draw_graph

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


def one_twin(impl: str):
    """One BatchNorm1d(3) in training mode on a batch of 4, drawn with its names."""
    tinygrad_bn.manual_seed(0)
    bn = nn.BatchNorm1d(3, impl=impl)
    x = tinygrad_bn.randn(4, 3, requires_grad=True)
    y = bn(x)
    return draw_graph(y, params=bn.named_parameters(), buffers=bn.named_buffers(), inputs={"x": x})


def main():
    pictures = {
        "bn-composite.svg": one_twin("composite"),
        "bn-fused.svg": one_twin("fused"),
        # both twins on one batch of 64 × 16, with what each op keeps for backward
        "bn-twins-saved.svg": bn_graph("both", (64, 16), saved=True),
    }
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, graph in pictures.items():
        path = IMAGES / name
        path.write_bytes(graph.pipe(format="svg"))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
