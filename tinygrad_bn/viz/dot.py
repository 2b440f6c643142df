"""Drawing a recorded graph with Graphviz: ``draw_graph`` and ``to_dot``.

A picture has one node per leaf tensor (input, parameter, buffer or constant),
one per op node and one per output. Ops recorded inside a ``scope`` are drawn
inside a labelled cluster, nested like the scopes, and a leaf inside the
innermost cluster that holds all of its consumers; a scope whose kind is in
``collapse`` is folded into a single node instead. Edges point the way data
flows; gradients flow against them. Node ids count up in the order of
:func:`~tinygrad_bn.viz.traverse.topological_order`, so the same graph always
gives the same DOT text.
"""

from __future__ import annotations

import graphviz

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.viz import labels, styles
from tinygrad_bn.viz.traverse import topological_order

RANKDIRS = ("TB", "LR", "BT", "RL")


def _names(mapping, argument: str) -> dict:
    """``{tensor: name}`` from a dict name -> Tensor or an iterable of (name, Tensor)."""
    if mapping is None:
        return {}
    pairs = mapping.items() if isinstance(mapping, dict) else mapping
    names = {}
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], Tensor)):
            raise TypeError(
                f"{argument} must be a dict name -> Tensor or (name, Tensor) pairs such as "
                f"named_parameters(), got an item {type(pair).__name__} {pair!r:.60}"
            )
        names[pair[1]] = str(pair[0])
    return names


def _array_root(array):
    """The array that owns the memory ``array`` views (itself if it owns it)."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def _same_elements(a: Tensor, b: Tensor) -> bool:
    """Whether two tensors hold the same elements of one array, in any shape."""
    return (a.size == b.size and _array_root(a._data) is _array_root(b._data)
            and bool(a.xp.may_share_memory(a._data, b._data)))


def _edge_path(node: Function, index: int) -> str | None:
    """The route of x's gradient (a key of styles.PATHS) that input ``index`` of
    ``node`` carries: the node's ``path`` tag, one for all inputs or one per input."""
    if isinstance(node.path, tuple):
        return node.path[index]
    return node.path


class _Picture:
    """Collects nodes, clusters and edges in one pass over the graph (inputs
    first), then writes them out as a Digraph."""

    def __init__(self, names, options, collapse):
        self.names = names
        self.show_shapes, self.show_grads, self.show_saved = options
        self.collapse = collapse
        self.ids = {}  # leaf, op node or folded Scope -> its node id
        self.nodes = {}  # node id -> (kind, what it draws)
        self.placement = {}  # node id -> the Scopes of the clusters drawn around it
        self.edges = []  # (tail id, head id, attributes)
        self.folded_edges = set()
        self.folds = {}  # folded Scope -> its op nodes
        self.exits = {}  # folded Scope -> its op nodes whose output leaves it
        self.cluster_ops = {}  # Scopes of a cluster -> every op node inside it
        self.output_titles = {}
        self.paths = set()  # routes of x's gradient that some edge carries

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
        """The outermost folded Scope around ``node`` (or None) and the Scopes outside it."""
        for depth, region in enumerate(node.scope):
            if region.kind in self.collapse:
                return region, node.scope[:depth]
        return None, node.scope

    def _tail(self, item, head: str) -> str | None:
        """The id of the drawn node that an edge from ``item`` to ``head`` leaves
        from: the item's own, or its fold's (noting the item as an exit of the fold)."""
        fold = self._fold_of(item)[0] if isinstance(item, Function) else None
        if fold is None:
            return self.ids[item]
        if self.ids[fold] == head:
            return None
        if item not in self.exits.setdefault(fold, []):
            self.exits[fold].append(item)
        return self.ids[fold]

    # Adding items, inputs first --------------------------------------------------------

    def add_leaf(self, leaf: Tensor, title: str | None):
        if title is not None:
            kind = "output"
            self.output_titles[leaf] = title
        else:
            kind = self._kind_of(leaf)
        unplaced = None  # until a consumer is added: see _place_leaf
        self.ids[leaf] = self._add_node(kind, leaf, () if kind == "output" else unplaced)

    def _kind_of(self, leaf: Tensor) -> str:
        """The kind of a leaf: parameter, buffer, input or (unnamed, one element,
        no gradient) constant. A leaf that is not named but views the array of a
        named tensor, such as a running mean reshaped to (1, C, 1, 1) outside the
        graph, takes that tensor's name; one that a scope named
        (:meth:`Scope.name`) is drawn as a buffer."""
        for kind in ("parameter", "buffer", "input"):
            if leaf in self.names[kind]:
                return kind
        if leaf in self.names["constant"]:
            self.names["buffer"][leaf] = self.names["constant"][leaf]
            return "buffer"
        for kind in ("parameter", "buffer", "input"):
            for named, name in self.names[kind].items():
                if _same_elements(leaf, named):
                    self.names[kind][leaf] = name
                    return kind
        return "constant" if leaf.size == 1 and not leaf.requires_grad else "input"

    def add_op(self, node: Function):
        fold, placement = self._fold_of(node)
        for depth in range(1, len(placement) + 1):
            self.cluster_ops.setdefault(placement[:depth], []).append(node)
        if fold is None:
            head = self.ids[node] = self._add_node("op", node, placement)
        else:
            self.folds.setdefault(fold, []).append(node)
            if fold not in self.ids:
                self.ids[fold] = self._add_node("fold", fold, placement)
            head = self.ids[fold]
        for index, (parent, needed) in enumerate(zip(node.parents, node.needs_input_grad, strict=True)):
            tail = self._tail(parent, head)
            if tail is None or (fold is not None and self.nodes[tail][0] == "constant"):
                continue  # inside a fold, or a constant that only a fold uses
            if not isinstance(parent, Function):
                self._place_leaf(tail, placement)
            if fold is None and tail == self.ids.get(parent):
                path = _edge_path(node, index) if needed else None
                self.paths.add(path)
                self.edges.append((tail, head, styles.edge(needed, path)))
            elif (tail, head) not in self.folded_edges:
                self.folded_edges.add((tail, head))
                self.edges.append((tail, head, styles.edge(needed, None)))

    def add_output(self, output: Tensor, title: str):
        self.output_titles[output] = title
        tail = self._tail(output.grad_fn, None)
        self.edges.append((tail, self._add_node("output", output), {}))

    # Labels ----------------------------------------------------------------------------

    def _tensor_label(self, title: str, tensor: Tensor) -> str:
        return labels.html_label(
            title,
            labels.shape_text(tensor.shape, tensor.dtype) if self.show_shapes else None,
            labels.grad_text(tensor.grad) if self.show_grads else None,
        )

    def _label(self, kind: str, item) -> str:
        if kind == "op":
            return self._op_label(item)
        if kind == "fold":
            return self._fold_label(item)
        if kind == "constant":
            return labels.html_label(f"{item.item():g}", str(item.dtype) if self.show_shapes else None)
        if kind == "output":
            return self._tensor_label(self.output_titles[item], item)
        return self._tensor_label(self.names[kind].get(item, kind), item)

    def _op_label(self, node: Function) -> str:
        kind = node.name if node.role else None
        subtitle = " · ".join(filter(None, [kind, labels.params_text(node.params)]))
        return labels.html_label(
            node.role or node.name,
            subtitle,
            labels.shape_text(node.shape, node.dtype) if self.show_shapes else None,
            labels.saved_text(node) if self.show_saved else None,
            labels.grad_text(node.grad) if self.show_grads else None,
        )

    def _fold_label(self, region) -> str:
        nodes = self.folds[region]
        lines = [f"{len(nodes)} op{'s' if len(nodes) > 1 else ''} folded"]
        for node in self.exits.get(region, []):
            lines.append(labels.shape_text(node.shape, node.dtype) if self.show_shapes else None)
            lines.append(labels.grad_text(node.grad) if self.show_grads else None)
        if self.show_saved:
            lines.append(self._kept_text(nodes))
        return labels.html_label(region.label, *lines)

    @staticmethod
    def _kept_text(nodes) -> str:
        return f"keeps {labels.human_bytes(labels.total_saved_bytes(nodes))} for backward"

    def _cluster_label(self, placement) -> str:
        kept = self._kept_text(self.cluster_ops[placement]) if self.show_saved else None
        return labels.html_label(placement[-1].label, kept, left=True)

    def _graph_label(self) -> str | None:
        rows = [styles.legend_row(path) for path in styles.PATHS if path in self.paths]
        if self.show_saved:
            ops = [item for kind, item in self.nodes.values() if kind == "op"]
            ops += [node for nodes in self.folds.values() for node in nodes]
            rows.append(f"the whole graph {self._kept_text(ops)}")
        if not rows:
            return None
        return "<" + '<BR ALIGN="LEFT"/>'.join(rows) + '<BR ALIGN="LEFT"/>>'

    # Writing the Digraph ---------------------------------------------------------------

    def digraph(self, rankdir: str) -> graphviz.Digraph:
        graph_attr = {**styles.GRAPH, "rankdir": rankdir}
        label = self._graph_label()
        if label is not None:
            graph_attr.update(label=label, labeljust="l")
        graph = graphviz.Digraph(graph_attr=graph_attr, node_attr=styles.NODE, edge_attr=styles.EDGE)
        clusters = {(): graph}
        for node_id, (kind, item) in self.nodes.items():
            if self.placement[node_id] is None:
                continue  # a constant whose only consumers are folded
            cluster = self._cluster(self.placement[node_id], clusters)
            cluster.node(node_id, self._label(kind, item), **styles.KINDS[kind])
        for placement in sorted(clusters, key=len, reverse=True)[:-1]:
            clusters[placement[:-1]].subgraph(clusters[placement])
        for tail, head, attrs in self.edges:
            graph.edge(tail, head, **attrs)
        return graph

    def _cluster(self, placement, clusters) -> graphviz.Digraph:
        for depth in range(1, len(placement) + 1):
            prefix = placement[:depth]
            if prefix not in clusters:
                attrs = {**styles.CLUSTER, "label": self._cluster_label(prefix)}
                clusters[prefix] = graphviz.Digraph(name=f"cluster_{len(clusters) - 1}", graph_attr=attrs)
        return clusters[placement]


def draw_graph(
    *outputs: Tensor,
    params=None,
    buffers=None,
    inputs=None,
    show_shapes=True,
    show_grads=False,
    show_saved=False,
    collapse=(),
    rankdir="TB",
) -> graphviz.Digraph:
    """Draw the graph that computed ``outputs`` as a ``graphviz.Digraph``.

    ``params``, ``buffers`` and ``inputs`` name leaf tensors (a dict name -> Tensor
    or pairs such as a Module's ``named_parameters()``); other leaves are drawn
    as unnamed inputs, one-element constants by their value. ``show_grads``
    adds gradient norms after a backward (see :func:`retain_grads` for the op
    nodes), ``show_saved`` what each op keeps for backward, and ``collapse``
    folds every scope of the given kinds (e.g. ``("batch_norm",)``) into one node.
    The result shows inline in Jupyter; ``.render()`` or ``.pipe()`` make images.

    >>> from tinygrad_bn import Tensor
    >>> w = Tensor([[1.0, 2.0]], requires_grad=True)
    >>> graph = draw_graph((w * 3.0).sum(), params={"w": w})
    >>> "<B>w</B>" in graph.source, "<B>Sum</B>" in graph.source
    (True, True)
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    collapse = (collapse,) if isinstance(collapse, str) else tuple(collapse)
    names = {
        "parameter": _names(params, "params"),
        "buffer": _names(buffers, "buffers"),
        "input": _names(inputs, "inputs"),
        "constant": {},  # named by the scope they enter (Scope.name)
    }
    distinct = list(dict.fromkeys(outputs))
    order = topological_order(distinct)
    for item in order:
        if isinstance(item, Function):
            for region in item.scope:
                names["constant"].update(region.constants)
    picture = _Picture(names, (show_shapes, show_grads, show_saved), collapse)
    titles = {out: "output" if len(distinct) == 1 else f"output {i}" for i, out in enumerate(distinct)}
    for item in order:
        if isinstance(item, Function):
            picture.add_op(item)
        else:
            picture.add_leaf(item, titles.get(item))
    for output in distinct:
        if output.grad_fn is not None:
            picture.add_output(output, titles[output])
    return picture.digraph(rankdir)


def to_dot(*outputs: Tensor, **options) -> str:
    """The picture of :func:`draw_graph` as DOT text; needs no Graphviz program.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> print(to_dot(x.exp()).splitlines()[0])
    digraph {
    """
    return draw_graph(*outputs, **options).source
