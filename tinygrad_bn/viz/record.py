"""Recording a backward pass for the pictures: which node the engine ran when,
the gradient that arrived at it and what it sent to each input.

:func:`record_backward` runs the engine's own backward (``autograd.grad``, so no
``.grad`` is touched) while watching it through
:func:`~tinygrad_bn.autograd.engine.observe_backward`. Each node's ``backward``
runs inside a ``region("backward", ...)`` of its own, so with
``create_graph=True`` every op that the backward records can be grouped under
the forward node it differentiates.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinygrad_bn.annotations import Region, region
from tinygrad_bn.autograd import Function, Tensor, grad, no_grad
from tinygrad_bn.autograd.engine import observe_backward
from tinygrad_bn.autograd.graph import topological_order
from tinygrad_bn.ops.creation import ones_like
from tinygrad_bn.viz import formulas


@dataclass
class Step:
    """One node run by the engine: ``grad`` is the gradient of its output (the
    sum of what its consumers sent), ``sent`` what its backward returned for each
    input (None for no gradient), ``region`` the region its recorded ops carry."""

    node: Function
    grad: Tensor
    sent: tuple
    region: Region


class BackwardRecord:
    """The steps of one backward pass, in the order the engine ran them, and the
    gradient of each leaf that requires one (``gradients``, leaf -> Tensor)."""

    def __init__(self, outputs: tuple, upstream: tuple):
        self.outputs = outputs
        self.upstream = upstream
        self.steps: list[Step] = []
        self.gradients: dict = {}
        self._step_of_region: dict = {}
        self._received = None

    def _run(self, node: Function, grad_out: Tensor):
        with region("backward", f"∂ {formulas.step_name(node)}") as frame:
            sent = node.backward(grad_out)
        step = Step(node, grad_out, sent if type(sent) is tuple else (sent,), frame)
        self.steps.append(step)
        self._step_of_region[frame] = step
        return sent

    def step_of(self, region: Region) -> Step | None:
        """The step whose backward recorded ops under ``region`` (None for other regions)."""
        return self._step_of_region.get(region)

    def received(self, item) -> list:
        """What reached ``item`` (an op node or a leaf): one ``(consumer, index,
        gradient)`` per consumer that sent it a gradient, in the order they ran;
        the gradient is reduced to ``item``'s shape as the engine does."""
        if self._received is None:
            self._received = {}
            for step in self.steps:
                for index, (parent, sent) in enumerate(zip(step.node.parents, step.sent)):
                    if sent is not None and step.node.needs_input_grad[index]:
                        self._received.setdefault(parent, []).append((step.node, index, _fit(sent, parent)))
        return self._received.get(item, [])


def _fit(gradient: Tensor, target) -> Tensor:
    with no_grad():
        return gradient if gradient.shape == target.shape else gradient.sum_to(target.shape)


def record_backward(*outputs: Tensor, grad_outputs=None, create_graph=False) -> BackwardRecord:
    """Run a backward from ``outputs`` and record it (see :class:`BackwardRecord`).

    ``grad_outputs`` are the upstream gradients, one per output (default: ones, the
    gradient of their sum). The graph is kept (``retain_graph=True``) and no
    ``.grad`` changes. With ``create_graph=True`` the gradients are themselves
    recorded, so they can be drawn.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> record = record_backward((x * x).exp().sum())
    >>> [step.node.name for step in record.steps], x.grad is None
    (['Sum', 'Exp', 'Mul'], True)
    """
    if grad_outputs is None:
        grad_outputs = [ones_like(out) for out in outputs]
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    if create_graph:  # so that every op on the upstream gradient is recorded too
        grad_outputs = [Tensor._wrap(g._data, g._backend).requires_grad_() for g in grad_outputs]
    record = BackwardRecord(outputs, tuple(grad_outputs))
    leaves = [item for item in topological_order(outputs)
              if not isinstance(item, Function) and item.requires_grad]
    if not leaves:
        raise ValueError("record_backward: no input of the graph requires grad, so there is no backward to record")
    with observe_backward(record._run):
        gradients = grad(outputs, leaves, grad_outputs=list(grad_outputs), retain_graph=True,
                         create_graph=create_graph, allow_unused=True)
    record.gradients = {leaf: g for leaf, g in zip(leaves, gradients) if g is not None}
    return record
