"""The backward graph: the ops the engine records for the gradients under
``create_graph=True``, each grouped under the forward node it differentiates.

The backward reads forward values (x − μ, x̂, √(σ² + ε), …); those are drawn as
boxes of their own, not as the forward graph again. Ops that the engine adds by
itself, outside any node's backward (adding the gradients of a tensor that fans
out, summing a gradient back over broadcast axes), are drawn in the cluster of
the forward region their inputs come from.
"""

from __future__ import annotations

from tinygrad_bn.annotations import of
from tinygrad_bn.autograd import Function
from tinygrad_bn.autograd.graph import nodes, topological_order
from tinygrad_bn.viz import formulas


def backward_items(record) -> tuple:
    """(items, forward values): the backward's op nodes and the leaves and forward
    values they read, every item after its inputs, and the set of forward op nodes
    drawn as values."""
    gradients = list(record.gradients.values())
    forward = set(nodes(*record.outputs))
    recorded = {item for item in topological_order(gradients) if isinstance(item, Function)} - forward
    read = set()
    for node in recorded:
        read.update(parent for parent in node.parents if parent not in recorded)
    items = [item for item in topological_order(gradients) if item in recorded or item in read]
    return items, read & forward


class Regions:
    """``regions(node)`` for the ops of a recorded backward: the forward node's
    regions, then the backward's own scope for that node."""

    def __init__(self, record):
        self.record = record
        self.cache = {}

    def __call__(self, node: Function) -> tuple:
        if node not in self.cache:
            self.cache[node] = self._regions(node)
        return self.cache[node]

    def _regions(self, node: Function) -> tuple:
        regions = of(node).regions
        for depth, region in enumerate(regions):
            step = self.record.step_of(region)
            if step is not None:
                return of(step.node).regions + regions[depth:]
        for parent in node.parents:  # an op of the engine itself
            if parent in self.cache:
                return step_scope(self.record, self.cache[parent])
        return regions


def step_scope(record, regions) -> tuple:
    """The forward regions in ``regions``: those before the first backward one."""
    for depth, region in enumerate(regions):
        if record.step_of(region) is not None:
            return regions[:depth]
    return regions


def engine_title(node: Function, record) -> str | None:
    """The title of an op the engine added itself (None for ops of a node's backward)."""
    if any(record.step_of(region) is not None for region in of(node).regions):
        return None
    return formulas.ENGINE_STEPS.get(node.name, (None,))[0]


def cluster_notes(record) -> dict:
    """The line under each backward cluster's title: the local backward formula."""
    return {step.region: formulas.local_backward(step.node) for step in record.steps}
