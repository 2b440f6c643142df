"""Walking a recorded graph: every op node and leaf tensor behind some outputs.

The walk is an iterative depth-first search, so a graph of any depth is safe,
and it visits inputs in the order the ops received them, so the same graph
always comes out in the same order. The renderer numbers nodes in that order:
its ids are stable from one run to the next and never depend on memory
addresses.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function, Tensor


def _roots(outputs) -> list:
    roots = []
    for output in outputs:
        if not isinstance(output, Tensor):
            raise TypeError(f"expected Tensors as the graph's outputs, got {type(output).__name__}")
        roots.append(output if output.grad_fn is None else output.grad_fn)
    return roots


def topological_order(outputs) -> list:
    """The op nodes and leaf tensors that ``outputs`` depend on, each once,
    every one after all of its inputs (the first item is an input of the graph).

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * 2.0).exp()
    >>> [getattr(item, "name", "leaf") for item in topological_order([y])]
    ['leaf', 'leaf', 'Mul', 'Exp']
    """
    order = []
    seen = set()
    stack = [(root, False) for root in reversed(_roots(outputs))]
    while stack:
        item, inputs_done = stack.pop()
        if inputs_done:
            order.append(item)
            continue
        if item in seen:
            continue
        seen.add(item)
        stack.append((item, True))
        if isinstance(item, Function):
            stack.extend((parent, False) for parent in reversed(item.parents) if parent not in seen)
    return order


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
    nodes = [item for item in topological_order(outputs) if isinstance(item, Function)]
    for node in nodes:
        node.retains_grad = True
    return len(nodes)
