"""Walking a recorded graph: its nodes, and the memory they keep for backward."""

from __future__ import annotations

from tinygrad_bn.autograd.function import Function


def nodes(*outputs) -> list:
    """The nodes reachable from ``outputs`` (Tensors), each once, outputs first.

    Iterative, so graphs of any depth are fine.
    """
    found = []
    seen = set()
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        found.append(node)
        stack.extend(p for p in reversed(node.parents) if isinstance(p, Function) and p not in seen)
    return found


def saved_arrays(*outputs) -> list:
    """The distinct arrays the graph of ``outputs`` keeps alive for backward."""
    arrays = {}
    for node in nodes(*outputs):
        for array in node.saved_arrays():
            arrays[id(array)] = array
    return list(arrays.values())


def saved_bytes(*outputs, exclude=()) -> int:
    """Bytes of the distinct arrays kept for backward, leaving out the arrays of the
    Tensors in ``exclude`` (say, the input, which exists anyway)."""
    skip = {id(t.data) for t in exclude}
    return sum(a.nbytes for a in saved_arrays(*outputs) if id(a) not in skip)
