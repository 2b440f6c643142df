"""Walking a recorded graph: its nodes in order, and the memory they keep for backward;
and PyTorch's saved-tensor hooks (:mod:`~tinygrad_bn.autograd.saved_hooks`), at its path.

The walk is an iterative depth-first search, so a graph of any depth is safe,
and it visits inputs in the order the ops received them, so the same graph
always comes out in the same order (the graph renderer numbers its nodes by it).
"""

from __future__ import annotations

from tinygrad_bn.autograd.function import Function
from tinygrad_bn.autograd.saved_hooks import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks
from tinygrad_bn.autograd.tensor import Tensor

__all__ = ["arrays_saved_by", "disable_saved_tensors_hooks", "nodes", "save_on_cpu", "saved_arrays", "saved_bytes",
           "saved_tensors_hooks", "topological_order"]


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


def nodes(*outputs) -> list:
    """The op nodes ``outputs`` depend on, each once, every one after its inputs."""
    return [item for item in topological_order(outputs) if isinstance(item, Function)]


def arrays_saved_by(op_nodes) -> list:
    """The distinct arrays the op nodes keep alive for backward (one saved by several counts once)."""
    arrays = {}
    for node in op_nodes:
        for array in node.saved_arrays():
            arrays[id(array)] = array
    return list(arrays.values())


def saved_arrays(*outputs) -> list:
    """The distinct arrays the graph of ``outputs`` keeps alive for backward."""
    return arrays_saved_by(nodes(*outputs))


def saved_bytes(*outputs, exclude=()) -> int:
    """Bytes of the distinct arrays kept for backward, leaving out the arrays of the
    Tensors in ``exclude`` (say, the input, which exists anyway)."""
    skip = {id(t._data) for t in exclude}
    return sum(a.nbytes for a in saved_arrays(*outputs) if id(a) not in skip)
