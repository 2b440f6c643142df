"""Pictures of computation graphs, drawn with Graphviz, and a page that steps
through a backward pass.

``draw_graph(*outputs)`` returns a ``graphviz.Digraph`` (shown inline in Jupyter,
saved with ``.render()``), of the forward graph or, with ``backward=True``, of
the graph a recorded backward makes; ``to_dot(*outputs)`` the same picture as
DOT text; ``to_html(*outputs)`` a self-contained page that replays the backward
node by node. docs/visualization.md explains how to read the pictures.
"""

from tinygrad_bn.viz.dot import draw_graph, to_dot
from tinygrad_bn.viz.html import to_html
from tinygrad_bn.viz.record import record_backward
from tinygrad_bn.viz.traverse import retain_grads, topological_order

__all__ = ["draw_graph", "record_backward", "retain_grads", "to_dot", "to_html", "topological_order"]
