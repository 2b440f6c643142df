"""Which nodes a picture shows: the graph walk of :mod:`tinygrad_bn.autograd.graph`,
and marking nodes so that a backward keeps their gradients for the picture.

The renderer numbers nodes in :func:`topological_order`: its ids are stable from
one run to the next and never depend on memory addresses.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.autograd.graph import nodes, topological_order

__all__ = ["retain_grads", "topological_order"]


def retain_grads(*outputs: Tensor) -> int:
    """Keep the gradient of every op node behind ``outputs`` at the next backward,
    so that ``draw_graph(..., show_grads=True)`` can show it on each node.
    Returns how many nodes were marked.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> retain_grads(y)
    2
    >>> y.backward()
    >>> (x * x).grad_fn.grad is None, y.grad.item()
    (True, 1.0)
    """
    marked = nodes(*outputs)
    for node in marked:
        node.retains_grad = True
    return len(marked)
