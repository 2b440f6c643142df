"""A page that steps through a backward pass: ``to_html``.

The page is one self-contained file: the picture of :func:`draw_graph` as
inline SVG, the recorded steps as JSON, a small style sheet and script, and
nothing fetched from the network. It replays the backward node by node in the
order the engine ran it (see :mod:`tinygrad_bn.viz.record`).
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources

from tinygrad_bn.autograd import Function
from tinygrad_bn.viz import formulas, labels
from tinygrad_bn.viz.dot import picture_of
from tinygrad_bn.viz.record import record_backward
from tinygrad_bn.viz.saved import saved_tensors

_SHOWN_VALUES = 6
_STYLE = """
.tgbn-stepper { font-family: Helvetica, Arial, sans-serif; display: flex; flex-wrap: wrap; gap: 12px; }
.tgbn-stepper:focus { outline: none; }
.tgbn-side { flex: 0 0 300px; font-size: 13px; align-self: flex-start; position: sticky; top: 0;
             background: #fff; z-index: 1; }
.tgbn-graph { flex: 1 1 480px; min-width: 0; overflow: auto; }
.tgbn-graph svg { height: auto; }  /* natural size: its text stays readable; the box scrolls */
.tgbn-controls button { font-size: 14px; margin-right: 6px; }
.tgbn-counter { display: block; margin: 6px 0; color: #444; }
.tgbn-formula { font-family: monospace; margin-bottom: 6px; }
.tgbn-section h4 { margin: 8px 0 2px; }
.tgbn-section ul { margin: 0; padding-left: 18px; white-space: pre-wrap; }
.tgbn-stepper g.node.tgbn-running ellipse, .tgbn-stepper g.node.tgbn-running polygon,
.tgbn-stepper g.node.tgbn-running path { stroke: #D55E00; stroke-width: 4px; }
.tgbn-stepper g.node.tgbn-done ellipse, .tgbn-stepper g.node.tgbn-done polygon { fill: #dfe7ee; }
"""


class Page(str):
    """The page's HTML text; in Jupyter it shows as the stepper itself."""

    fragment = ""

    def _repr_html_(self) -> str:
        return self.fragment


def _values(tensor) -> str:
    flat = tensor.numpy().ravel()
    shown = ", ".join(f"{v:.4g}" for v in flat[:_SHOWN_VALUES])
    return f"[{shown}{', …' if flat.size > _SHOWN_VALUES else ''}]"


def _title(picture, item) -> str:
    if isinstance(item, Function):
        return picture.op_title(item)
    return picture.leaf_name(item)


def _step_data(picture, record) -> list:
    steps, counts = [], {}
    for step in record.steps:
        node = step.node
        sends = []
        for parent, gradient in zip(node.parents, step.sent):
            if gradient is None:
                continue
            total = len(record.received(parent))
            counts[parent] = counts.get(parent, 0) + 1
            fan = f" · {counts[parent]} of {total}, accumulated" if total > 1 else ""
            sends.append(f"{_title(picture, parent)} · norm {labels.norm(gradient):.4g}{fan}")
        steps.append({
            "id": picture.node_id(node),
            "title": _title(picture, node),
            "formula": formulas.local_backward(node),
            "grad": {"shape": str(tuple(step.grad.shape)), "norm": f"{labels.norm(step.grad):.4g}",
                     "values": _values(step.grad)},
            "received": [{"from": _title(picture, consumer), "norm": f"{labels.norm(g):.4g}"}
                         for consumer, _, g in record.received(node)],
            "saved": [f"{s.name} · {tuple(s.shape)} · {labels.human_bytes(s.nbytes)}"
                      for s in saved_tensors([node], picture.leaf_name)],
            "sends": sends,
        })
    return steps


def _svg(graph) -> str:
    """The picture as an inline <svg> element (without the XML prolog)."""
    text = graph.pipe(format="svg").decode("utf-8")
    return text[re.search(r"<svg\b", text).start():]


def to_html(*outputs, grad_outputs=None, title="backward, step by step", **options) -> Page:
    """A self-contained HTML page that replays the backward pass of ``outputs``
    node by node on their picture (``options`` as for :func:`draw_graph`;
    ``grad_outputs`` the upstream gradients, default ones). Write it to a file
    and open it in a browser; in Jupyter the returned page displays inline.
    Needs the Graphviz ``dot`` program.
    """
    picture = picture_of(outputs, **options)
    svg = _svg(picture.digraph(options.get("rankdir", "TB")))  # first: it gives ops their frames' titles
    record = record_backward(*dict.fromkeys(outputs), grad_outputs=grad_outputs)
    data = {
        "intro": "The engine runs each node's backward once every consumer of its output has sent its "
                 "gradient. Press → to run the next node, ← to go back.",
        "steps": _step_data(picture, record),
    }
    steps_json = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    script = resources.files("tinygrad_bn.viz").joinpath("stepper.js").read_text(encoding="utf-8")
    fragment = (
        f'<div class="tgbn-stepper" tabindex="0"><style>{_STYLE}</style>'
        '<div class="tgbn-side"><div class="tgbn-controls">'
        '<button class="tgbn-prev" type="button">← back</button>'
        '<button class="tgbn-next" type="button">step →</button>'
        '<span class="tgbn-counter"></span></div><div class="tgbn-panel"></div></div>'
        f'<div class="tgbn-graph">{svg}</div>'
        f'<script type="application/json" class="tgbn-steps">{steps_json}</script>'
        f"<script>{script}</script></div>"
    )
    page = Page(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head><body>{fragment}</body></html>\n"
    )
    page.fragment = fragment
    return page
