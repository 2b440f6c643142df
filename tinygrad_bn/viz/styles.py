"""How each kind of node and edge looks. Every Graphviz attribute of the
picture lives here, so the look can change without touching the layout code.

Colours come from the Okabe–Ito palette, which stays distinct under the common
colour-vision deficiencies; each route of x's gradient also has its own dash
pattern, so the picture reads in grey too.
"""

from __future__ import annotations

import graphviz

from tinygrad_bn.viz.labels import html_label, norm

FONT = "Helvetica"

# Okabe–Ito (Okabe and Ito, 2008): eight colours told apart with any colour vision.
ORANGE, SKY_BLUE, BLUISH_GREEN, YELLOW = "#E69F00", "#56B4E9", "#009E73", "#F0E442"
BLUE, VERMILLION, REDDISH_PURPLE, BLACK = "#0072B2", "#D55E00", "#CC79A7", "#000000"
GREY = "#6b7280"

GRAPH = {"fontname": FONT, "nodesep": "0.3", "ranksep": "0.35"}
NODE = {"fontname": FONT, "fontsize": "12", "penwidth": "1.2"}
EDGE = {"color": "#444444", "arrowsize": "0.7", "fontname": FONT, "fontsize": "9",
        "tooltip": "data flows along the arrow; its gradient flows back against it"}

# Tensors are rounded boxes, ops are ellipses; a folded region is a 3-D box; a
# tensor kept for backward is a folder-shaped box. Fills are light tints of the
# border's Okabe–Ito colour.
KINDS = {
    "input": {"shape": "box", "style": "rounded,filled", "fillcolor": "#d4ebf9", "color": BLUE},
    "parameter": {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#c9ebe0", "color": BLUISH_GREEN},
    "buffer": {
        "shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#f3f4f6", "color": GREY,
        "fontcolor": "#4b5563",
    },
    "constant": {"shape": "plaintext", "fontsize": "10", "fontcolor": GREY},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#fbf6c4", "color": "#8c7a00", "ordering": "in"},
    "fold": {"shape": "box3d", "style": "filled", "fillcolor": "#f7ec8a", "color": "#8c7a00"},
    "saved": {"shape": "folder", "style": "filled", "fillcolor": "#fbe8bf", "color": ORANGE, "fontsize": "11"},
    "output": {
        "shape": "box", "style": "rounded,filled", "fillcolor": "#f4dbe9", "color": BLACK, "peripheries": "2",
    },
}

TOOLTIPS = {
    "input": "input: its gradient accumulates into .grad",
    "parameter": "parameter: its gradient accumulates into .grad",
    "buffer": "buffer: read, never differentiated",
    "constant": "constant",
    "fold": "folded scope",
    "saved": "kept alive from forward to backward",
    "output": "output: backward starts here",
}

# A node whose gradient is zero up to rounding (a bias just before BatchNorm).
ZERO_GRADIENT = {"color": VERMILLION, "penwidth": "3"}

CLUSTER = {
    "style": "rounded,filled", "fillcolor": "#f8fafc", "color": "#94a3b8", "fontname": FONT,
    "fontsize": "13", "labeljust": "l",
}
# The ops one node's backward recorded, inside the cluster of that node's scopes.
BACKWARD_CLUSTER = {"fillcolor": "#eef6fb", "color": SKY_BLUE, "fontsize": "12"}

NOTE = {"shape": "box", "style": "filled", "fillcolor": "#ffffff", "color": BLACK, "fontsize": "11"}
COMPARED_EDGE = {"style": "dashed", "color": GREY, "arrowhead": "none"}

# An input that gets no gradient through this edge (a buffer, a constant).
NO_GRAD_EDGE = {"style": "dashed", "color": "#9ca3af", "arrowhead": "empty"}
# A tensor kept for backward, to each op that keeps it.
SAVED_EDGE = {"style": "dotted", "color": ORANGE, "arrowhead": "none", "penwidth": "1.6"}

# The three routes of x's gradient through BatchNorm (docs/batchnorm.md, (B6)).
PATHS = {
    "x_hat": ({"color": BLUE, "penwidth": "2.4"}, "x's gradient directly through x̂"),
    "mu": ({"color": ORANGE, "penwidth": "2.4", "style": "dashed"}, "x's gradient through μ"),
    "var": ({"color": REDDISH_PURPLE, "penwidth": "2.4", "style": "dotted"}, "x's gradient through σ²"),
}
OTHER_EDGES = {
    "no_grad": (NO_GRAD_EDGE, "read without a gradient"),
    "saved": (SAVED_EDGE, "kept for backward by"),
}


def edge(needed: bool, path: str | None) -> dict:
    """An edge's attributes: whether its tail gets a gradient through it, and
    which route of x's gradient it carries (None: not on one)."""
    if not needed:
        return NO_GRAD_EDGE
    return PATHS[path][0] if path in PATHS else {}


def norm_label(gradient) -> dict:
    """The label of an edge: the norm of the gradient it carries back."""
    return {"label": f" {norm(gradient):.3g}"}


def add_legend(graph: graphviz.Digraph, paths, extras, below=()):
    """A legend cluster with a real sample of each kind of edge drawn (routes in
    ``paths``, other kinds in ``extras``), so dashes and colours read as in the
    picture; it goes under the nodes ``below``."""
    entries = [PATHS[path] for path in paths] + [OTHER_EDGES[extra] for extra in extras]
    if not entries:
        return
    legend = graphviz.Digraph(name="cluster_legend", graph_attr={
        **CLUSTER, "label": html_label("legend"), "fillcolor": "#ffffff"})
    for index, (attrs, text) in enumerate(entries):
        start, end = f"legend{index}a", f"legend{index}b"
        row = graphviz.Digraph(graph_attr={"rank": "same"})
        row.node(start, "", shape="point", width="0.02", color="#ffffff")
        row.node(end, html_label(text), shape="plaintext", fontsize="11", margin="0")
        row.edge(start, end, **{**attrs, "arrowhead": "none", "minlen": "3"})
        legend.subgraph(row)
        if index:
            legend.edge(f"legend{index - 1}a", start, style="invis")
    graph.subgraph(legend)
    for node_id in below:
        graph.edge(node_id, "legend0a", style="invis")
