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

from tinygrad_bn.annotations import of
from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.viz import backward as backward_graph
from tinygrad_bn.viz.frames import module_paths
from tinygrad_bn.viz.picture import Picture
from tinygrad_bn.viz.record import record_backward
from tinygrad_bn.viz.saved import saved_tensors
from tinygrad_bn.viz.traverse import topological_order

RANKDIRS = ("TB", "LR", "BT", "RL")


def _names(mapping, argument: str) -> dict:
    """``{tensor: name}`` from a dict name -> Tensor or an iterable of (name, Tensor)."""
    if mapping is None:
        return {}
    pairs = list(mapping.items() if isinstance(mapping, dict) else mapping)
    if not pairs and iter(mapping) is mapping:
        raise ValueError(
            f"{argument} is an iterator that gives nothing: a generator such as named_parameters() can be "
            "read only once, so call it again for each picture (or pass model=)"
        )
    names = {}
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], Tensor)):
            raise TypeError(
                f"{argument} must be a dict name -> Tensor or (name, Tensor) pairs such as "
                f"named_parameters(), got an item {type(pair).__name__} {pair!r:.60}"
            )
        names[pair[1]] = str(pair[0])
    return names


def _all_names(params, buffers, inputs, model) -> dict:
    names = {
        "parameter": _names(params, "params"),
        "buffer": _names(buffers, "buffers"),
        "input": _names(inputs, "inputs"),
        "constant": {},  # named by the region they enter (Region.name)
        "modules": module_paths(model),
    }
    if model is not None:
        names["parameter"].update(_names(model.named_parameters(), "model.named_parameters()"))
        names["buffer"].update(_names(model.named_buffers(), "model.named_buffers()"))
    return names


def _titles(outputs, output_names) -> dict:
    if output_names is None:
        return {out: "output" if len(outputs) == 1 else f"output {i}" for i, out in enumerate(outputs)}
    output_names = [output_names] if isinstance(output_names, str) else list(output_names)
    if len(output_names) != len(outputs):
        raise ValueError(f"output_names gives {len(output_names)} names for {len(outputs)} outputs")
    return dict(zip(outputs, output_names))


def _gradient_title(name: str) -> str:
    """'x' -> 'dx', 'composite.weight' -> 'composite dweight'."""
    prefix, _, last = name.rpartition(".")
    return f"{prefix} d{last}" if prefix else f"d{name}"


def _fill(picture: Picture, order, leaf_titles, values=()):
    """Add ``order``'s items: op nodes, and leaves (with the forward ``values`` a
    backward reads); a leaf in ``leaf_titles`` is an output of the picture."""
    for item in order:
        if isinstance(item, Function) and item not in values:
            picture.add_op(item)
        else:
            picture.add_leaf(item, leaf_titles.get(item))


def _add_output(picture: Picture, output: Tensor, title: str):
    if output.grad_fn is not None:
        picture.add_output(output, title)
    elif output in picture.ids:  # a leaf drawn already: it becomes the output
        picture.titles[output] = title
        picture.nodes[picture.ids[output]] = ("output", output)
        picture.placement[picture.ids[output]] = ()
    else:
        picture.add_leaf(output, title)


def build_picture(outputs, names, options, collapse, backward=False, grad_outputs=None) -> Picture:
    """The :class:`Picture` of the forward graph of ``outputs``, or of its backward."""
    for item in topological_order(outputs):
        if isinstance(item, Function):
            for region in of(item).regions:
                names["constant"].update(region.names)
    if backward:
        return _backward_picture(outputs, names, options, collapse, grad_outputs)
    show_grads = options[1]
    record = record_backward(*outputs, grad_outputs=grad_outputs) if show_grads and grad_outputs is not None else None
    picture = Picture(names, options, collapse, record=record)
    order = topological_order(outputs)
    leaf_titles = {out: title for out, title in names["outputs"].items() if out.grad_fn is None}
    _fill(picture, order, leaf_titles)
    for output, title in names["outputs"].items():
        if output.grad_fn is not None:
            picture.add_output(output, title)
    if options[2]:  # show_saved
        ops = [item for item in order if isinstance(item, Function)]
        for saved in saved_tensors(ops, picture.leaf_name):
            picture.add_saved(saved)
    return picture


def _backward_picture(outputs, names, options, collapse, grad_outputs) -> Picture:
    record = record_backward(*outputs, grad_outputs=grad_outputs, create_graph=True)
    names["input"].update({dy: "dy" if len(outputs) == 1 else f"d{title}"
                           for dy, title in zip(record.upstream, names["outputs"].values())})
    picture = Picture(names, (options[0], False, False), collapse, regions=backward_graph.Regions(record))
    items, values = backward_graph.backward_items(record)
    for item in items:
        if isinstance(item, Function) and item not in values:
            title = backward_graph.engine_title(item, record)
            if title is not None:
                picture.titles[item] = title
    _fill(picture, items, {}, values)
    for leaf, gradient in record.gradients.items():
        _add_output(picture, gradient, _gradient_title(picture.leaf_name(leaf)))
    picture.notes.update(backward_graph.cluster_notes(record))
    return picture


def draw_graph(
    *outputs: Tensor,
    params=None,
    buffers=None,
    inputs=None,
    model=None,
    output_names=None,
    show_shapes=True,
    show_grads=False,
    show_saved=False,
    collapse=(),
    rankdir="TB",
    backward=False,
    grad_outputs=None,
    note=None,
    align=(),
) -> graphviz.Digraph:
    """Draw the graph that computed ``outputs`` (or, with ``backward=True``, the
    graph that computes their gradients) as a ``graphviz.Digraph``.

    ``params``, ``buffers`` and ``inputs`` name leaf tensors (a dict name -> Tensor
    or pairs such as a Module's ``named_parameters()``); ``model`` names every
    parameter and buffer of a Module by its path. Other leaves are drawn as
    parameters when they require grad and inputs otherwise, one-element
    constants by their value. ``output_names`` titles the outputs.

    ``show_grads`` adds gradient norms: after a backward of your own, the
    ``.grad`` of leaves and of nodes marked by :func:`retain_grads`; with
    ``grad_outputs`` (the upstream gradients), from a backward the picture runs
    and records itself, which also writes on each edge the norm of the gradient
    it carries back, split by route where x's gradient routes meet.
    ``show_saved`` draws each tensor kept for backward as a box linked to the ops
    that keep it; ``collapse`` folds every scope of the given kinds (e.g.
    ``("batch_norm",)``) into one node. ``backward=True`` records a backward with
    ``create_graph=True`` (upstream ``grad_outputs``, default ones) and draws the
    ops it made, grouped under the forward node each one differentiates.
    ``note`` is ``(title, rows)``, a table drawn under the outputs (a verdict);
    ``align`` lists groups of tensors to draw in one row each, left to right and
    outside the clusters (the inputs of two twins, then their outputs).
    The result shows inline in Jupyter; ``.render()`` or ``.pipe()`` make images.

    >>> from tinygrad_bn import Tensor
    >>> w = Tensor([[1.0, 2.0]], requires_grad=True)
    >>> graph = draw_graph((w * 3.0).sum(), params={"w": w})
    >>> "<B>w</B>" in graph.source, "<B>Sum</B>" in graph.source
    (True, True)
    >>> "<B>dw</B>" in draw_graph((w * 3.0).sum(), params={"w": w}, backward=True).source
    True
    """
    picture = picture_of(outputs, params, buffers, inputs, model, output_names, show_shapes, show_grads,
                         show_saved, collapse, rankdir, backward, grad_outputs)
    picture.note = note
    picture.align = [[_drawn(picture, t) for t in group] for group in align]
    return picture.digraph(rankdir)


def _drawn(picture: Picture, tensor: Tensor):
    """What stands for ``tensor`` in the picture: itself (a leaf), or its node."""
    return tensor if tensor.grad_fn is None or tensor in picture.ids else tensor.grad_fn


def picture_of(outputs, params=None, buffers=None, inputs=None, model=None, output_names=None, show_shapes=True,
               show_grads=False, show_saved=False, collapse=(), rankdir="TB", backward=False,
               grad_outputs=None) -> Picture:
    """The :class:`Picture` :func:`draw_graph` writes out (arguments as there)."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    collapse = (collapse,) if isinstance(collapse, str) else tuple(collapse)
    names = _all_names(params, buffers, inputs, model)
    distinct = list(dict.fromkeys(outputs))
    names["outputs"] = _titles(distinct, output_names)
    return build_picture(distinct, names, (show_shapes, show_grads, show_saved), collapse, backward, grad_outputs)


def to_dot(*outputs: Tensor, **options) -> str:
    """The picture of :func:`draw_graph` as DOT text; needs no Graphviz program.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> print(to_dot(x.exp()).splitlines()[0])
    digraph {
    """
    return draw_graph(*outputs, **options).source
