"""How each kind of node and edge looks. Every Graphviz attribute of the
picture lives here, so the look can change without touching the layout code."""

from __future__ import annotations

FONT = "Helvetica"

GRAPH = {"fontname": FONT, "nodesep": "0.3", "ranksep": "0.35"}
NODE = {"fontname": FONT, "fontsize": "12", "penwidth": "1.2"}
EDGE = {"color": "#444444", "arrowsize": "0.7"}

# Tensors are rounded boxes, ops are ellipses; a folded region is a 3-D box.
KINDS = {
    "input": {"shape": "box", "style": "rounded,filled", "fillcolor": "#dbeafe", "color": "#1e40af"},
    "parameter": {
        "shape": "box", "style": "rounded,filled,bold", "fillcolor": "#dcfce7", "color": "#15803d",
    },
    "buffer": {
        "shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#f3f4f6", "color": "#6b7280",
        "fontcolor": "#4b5563",
    },
    "constant": {"shape": "plaintext", "fontsize": "10", "fontcolor": "#6b7280"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#fef9c3", "color": "#a16207"},
    "fold": {"shape": "box3d", "style": "filled", "fillcolor": "#fde68a", "color": "#a16207"},
    "output": {
        "shape": "box", "style": "rounded,filled", "fillcolor": "#fbcfe8", "color": "#9d174d",
        "peripheries": "2",
    },
}

CLUSTER = {
    "style": "rounded,filled", "fillcolor": "#f8fafc", "color": "#94a3b8", "fontname": FONT,
    "fontsize": "13", "labeljust": "l",
}

# An input that gets no gradient through this edge (a buffer, a constant).
NO_GRAD_EDGE = {"style": "dashed", "color": "#9ca3af", "arrowhead": "empty"}

# The three routes of x's gradient through BatchNorm (docs/batchnorm.md, (B6)).
PATHS = {
    "x_hat": ({"color": "#2563eb", "penwidth": "2.2"}, "───  x's gradient directly through x̂"),
    "mu": ({"color": "#16a34a", "penwidth": "2.2", "style": "dashed"}, "╌╌╌  x's gradient through μ"),
    "var": ({"color": "#dc2626", "penwidth": "2.2", "style": "dotted"}, "┈┈┈  x's gradient through σ²"),
}


def edge(needed: bool, path: str | None) -> dict:
    """An edge's attributes: whether its tail gets a gradient through it, and
    which route of x's gradient it carries (None: not on one)."""
    if not needed:
        return NO_GRAD_EDGE
    return PATHS[path][0] if path in PATHS else {}


def legend_row(path: str) -> str:
    """One line of the legend, in the colour of the edges it explains."""
    attrs, text = PATHS[path]
    return f'<FONT COLOR="{attrs["color"]}">{text}</FONT>'
