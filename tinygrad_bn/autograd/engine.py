"""The backward engine: reverse-mode differentiation over the recorded graph.

The graph is walked without recursion. First the nodes reachable from the
outputs are counted (how many edges lead into each); then nodes run in
reverse topological order, each one as soon as every consumer of its output
has delivered its gradient (Kahn's algorithm). Gradients are reduced back to
each input's shape (undoing broadcasting) and cast to its dtype here, in one
place, so ops never need to.
"""

from __future__ import annotations

import contextlib
import threading

from tinygrad_bn.autograd import anomaly
from tinygrad_bn.autograd.function import Function, set_grad_enabled
from tinygrad_bn.autograd.tensor import Tensor, as_tensors


class _Observer(threading.local):
    run = None  # run(node, grad) -> node.backward(grad), called in place of it


_observer = _Observer()


@contextlib.contextmanager
def observe_backward(run):
    """Inside the block the engine calls ``run(node, grad)`` instead of
    ``node.backward(grad)``, node after node in the order it runs them; ``run``
    returns what ``node.backward(grad)`` returns. Pictures use it to replay a
    backward pass and to group the ops a backward records under the node it
    differentiates."""
    previous = _observer.run
    _observer.run = run
    try:
        yield
    finally:
        _observer.run = previous


def _as_tuple(value) -> tuple:
    return () if value is None else as_tensors(value)


def _initial_gradient(output: Tensor, gradient) -> Tensor:
    if not output.requires_grad:
        raise RuntimeError(
            f"backward() on a tensor of shape {output.shape} that does not require grad: "
            "none of its inputs had requires_grad=True (or it was computed under no_grad)"
        )
    if gradient is None:
        if output.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a tensor with one element, got shape "
                f"{output.shape}; pass gradient= of that shape (e.g. the upstream gradient)"
            )
        return Tensor._wrap(output.xp.ones(output.shape, dtype=output.dtype), output._backend)
    if not isinstance(gradient, Tensor):
        gradient = Tensor(gradient, dtype=output.dtype, device=output.device)
    if gradient.shape != output.shape:
        raise ValueError(
            f"gradient of shape {gradient.shape} given for an output of shape {output.shape}; "
            "they must match"
        )
    if gradient.device != output.device:
        raise RuntimeError(f"gradient on {gradient.device!r} for an output on {output.device!r}")
    return gradient


def _count_consumers(roots) -> dict:
    """For every node reachable from ``roots``: how many recorded edges lead into it."""
    consumers = {}
    roots = set(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        for parent, needed in zip(node.parents, node.needs_input_grad):
            if needed and isinstance(parent, Function):
                if parent in consumers:
                    consumers[parent] += 1
                else:
                    consumers[parent] = 1
                    if parent not in roots:
                        stack.append(parent)
    return consumers


def _fit(grad: Tensor, target) -> Tensor:
    """Reduce a gradient to ``target``'s shape and dtype (target: Tensor or node)."""
    if grad.shape != target.shape:
        grad = grad.sum_to(target.shape)
    if grad.dtype != target.dtype:
        grad = grad.astype(target.dtype)
    return grad


def _accumulate(store: dict, key, grad: Tensor):
    previous = store.get(key)
    store[key] = grad if previous is None else _add(previous, grad)


def _add(a: Tensor, b: Tensor) -> Tensor:
    """a + b, recorded only while the backward itself is being recorded."""
    if a.requires_grad or b.requires_grad:
        return a + b
    return Tensor._wrap(a._data + b._data, a._backend, None)


def _own(grad: Tensor, create_graph: bool) -> Tensor:
    """A gradient to keep in ``.grad``: a copy, since the engine passes gradient arrays
    on unchanged (``+`` hands its gradient to both inputs, the caller's ``gradient``
    is the output's), and a ``.grad`` must never change with another array."""
    if create_graph:
        return grad.clone()
    return Tensor._wrap(grad._data.copy(), grad._backend, None)


def run_backward(outputs, grads, retain_graph, create_graph, inputs=None):
    """Propagate ``grads`` from ``outputs`` to the graph's leaves.

    Without ``inputs``, gradients accumulate into ``.grad`` of every leaf that
    requires grad. With ``inputs``, nothing is accumulated: the gradient of each
    input is returned instead (None where no path leads to it).
    """
    capture = None if inputs is None else {}
    wanted_nodes = set() if inputs is None else {t._ctx for t in inputs if t._ctx is not None}
    wanted_leaves = set() if inputs is None else {t for t in inputs if t._ctx is None}
    node_grads = {}
    leaf_grads = {}

    with set_grad_enabled(create_graph):
        roots = []
        for output, grad in zip(outputs, grads):
            if output._ctx is None:
                _accumulate(leaf_grads, output, grad)
            else:
                _accumulate(node_grads, output._ctx, grad)
                roots.append(output._ctx)
        consumers = _count_consumers(roots)
        ready = [node for node in dict.fromkeys(roots) if consumers.get(node, 0) == 0]

        while ready:
            node = ready.pop()
            grad = node_grads.pop(node)
            if node.retains_grad:
                node.grad = _own(grad, create_graph) if node.grad is None else _add(node.grad, grad)
            if capture is not None and node in wanted_nodes:
                capture[node] = grad
            if node.released:
                node._check_not_released()
            input_grads = node.backward(grad) if _observer.run is None else _observer.run(node, grad)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if anomaly.mode.enabled:
                anomaly.check_finite(node, input_grads)
            parents = node.parents
            if len(input_grads) != len(parents):
                raise RuntimeError(
                    f"{node.name}.backward returned {len(input_grads)} gradients for {len(parents)} inputs"
                )
            if not retain_graph:
                node.release()
            for parent, needed, input_grad in zip(parents, node.needs_input_grad, input_grads):
                if not needed:
                    continue
                is_node = isinstance(parent, Function)
                if input_grad is not None:
                    data = input_grad._data
                    if data.shape != parent.shape or data.dtype != parent.dtype:
                        input_grad = _fit(input_grad, parent)
                    if is_node:
                        previous = node_grads.get(parent)
                        node_grads[parent] = input_grad if previous is None else _add(previous, input_grad)
                    elif inputs is None or parent in wanted_leaves:
                        _accumulate(leaf_grads, parent, input_grad)
                if is_node:
                    remaining = consumers[parent] - 1
                    consumers[parent] = remaining
                    if remaining == 0:
                        if parent in node_grads:
                            ready.append(parent)
                        else:
                            _skip_unreached(parent, consumers, ready, node_grads)

        if capture is None:
            for leaf, grad in leaf_grads.items():
                leaf._grad = _own(grad, create_graph) if leaf._grad is None else _add(leaf._grad, grad)
            return None
    capture.update(leaf_grads)
    return tuple(capture.get(t._ctx if t._ctx is not None else t) for t in inputs)


def _skip_unreached(node, consumers, ready, node_grads):
    """A node all of whose consumers gave None: its parents get no gradient from it."""
    stack = [node]
    while stack:
        node = stack.pop()
        for parent, needed in zip(node.parents, node.needs_input_grad):
            if needed and isinstance(parent, Function):
                consumers[parent] -= 1
                if consumers[parent] == 0:
                    if parent in node_grads:
                        ready.append(parent)
                    else:
                        stack.append(parent)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the graph's leaves."""
    outputs = _as_tuple(tensors)
    run_backward(outputs, _initial_gradients(outputs, grad_tensors), _retain(retain_graph, create_graph),
                 create_graph)


def _initial_gradients(outputs: tuple, given) -> list:
    given = _as_tuple(given) if given is not None else (None,) * len(outputs)
    if len(given) != len(outputs):
        raise ValueError(f"got {len(given)} gradients for {len(outputs)} outputs")
    return [_initial_gradient(out, g) for out, g in zip(outputs, given)]


def _retain(retain_graph, create_graph) -> bool:
    """PyTorch's default: keep the graph when the backward itself is recorded."""
    return create_graph if retain_graph is None else retain_graph


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple of Tensors.

    Unlike ``backward()``, nothing is accumulated into ``.grad``. With
    ``create_graph=True`` the returned gradients are themselves differentiable.

    >>> from tinygrad_bn import Tensor
    >>> from tinygrad_bn.autograd import grad
    >>> x = Tensor([3.0], requires_grad=True)
    >>> (dx,) = grad((x ** 3).sum(), x, create_graph=True)
    >>> (ddx,) = grad(dx.sum(), x)
    >>> dx.item(), ddx.item()
    (27.0, 18.0)
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    for t in inputs:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("every input of grad() must be a Tensor that requires grad")
    grads = _initial_gradients(outputs, grad_outputs)
    results = run_backward(outputs, grads, _retain(retain_graph, create_graph), create_graph, inputs=inputs)
    if not allow_unused:
        for i, result in enumerate(results):
            if result is None:
                raise RuntimeError(
                    f"input {i} of grad() (shape {inputs[i].shape}) is not reached from the outputs; "
                    "pass allow_unused=True to get None for it"
                )
    if not create_graph:
        results = tuple(None if r is None else r.detach() for r in results)
    return results
