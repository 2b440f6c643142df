"""The backward engine: reverse-mode differentiation over the recorded graph.

One backward is a :class:`_Pass`, walked without recursion (Kahn's algorithm):

- ``seed``: count, for every node reachable from the outputs, the edges that lead
  into it (one more for each time it is an output), then deliver each output's
  initial gradient;
- ``visit`` a ready node: run its ``backward`` on the sum of what it received and
  deliver each returned gradient to its input;
- ``deliver`` a gradient: fit it to the input (summed over broadcast axes, cast to
  its dtype: the one place broadcasting is undone, so ops never need to) and add it
  to what the input received so far;
- ``count_down``: after the last of its consumers has delivered, a node is ready.

A backward asked for some gradients only (``grad()``, ``backward(inputs=...)``) is a
:class:`_ConfinedPass`: it runs the nodes that lead to those tensors and no other,
as PyTorch's engine does, so hooks elsewhere are not called and nodes elsewhere keep
what they saved. :func:`backward_within` confines a pass to a given set of nodes
(an activation checkpoint's recomputed function).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import types
import warnings

from tinygrad_bn.autograd import anomaly
from tinygrad_bn.autograd.function import Function, set_grad_enabled
from tinygrad_bn.autograd.hooks import has_leaf_hooks, leaf_hooks, run_hooks
from tinygrad_bn.autograd.tensor import RowSparseGrad, Tensor, as_tensors
from tinygrad_bn.autograd.version import bump


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


def _count_consumers(roots, within: set | None = None) -> dict:
    """For every node reachable from ``roots`` (through nodes of ``within`` only, if
    given): how many recorded edges lead into it. (An edge into a node always needs its
    gradient: a node's output requires grad.)"""
    consumers = {}
    roots = set(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        for parent in node.parents:  # without zipping needs_input_grad in: 0.27 µs less per node
            if isinstance(parent, Function) and (within is None or parent in within):
                if parent in consumers:
                    consumers[parent] += 1
                else:
                    consumers[parent] = 1
                    if parent not in roots:
                        stack.append(parent)
    return consumers


def _leading_to(roots, targets) -> set:
    """The nodes reachable from ``roots`` from which a path of recorded edges leads to
    one of ``targets`` (nodes or leaves), the target nodes among them; each node is
    looked at once, after its parents (depth first, without recursion)."""
    leads = {}
    stack = [(node, False) for node in roots]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            leads[node] = node in targets or any(
                leads[parent] if isinstance(parent, Function) else parent in targets for parent in node.parents)
        elif node not in leads:
            leads[node] = False  # until its parents are done
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents
                         if isinstance(parent, Function) and parent not in leads)
    return {node for node, leading in leads.items() if leading}


def _count_leaf_consumers(consumers: dict, outputs) -> dict:
    """For every leaf that requires grad below the counted nodes (or among the
    outputs): how many edges lead into it."""
    counts = {}
    for node in consumers:
        for parent in node.parents:
            if not isinstance(parent, Function) and parent.requires_grad:
                counts[parent] = counts.get(parent, 0) + 1
    for output in outputs:
        if output._ctx is None:
            counts[output] = counts.get(output, 0) + 1
    return counts


def _accumulate(store: dict, target, grad: Tensor):
    """Add ``grad`` to ``store[target]``, fitted to ``target`` (a node or a leaf): summed
    over the axes it was broadcast along, cast to its dtype."""
    data = grad._data  # the array's shape and dtype, not the Tensor's properties: 0.2-0.4 µs less per gradient
    if data.shape != target.shape:
        grad = grad.sum_to(target.shape)
    if data.dtype != target.dtype:
        grad = grad.astype(target.dtype)
    previous = store.get(target)
    store[target] = grad if previous is None else _add(previous, grad)


def _add(a: Tensor, b: Tensor) -> Tensor:
    """a + b, recorded only while the backward itself is being recorded. Two gradients
    that name their rows (:class:`RowSparseGrad`) add into one that names both's; one
    and an ordinary gradient, into an ordinary tensor, as PyTorch's sparse and dense."""
    if a.requires_grad or b.requires_grad:
        total = a + b
    else:
        total = Tensor._wrap(a._data + b._data, a._backend, None)
    return RowSparseGrad.naming(total, _rows_of_sum(a, b)) if a.is_sparse and b.is_sparse else total


def _rows_of_sum(a: RowSparseGrad, b: RowSparseGrad):
    """The rows the sum of two RowSparseGrads names: those either names."""
    return a.xp.unique(a.xp.concatenate((a.rows, b.rows)))


def _added_to(kept: Tensor | None, grad: Tensor, create_graph: bool, unshared: bool = False) -> Tensor:
    """A ``.grad`` that held ``kept`` (None at first) after ``grad`` arrives. The first
    gradient is copied, since the engine passes gradient arrays on unchanged (``+``
    hands its gradient to both inputs, the caller's ``gradient`` is the output's), and
    a ``.grad`` must never change with another array; an ``unshared`` one (see
    :func:`_unshared`) is taken as it is."""
    if kept is not None:
        return _add(kept, grad)
    if create_graph:
        first = grad.clone()
    else:
        first = Tensor._wrap(grad._data if unshared else grad._data.copy(), grad._backend, None)
    return RowSparseGrad.naming(first, grad.rows) if grad.is_sparse else first


def _added_in_place(kept: Tensor | None, grad: Tensor, create_graph: bool) -> bool:
    """Add ``grad`` into a leaf's existing ``.grad`` ``kept`` in place, as PyTorch does
    outside a recorded backward, so that the ``.grad`` stays the same tensor (whoever
    holds it sees the sum) and its version goes up. False, and nothing done, when
    there is none yet, the backward is recorded, its array cannot take the sum
    (read-only, or of another shape or a narrower dtype), or it names its rows and
    ``grad`` does not (the sum is then an ordinary tensor, see :func:`_add`)."""
    if kept is None or create_graph or (kept.is_sparse and not grad.is_sparse):
        return False
    target, data = kept._data, grad._data
    widened = data.dtype != target.dtype and kept._backend.xp.result_type(target, data) != target.dtype
    if widened or target.shape != data.shape or not getattr(target.flags, "writeable", True):
        return False
    target += data
    if kept.is_sparse:
        kept.rows = _rows_of_sum(kept, grad)
    bump(kept)
    return True


def _unshared(grad: Tensor) -> bool:
    """True when only the caller's one variable holds ``grad``, and only ``grad`` holds
    its array, which owns its memory (is no view): nothing else can see a change to
    it, so it can become a ``.grad`` without a copy, as PyTorch's gradient
    accumulation takes a gradient nobody else uses. Copying a fused BatchNorm's dx
    into ``x.grad`` was a fifth of its forward and backward at (64, 64, 32, 32).

    Any other holder (a second input given the same gradient, a view of it, a saved
    tensor, the caller's ``gradient``) makes a reference count larger than that of
    a probe held the same way (:data:`_LONE`, measured, as counting differs between
    Python versions)."""
    return getattr(grad._data, "base", False) is None and _holder_counts(grad) == _LONE


def _holder_counts(grad) -> tuple:
    """The reference counts of ``grad`` and of its array, seen from here."""
    data = grad._data
    return sys.getrefcount(grad), sys.getrefcount(data)


def _lone_counts() -> tuple:
    """What :func:`_unshared` sees of a gradient that one variable of its caller holds."""
    lone = types.SimpleNamespace(_data=object())
    return _lone_probe(lone)


def _lone_probe(grad) -> tuple:
    return _holder_counts(grad)  # one call deeper, as from _unshared


_LONE = _lone_counts()


def _differentiate(node: Function, grad: Tensor, observer) -> tuple:
    """``node.backward(grad)`` (or ``observer(node, grad)`` in its place) as a tuple of
    one gradient per input, checked."""
    if node.released:
        raise node._released_error()
    input_grads = node.backward(grad) if observer is None else observer(node, grad)
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    if anomaly.mode.enabled:
        anomaly.check_finite(node, input_grads)
    if len(input_grads) != len(node.parents):
        raise RuntimeError(
            f"{node.name}.backward returned {len(input_grads)} gradients for {len(node.parents)} inputs"
        )
    return input_grads


class _Pass:
    """One backward pass: the gradients on their way, and the nodes waiting for them.

    This one runs every node the outputs lead to and accumulates into the ``.grad``
    of every leaf; ``wanted`` is for :class:`_ConfinedPass`, None here."""

    __slots__ = ("retain_graph", "create_graph", "wanted", "observer", "node_grads", "leaf_grads", "captured",
                 "consumers", "ready", "leaf_consumers", "ready_leaves")

    def __init__(self, retain_graph: bool, create_graph: bool, wanted: set | None = None):
        self.retain_graph = retain_graph
        self.create_graph = create_graph
        self.wanted = wanted
        self.observer = _observer.run  # read once, not per node (a thread-local): 0.2 µs less per node
        self.node_grads = {}  # node -> the sum of the gradients its consumers delivered so far
        self.leaf_grads = {}
        self.captured = {}  # a wanted node -> its gradient
        self.consumers = {}  # node -> how many of its consumers have yet to deliver
        self.ready = []  # nodes all of whose consumers have delivered
        self.leaf_consumers = None  # leaf -> consumers yet to deliver, counted only when a leaf has hooks
        self.ready_leaves = []  # leaves (so counted) all of whose consumers have delivered

    def seed(self, outputs, grads):
        """Count every node's consumers, then deliver each output's initial gradient
        as one more consumer would."""
        roots = [output._ctx for output in outputs if output._ctx is not None]
        self.consumers = _count_consumers(roots)
        for node in roots:
            self.consumers[node] = self.consumers.get(node, 0) + 1
        if has_leaf_hooks():  # each leaf's hooks then run as soon as its gradient is whole
            self.leaf_consumers = _count_leaf_consumers(self.consumers, outputs)
        for output, grad in zip(outputs, grads):
            self.deliver(output if output._ctx is None else output._ctx, grad)

    def run(self):
        """Visit nodes until none is ready: each after all its consumers (Kahn's algorithm);
        a leaf whose consumers are counted is accumulated as soon as it is ready."""
        ready, visit, ready_leaves = self.ready, self.visit, self.ready_leaves
        while ready or ready_leaves:
            if ready_leaves:
                self.accumulate(ready_leaves.pop())
            else:
                visit(ready.pop())

    def visit(self, node: Function):
        """Run ``node``'s backward on the sum of the gradients its consumers delivered,
        and deliver what it returns to its inputs. A node that no consumer gave a
        gradient (each gave None) delivers None to its inputs."""
        self.backpropagate(node, self.received(node))

    def backpropagate(self, node: Function, grad):
        """``node``'s backward on ``grad``, what it returns delivered to its inputs (None
        to each when ``grad`` is None); without ``retain_graph`` the node then lets go
        of what it saved."""
        if grad is None:
            input_grads = (None,) * len(node.parents)
        else:
            input_grads = _differentiate(node, grad, self.observer)
            if not self.retain_graph:
                node.release()
        for parent, needed, input_grad in zip(node.parents, node.needs_input_grad, input_grads):
            self.deliver(parent, input_grad if needed else None)

    def received(self, node: Function) -> Tensor | None:
        """The sum of the gradients ``node``'s consumers delivered (None if none did),
        through its hooks; kept in ``node.grad`` if it retains its gradient."""
        grad = self.node_grads.pop(node, None)
        if grad is not None:
            if node.tensor_hooks:
                grad = run_hooks(node.tensor_hooks, grad)
            if node.retains_grad:
                node.grad = _added_to(node.grad, grad, self.create_graph)
        return grad

    def deliver(self, parent, grad: Tensor | None):
        """Add ``grad`` (None: nothing along this edge) to what ``parent``, a node or
        a leaf, receives; count a node's consumer down."""
        if isinstance(parent, Function):
            if grad is not None:
                _accumulate(self.node_grads, parent, grad)
            self.count_down(parent)
        else:
            if grad is not None:
                _accumulate(self.leaf_grads, parent, grad)
            if self.leaf_consumers is not None and parent in self.leaf_consumers:
                self.count_down_leaf(parent)

    def count_down(self, node: Function):
        """One consumer of ``node`` has delivered; after the last, ``node`` is ready."""
        remaining = self.consumers[node] - 1
        self.consumers[node] = remaining
        if remaining == 0:
            self.ready.append(node)

    def count_down_leaf(self, leaf):
        """As :meth:`count_down`, for a leaf whose consumers are counted."""
        remaining = self.leaf_consumers[leaf] - 1
        self.leaf_consumers[leaf] = remaining
        if remaining == 0:
            self.ready_leaves.append(leaf)

    def accumulate(self, leaf):
        """Add the gradient ``leaf`` received (through its hooks) to its ``.grad``, then
        call the hooks that wait for that. Taken out of the pass first, so that only
        ``grad`` holds it."""
        grad = self.leaf_grads.pop(leaf, None)
        if grad is None:
            return
        grad = _hooked(leaf, grad)
        # a first gradient may become .grad as it is: asked before the calls below, which hold `grad` once more
        unshared = leaf._grad is None and not self.create_graph and _unshared(grad)
        if not _added_in_place(leaf._grad, grad, self.create_graph):
            leaf._grad = _added_to(leaf._grad, grad, self.create_graph, unshared)
        for hook in list((leaf_hooks(leaf, after_accumulation=True) or {}).values()):
            hook(leaf)

    def finish(self):
        """Accumulate into the ``.grad`` of the leaves not accumulated yet."""
        for leaf in reversed(list(self.leaf_grads)):
            self.accumulate(leaf)


class _ConfinedPass(_Pass):
    """A pass that runs the nodes of ``within`` only and keeps the gradients that reach
    ``wanted`` (the nodes among them as they are visited, after their hooks; leaves and
    nodes outside ``within`` as they are delivered). A node from which no edge leads
    on (into ``within`` or to a wanted tensor) is not run, nor released."""

    __slots__ = ("within",)

    def __init__(self, retain_graph: bool, create_graph: bool, wanted: set, within: set):
        super().__init__(retain_graph, create_graph, wanted)
        self.within = within

    def seed(self, outputs, grads):
        roots = [output._ctx for output in outputs if output._ctx in self.within]
        self.consumers = _count_consumers(roots, self.within)
        for node in roots:
            self.consumers[node] = self.consumers.get(node, 0) + 1
        for output, grad in zip(outputs, grads):
            self.deliver(output if output._ctx is None else output._ctx, grad)

    def visit(self, node: Function):
        grad = self.received(node)
        if grad is not None and node in self.wanted:
            self.captured[node] = grad
        self.backpropagate(node, grad if grad is not None and self.leads_on(node) else None)

    def leads_on(self, node: Function) -> bool:
        """Whether some gradient of ``node``'s inputs is wanted here."""
        return any((isinstance(parent, Function) and parent in self.within) or parent in self.wanted
                   for parent, needed in zip(node.parents, node.needs_input_grad) if needed)

    def deliver(self, parent, grad: Tensor | None):
        if isinstance(parent, Function) and parent in self.within:
            if grad is not None:
                _accumulate(self.node_grads, parent, grad)
            self.count_down(parent)
        elif grad is not None and parent in self.wanted:
            _accumulate(self.leaf_grads, parent, grad)

    def found(self) -> dict:
        """{wanted tensor's node or leaf: its gradient}, hooks not run on the leaves."""
        return {**self.leaf_grads, **self.captured}


def _hooked(leaf, grad: Tensor) -> Tensor:
    """``grad`` through the hooks registered on ``leaf``, if any."""
    hooks = leaf_hooks(leaf)
    return run_hooks(hooks, grad) if hooks else grad


def _key(t: Tensor):
    """What stands for ``t`` in a graph: its node, or itself if it is a leaf."""
    return t if t._ctx is None else t._ctx


def run_backward(outputs, grads, retain_graph, create_graph, inputs=None, accumulate=False):
    """Propagate ``grads`` from ``outputs`` to the graph's leaves.

    Without ``inputs``, gradients accumulate into ``.grad`` of every leaf that
    requires grad. With ``inputs``, only the nodes that lead to them run, and the
    gradient of each input is returned (None where no path leads to it), or with
    ``accumulate`` added to its ``.grad`` (a non-leaf's through ``retain_grad``).
    """
    if inputs is None:
        backward_pass = _Pass(retain_graph, create_graph)
        with set_grad_enabled(create_graph):
            backward_pass.seed(outputs, grads)
            backward_pass.run()
            backward_pass.finish()
        return None
    wanted = {_key(t) for t in inputs}
    within = _leading_to([output._ctx for output in outputs if output._ctx is not None], wanted)
    backward_pass = _ConfinedPass(retain_graph, create_graph, wanted, within)
    with set_grad_enabled(create_graph):
        backward_pass.seed(outputs, grads)
        backward_pass.run()
        if accumulate:
            backward_pass.finish()
            return None
        found = backward_pass.found()
        grads = [found.get(_key(t)) for t in inputs]
        return tuple(_hooked(t, g) if t._ctx is None and g is not None else g for t, g in zip(inputs, grads))


def backward_within(outputs, grads, within: set, targets, create_graph: bool = False) -> dict:
    """The gradients a backward from ``outputs`` (initial gradients ``grads``) delivers
    to ``targets``, leaves or nodes outside ``within``, running the nodes of ``within``
    only: {target: gradient}, for those reached; the targets' hooks are not called.
    The nodes run keep what they saved only under ``create_graph``."""
    backward_pass = _ConfinedPass(create_graph, create_graph, set(targets), within)
    with set_grad_enabled(create_graph):
        backward_pass.seed(outputs, grads)
        backward_pass.run()
    return backward_pass.leaf_grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the graph's leaves, or,
    with ``inputs``, of those tensors only (a non-leaf among them keeps its gradients
    from then on, as after ``retain_grad()``); only the nodes that lead to them run.

    >>> from tinygrad_bn import Tensor
    >>> w, b = Tensor([2.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    >>> backward((w * 3 + b).sum(), inputs=[w])
    >>> w.grad.tolist(), b.grad
    ([3.0], None)
    """
    outputs = _as_tuple(tensors)
    grads = _initial_gradients(outputs, grad_tensors)
    run_backward(outputs, grads, _retain(retain_graph, create_graph), create_graph, inputs=_backward_inputs(inputs),
                 accumulate=True)


def _backward_inputs(inputs) -> tuple | None:
    """``backward``'s ``inputs`` as a tuple of Tensors that require grad (None: all leaves)."""
    if inputs is None:
        return None
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if not inputs:
        raise RuntimeError("backward() got an empty inputs=; pass the tensors to accumulate into, or leave it out")
    for position, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise RuntimeError(f"backward() expects Tensors in inputs=, got {type(t).__name__} at position {position}")
        if not t.requires_grad:
            raise RuntimeError(f"backward() got an input at position {position} (shape {t.shape}) that does not "
                               "require grad; only tensors that require grad can accumulate one")
    for t in inputs:
        t.retain_grad()
    return inputs


def _initial_gradients(outputs: tuple, given) -> list:
    given = _as_tuple(given) if given is not None else (None,) * len(outputs)
    if len(given) != len(outputs):
        raise ValueError(f"got {len(given)} gradients for {len(outputs)} outputs")
    return [_initial_gradient(out, g) for out, g in zip(outputs, given)]


def _retain(retain_graph, create_graph) -> bool:
    """PyTorch's default: keep the graph when the backward itself is recorded."""
    return create_graph if retain_graph is None else retain_graph


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple of Tensors.

    Unlike ``backward()``, nothing is accumulated into ``.grad`` (but for tensors that
    retain theirs, as in PyTorch), and only the nodes that lead to ``inputs`` run. With
    ``create_graph=True`` the returned gradients are themselves differentiable. An
    input no output depends on is an error, or None with ``allow_unused``, or zeros
    with ``materialize_grads``. ``only_inputs`` is accepted and ignored, as in PyTorch;
    ``is_grads_batched`` is not supported.

    >>> from tinygrad_bn import Tensor
    >>> from tinygrad_bn.autograd import grad
    >>> x = Tensor([3.0], requires_grad=True)
    >>> (dx,) = grad((x ** 3).sum(), x, create_graph=True)
    >>> (ddx,) = grad(dx.sum(), x)
    >>> dx.item(), ddx.item()
    (27.0, 18.0)
    """
    if not only_inputs:
        warnings.warn("grad(only_inputs=False) is deprecated and ignored, as in PyTorch", UserWarning, stacklevel=2)
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported: call grad once per grad_outputs row")
    if materialize_grads and allow_unused is False:
        raise ValueError("grad(materialize_grads=True) needs allow_unused True or not given")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    for t in inputs:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("every input of grad() must be a Tensor that requires grad")
    grads = _initial_gradients(outputs, grad_outputs)
    results = run_backward(outputs, grads, _retain(retain_graph, create_graph), create_graph, inputs=inputs)
    results = _unused(results, inputs, bool(allow_unused or materialize_grads), materialize_grads)
    if not create_graph:
        results = tuple(None if r is None else r.detach() for r in results)
    return results


def _unused(results: tuple, inputs: tuple, allowed: bool, materialized: bool) -> tuple:
    """``results`` with each input no output reached refused, left None, or given zeros."""
    for i, result in enumerate(results):
        if result is None and not allowed:
            raise RuntimeError(
                f"input {i} of grad() (shape {inputs[i].shape}) is not reached from the outputs; "
                "pass allow_unused=True to get None for it"
            )
    if materialized:
        return tuple(Tensor._wrap(t.xp.zeros_like(t._data), t._backend) if r is None else r
                     for r, t in zip(results, inputs))
    return results
