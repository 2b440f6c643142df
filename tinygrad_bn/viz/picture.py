"""Collecting what a picture shows: nodes, clusters and edges, in one pass over
the graph (inputs first), then written out as a ``graphviz.Digraph``.

A leaf goes into the innermost cluster that holds all of its consumers; a region
whose kind is folded becomes one node. ``regions(node)`` says which regions a
node is drawn in: its own for a forward graph, the node it differentiates for
the ops of a recorded backward (see :mod:`tinygrad_bn.viz.backward`).
"""

from __future__ import annotations

import graphviz

from tinygrad_bn.annotations import of
from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.viz import formulas, labels, styles
from tinygrad_bn.viz.frames import Frames
from tinygrad_bn.viz.saved import node_value_name

# An op that passes its gradient unchanged to these inputs: the gradient that
# leaves through the edge is the sum of the parts that arrived along each route.
PASS_THROUGH = {("Add", 0), ("Add", 1), ("Sub", 0)}
# A gradient whose norm is within this many units of rounding of the largest is drawn as zero.
ZERO_ROUNDING = 1000
# Past this many nodes, dot's network-simplex passes are cut short: on the 2,000-op
# graph of bench/viz.py, 10.6 s of dot's CPU time becomes 6.3 s, with a looser layout.
LARGE = 500


class Picture:
    """Nodes, clusters and edges of one picture (see the module docstring)."""

    def __init__(self, names, options, collapse, regions=None, record=None):
        self.names = names
        self.show_shapes, self.show_grads, self.show_saved = options
        self.collapse = collapse
        self.regions = regions or (lambda node: of(node).regions)
        self.routes = regions is None  # the routes of x's gradient are a forward graph's
        self.record = record  # a BackwardRecord: gradients sent along each edge
        self.ids = {}  # leaf, op node or folded Region -> its node id
        self.constants = set()  # one-element leaves without a gradient, drawn once per use
        self.nodes = {}  # node id -> (kind, what it draws)
        self.placement = {}  # node id -> the Scopes of the clusters drawn around it
        self.edges = []  # (tail id, head id, attributes)
        self.folded_edges = set()
        self.folds = {}  # folded Region -> its op nodes
        self.exits = {}  # folded Region -> its op nodes whose output leaves it
        self.cluster_ops = {}  # Region -> every op node inside its frame
        self.titles = {}  # output, or op node drawn with a title of its own -> title
        self.notes = {}  # Region -> a line under its cluster's title
        self.tooltips = {}  # node id -> tooltip
        self.frame_titles = {}  # Region, fold or op node id -> its title (set by digraph, see Frames)
        self.paths = set()  # routes of x's gradient that some edge carries
        self.styles_used = set()  # other edge kinds the legend explains
        self.note = None  # (title, rows): a box under the outputs (a verdict)
        self._largest = None  # the largest gradient norm shown
        self.align = []  # groups of items drawn side by side, left to right, in one rank

    def _add_node(self, kind: str, item, placement=()) -> str:
        node_id = f"n{len(self.nodes)}"
        self.nodes[node_id] = (kind, item)
        self.placement[node_id] = placement
        return node_id

    def _place_leaf(self, leaf_id: str, consumer: tuple):
        """A leaf goes into the innermost cluster holding all of its consumers."""
        placement = self.placement[leaf_id]
        if placement is None:
            self.placement[leaf_id] = consumer
            return
        common = 0
        while common < min(len(placement), len(consumer)) and placement[common] is consumer[common]:
            common += 1
        self.placement[leaf_id] = placement[:common]

    def _fold_of(self, node: Function):
        """The outermost folded Region around ``node`` (or None) and the Regions outside it."""
        regions = self.regions(node)
        for depth, region in enumerate(regions):
            if region.kind in self.collapse or region.label in self.collapse:
                return region, regions[:depth]
        return None, regions

    def _tail(self, item, head: str) -> str | None:
        """The id of the drawn node that an edge from ``item`` to ``head`` leaves
        from: the item's own, or its fold's (noting the item as an exit of the fold)."""
        fold = self._fold_of(item)[0] if item not in self.ids else None
        if fold is None:
            return self.ids[item]
        if self.ids[fold] == head:
            return None
        if item not in self.exits.setdefault(fold, []):
            self.exits[fold].append(item)
        return self.ids[fold]

    # Adding items, inputs first --------------------------------------------------------

    def add_leaf(self, leaf, title: str | None):
        """A leaf tensor, or (in a backward picture) a forward value the backward reads."""
        if title is not None:
            kind = "output"
            self.titles[leaf] = title
        elif isinstance(leaf, Function):
            kind = "saved"
        else:
            kind = self._kind_of(leaf)
        if kind == "constant":
            self.constants.add(leaf)  # drawn once per use, by add_op
            return
        unplaced = None  # until a consumer is added: see _place_leaf
        self.ids[leaf] = self._add_node(kind, leaf, () if kind == "output" else unplaced)

    def _kind_of(self, leaf: Tensor) -> str:
        """The kind of a leaf: parameter, buffer, input or (unnamed, one element,
        no gradient) constant. A leaf that is not named but views the array of a
        named tensor, such as a running mean reshaped to (1, C, 1, 1) outside the
        graph, takes that tensor's name; one that a region named
        (:meth:`~tinygrad_bn.annotations.Region.name`) is drawn as a buffer; an unnamed one that requires
        grad is drawn as a parameter."""
        for kind in ("parameter", "buffer", "input"):
            if leaf in self.names[kind]:
                return kind
        if leaf in self.names["constant"]:
            self.names["buffer"][leaf] = self.names["constant"][leaf]
            return "buffer"
        for kind in ("parameter", "buffer", "input"):
            for named, name in self.names[kind].items():
                if labels.same_elements(leaf, named):
                    self.names[kind][leaf] = name
                    return kind
        if leaf.requires_grad:
            return "parameter"
        return "constant" if leaf.size == 1 and not leaf.requires_grad else "input"

    def node_id(self, node: Function) -> str:
        """The id of the drawn node that shows ``node`` (its fold's when folded)."""
        fold = self._fold_of(node)[0]
        return self.ids[node if fold is None else fold]

    def leaf_name(self, leaf: Tensor) -> str:
        """The name a leaf is drawn with (its kind when it has no name)."""
        kind = self.nodes[self.ids[leaf]][0] if leaf in self.ids else self._kind_of(leaf)
        return self.names.get(kind, {}).get(leaf) or kind

    def _add_op_node(self, node: Function, fold, placement) -> str:
        """The id of the drawn node that shows ``node``: its own, or its fold's."""
        for region in placement:
            self.cluster_ops.setdefault(region, []).append(node)
        if fold is None:
            self.ids[node] = self._add_node("op", node, placement)
            return self.ids[node]
        self.folds.setdefault(fold, []).append(node)
        if fold not in self.ids:
            self.ids[fold] = self._add_node("fold", fold, placement)
        return self.ids[fold]

    def add_op(self, node: Function):
        fold, placement = self._fold_of(node)
        head = self._add_op_node(node, fold, placement)
        for index, (parent, needed) in enumerate(zip(node.parents, node.needs_input_grad, strict=True)):
            if parent in self.constants:  # one node per use: a shared 2 or ε would tie far-apart ops together
                if fold is None:
                    self._add_edges(self._add_node("constant", parent, placement), head, node, index, needed)
                continue
            tail = self._tail(parent, head)
            if tail is None:
                continue  # inside a fold
            if self.nodes[tail][0] not in ("op", "fold"):
                self._place_leaf(tail, placement)
            if fold is None and tail == self.ids.get(parent):
                self._add_edges(tail, head, node, index, needed)
            elif (tail, head) not in self.folded_edges:
                self.folded_edges.add((tail, head))
                self.edges.append((tail, head, styles.edge(needed, None)))

    def _add_edges(self, tail: str, head: str, node: Function, index: int, needed: bool):
        """The edge from input ``index`` of ``node``; with a recorded backward, the
        norm of the gradient it carries back, split by route where the op passes
        the parts it received on unchanged."""
        path = of(node).route(index) if needed and self.routes else None
        sent = self._sent(node, index) if needed else None
        if sent is None:
            self.paths.add(path)
            self.edges.append((tail, head, styles.edge(needed, path)))
            return
        parts = self._route_parts(node) if (node.name, index) in PASS_THROUGH else {}
        if len(parts) > 1:
            for route, gradient in parts.items():
                self.paths.add(route)
                self.edges.append((tail, head, {**styles.edge(True, route), **styles.norm_label(gradient)}))
            return
        self.paths.add(path)
        self.edges.append((tail, head, {**styles.edge(True, path), **styles.norm_label(sent)}))

    def _sent(self, node: Function, index: int):
        """The gradient ``node`` sent back to input ``index`` in the recorded backward."""
        if self.record is None or not self.show_grads:
            return None
        for consumer, position, gradient in self.record.received(node.parents[index]):
            if consumer is node and position == index:
                return gradient
        return None

    def _route_parts(self, node: Function) -> dict:
        """The gradient that arrived at ``node``, summed per route it came along."""
        parts = {}
        for consumer, index, gradient in self.record.received(node):
            route = of(consumer).route(index)
            if route is None:
                return {}
            parts[route] = gradient if route not in parts else parts[route] + gradient
        return parts

    def add_output(self, output: Tensor, title: str):
        self.titles[output] = title
        tail = self._tail(output.grad_fn, None)
        self.ids[output] = self._add_node("output", output)
        self.edges.append((tail, self.ids[output], {}))

    def add_saved(self, saved):
        """A box for a tensor kept for backward, hung under each op that keeps it,
        in the innermost frame that holds them all."""
        box = self._add_node("saved", saved, None)
        for keeper in saved.keepers:
            keeper_id = self.node_id(keeper)
            self._place_leaf(box, self.placement[keeper_id])
            self.edges.append((keeper_id, box, styles.SAVED_EDGE))
        self.styles_used.add("saved")

    # Labels ----------------------------------------------------------------------------

    def gradient_of(self, item):
        """The gradient shown on a node: from the record when there is one, else ``.grad``."""
        if self.record is None:
            return item.grad
        if isinstance(item, Function):
            return next((step.grad for step in self.record.steps if step.node is item), None)
        return self.record.gradients.get(item) if item.grad_fn is None else self.gradient_of(item.grad_fn)

    def _grad_line(self, item) -> str | None:
        if not self.show_grads:
            return None
        text = labels.grad_text(self.gradient_of(item))
        return text + " · zero up to rounding" if self.is_zero(item) else text

    def is_zero(self, item) -> bool:
        """Whether the item's gradient is zero up to rounding: its norm is within
        ZERO_ROUNDING units of its dtype's precision of the largest gradient norm shown."""
        if not self.show_grads or not isinstance(item, (Tensor, Function)):
            return False
        gradient = self.gradient_of(item)
        if gradient is None:
            return False
        if self._largest is None:
            norms = [labels.norm(g) for g in map(self.gradient_of, self._gradient_items()) if g is not None]
            self._largest = max(norms, default=0.0)
        precision = float(gradient.xp.finfo(gradient.dtype).eps)
        return labels.norm(gradient) <= ZERO_ROUNDING * precision * self._largest

    def _gradient_items(self):
        return [item for kind, item in self.nodes.values() if kind in ("op", "input", "parameter", "output")]

    def _tensor_label(self, title: str, tensor: Tensor) -> str:
        return labels.html_label(
            title,
            labels.shape_text(tensor.shape, tensor.dtype) if self.show_shapes else None,
            self._grad_line(tensor),
        )

    def label(self, kind: str, item) -> str:
        if kind == "op":
            return self._op_label(item)
        if kind == "fold":
            return self._fold_label(item)
        if kind == "saved":
            return self._saved_label(item)
        if kind == "constant":
            return labels.html_label(f"{item.item():g}", str(item.dtype) if self.show_shapes else None)
        if kind == "output":
            return self._tensor_label(self.titles[item], item)
        return self._tensor_label(self.names[kind].get(item, kind), item)

    def _op_label(self, node: Function) -> str:
        title = self.op_title(node)
        kind = node.name if title != node.name else None
        subtitle = " · ".join(filter(None, [kind, labels.params_text(node.params)]))
        return labels.html_label(
            title,
            subtitle,
            formulas.equation(node),
            labels.shape_text(node.shape, node.dtype) if self.show_shapes else None,
            self._grad_line(node),
        )

    def op_title(self, node: Function) -> str:
        """An op's title: its own (an engine step's), its frame's when it took it, or its step's name."""
        return self.titles.get(node) or self.frame_titles.get(self.ids.get(node)) or formulas.step_name(node)

    def _saved_label(self, item) -> str:
        if isinstance(item, Function):  # a forward value read by the backward
            nbytes = labels.element_count(item.shape) * item.dtype.itemsize
            return labels.html_label(node_value_name(item, self.leaf_name), labels.shape_text(item.shape, item.dtype)
                                     if self.show_shapes else None, f"kept by forward · {labels.human_bytes(nbytes)}")
        return labels.html_label(
            item.name,
            labels.shape_text(item.shape, item.dtype) if self.show_shapes else None,
            f"saved · {labels.human_bytes(item.nbytes)}",
        )

    def _fold_label(self, region) -> str:
        nodes = self.folds[region]
        lines = [f"{len(nodes)} op{'s' if len(nodes) > 1 else ''} folded"]
        for node in self.exits.get(region, []):
            lines.append(labels.shape_text(node.shape, node.dtype) if self.show_shapes else None)
            lines.append(self._grad_line(node))
        if self.show_saved:
            lines.append(self._kept_text(nodes))
        return labels.html_label(self.frame_titles[region], *lines)

    @staticmethod
    def _kept_text(nodes) -> str:
        return f"keeps {labels.human_bytes(labels.total_saved_bytes(nodes))} for backward"

    def _cluster_label(self, region) -> str:
        kept = self._kept_text(self.cluster_ops[region]) if self.show_saved else None
        return labels.html_label(self.frame_titles[region], self.notes.get(region), kept, left=True)

    def tooltip(self, kind: str, item) -> str:
        if kind == "op":
            return f"{self.op_title(item)}: {formulas.local_backward(item)}"
        return styles.TOOLTIPS.get(kind, kind)

    # Writing the Digraph ---------------------------------------------------------------

    def digraph(self, rankdir: str) -> graphviz.Digraph:
        graph = graphviz.Digraph(graph_attr=self._graph_attr(rankdir), node_attr=styles.NODE, edge_attr=styles.EDGE)
        for item in (item for group in self.align for item in group if item in self.ids):
            self.placement[self.ids[item]] = ()  # rows span clusters, so aligned nodes stand outside them
        kinds = {node_id: kind for node_id, (kind, _) in self.nodes.items()}
        folds = {self.ids[fold]: fold for fold in self.folds}
        self.frames = Frames(self.placement, kinds, folds, self.names["modules"])
        self.frame_titles = self.frames.titles
        clusters = {(): graph}
        for node_id, (kind, item) in self.nodes.items():
            if self.placement[node_id] is None:
                continue  # a constant whose only consumers are folded
            cluster = self._cluster(self.frames.drawn[self.placement[node_id]], clusters)
            attrs = {**styles.KINDS[kind], "id": node_id, "tooltip": self.tooltip(kind, item)}
            if self.is_zero(item):
                attrs.update(styles.ZERO_GRADIENT)
            cluster.node(node_id, self.label(kind, item), **attrs)
        for placement in sorted(clusters, key=len, reverse=True)[:-1]:
            clusters[placement[:-1]].subgraph(clusters[placement])
        for tail, head, attrs in self.edges:
            graph.edge(tail, head, **attrs)
        self._leaves_below_inputs(graph)
        self._align(graph)
        self._add_note_and_legend(graph)
        return graph

    def _leaves_below_inputs(self, graph: graphviz.Digraph):
        """An invisible edge from each node outside a frame that feeds it to each
        leaf drawn in it, so that a layer's parameters sit below the layer before it
        (and a twin's buffers below the row of inputs): without
        them ``dot`` ranks a weight beside the previous layer, and a chain of
        layers becomes a staircase instead of a column."""
        drawn = {node_id: self.frames.drawn[placement] for node_id, placement in self.placement.items()
                 if placement is not None}
        leaves = {}  # a frame -> the leaves drawn directly in it
        for node_id, frame in drawn.items():
            if frame and self.nodes[node_id][0] in ("input", "parameter", "buffer"):
                leaves.setdefault(frame, []).append(node_id)
        for tail, head, _ in list(self.edges):
            frame = drawn.get(head, ())
            if frame in leaves and drawn[tail][:len(frame)] != frame and self.nodes[tail][0] != "saved":
                for leaf in leaves[frame]:
                    graph.edge(tail, leaf, style="invis")

    def _graph_attr(self, rankdir: str) -> dict:
        graph_attr = {**styles.GRAPH, "rankdir": rankdir}
        if len(self.nodes) > LARGE:
            graph_attr.update(nslimit="0.1", nslimit1="1")
        if self.show_saved:
            ops = [item for kind, item in self.nodes.values() if kind == "op"]
            ops += [node for nodes in self.folds.values() for node in nodes]
            graph_attr.update(label=labels.html_label(f"the whole graph {self._kept_text(ops)}"), labeljust="l")
        return graph_attr

    def _add_note_and_legend(self, graph: graphviz.Digraph):
        """The note (a verdict) under the outputs, and the legend under both."""
        outputs = [node_id for node_id, (kind, _) in self.nodes.items() if kind == "output"]
        if self.note is not None:
            graph.node("verdict", labels.note_label(*self.note), id="verdict", **styles.NOTE)
            for output in outputs:
                graph.edge(output, "verdict", **styles.COMPARED_EDGE)
            outputs = ["verdict"]
        styles.add_legend(graph, [path for path in styles.PATHS if path in self.paths], self._legend_extras(),
                          below=outputs)

    def _align(self, graph: graphviz.Digraph):
        """Each group of ``align`` in one rank (across clusters: newrank), in its
        order as far as ``dot`` keeps it: an invisible node above the group
        points to its members in order."""
        for group in self.align:
            ids = [self.ids[item] for item in group if item in self.ids]
            row = graphviz.Digraph(graph_attr={"rank": "same"})
            for node_id in ids:
                row.node(node_id)
            for left, right in zip(ids, ids[1:]):
                row.edge(left, right, style="invis")
            graph.subgraph(row)

    def _legend_extras(self) -> list:
        extras = list(self.styles_used)
        if any(attrs.get("arrowhead") == "empty" for _, _, attrs in self.edges):
            extras.append("no_grad")
        return sorted(extras)

    def _cluster(self, placement, clusters) -> graphviz.Digraph:
        for depth in range(1, len(placement) + 1):
            prefix = placement[:depth]
            if prefix not in clusters:
                attrs = {**styles.CLUSTER, "label": self._cluster_label(prefix[-1])}
                if prefix[-1].kind == "backward":
                    attrs.update(styles.BACKWARD_CLUSTER)
                clusters[prefix] = graphviz.Digraph(name=f"cluster_{len(clusters) - 1}", graph_attr=attrs)
        return clusters[placement]
