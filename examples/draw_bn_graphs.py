"""Draw the BatchNorm twins' computation graphs: the pictures of docs/visualization.md.

    python examples/draw_bn_graphs.py          # writes docs/images/bn-*.svg

Needs the Graphviz ``dot`` program (``apt-get install graphviz``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tinygrad_bn.cli.graph import bn_graph

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


def main():
    pictures = {
        # one BatchNorm1d(3) in training mode on a batch of 4, drawn with its names
        "bn-composite.svg": bn_graph("composite", (4, 3)),
        "bn-fused.svg": bn_graph("fused", (4, 3)),
        # both twins on one batch of 64 × 16, with what each op keeps for backward
        "bn-twins-saved.svg": bn_graph("both", (64, 16), saved=True),
    }
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, graph in pictures.items():
        path = IMAGES / name
        path.write_bytes(graph.pipe(format="svg"))
        print(f"wrote {path}")


if __name__ == "__main__":
    # no options: --help prints what the script does (and writes nothing)
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
