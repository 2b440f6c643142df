"""Pictures of computation graphs, drawn with Graphviz.

``draw_graph(*outputs)`` returns a ``graphviz.Digraph`` (shown inline in Jupyter,
saved with ``.render()``); ``to_dot(*outputs)`` the same picture as DOT text.
docs/visualization.md explains how to read the BatchNorm pictures.
"""

from tinygrad_bn.viz.dot import draw_graph, to_dot
from tinygrad_bn.viz.traverse import retain_grads, topological_order

__all__ = ["draw_graph", "retain_grads", "to_dot", "topological_order"]
