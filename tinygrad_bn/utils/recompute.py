"""Activation checkpointing's core: the part of the graph a function records, replaced
by one node that runs the function again in backward instead of keeping what its ops
saved.

:func:`recompute` runs ``function`` recording as usual, and :func:`~.function.recording`
gathers the nodes it records. Walking back from its outputs through those nodes finds
where that part of the graph hangs from: the leaves and earlier nodes its edges lead
to (tensor arguments, parameters, tensors the function closes over). One
:class:`Recompute` node, whose parents they are, then stands for the whole part, and
the part is dropped with every array its ops saved; the node keeps the arguments.

Its backward runs ``function`` again on the same arguments, with grad mode on and the
default generator as it was before the first run (so dropout draws the same masks),
and a backward confined to the nodes just recorded
(:func:`~tinygrad_bn.autograd.engine.backward_within`) carries the gradient to those
parents, leaving the rest of the graph to the engine's own pass. Under
``create_graph`` the recomputed part stays recorded, so gradients through it
differentiate again.

>>> from tinygrad_bn import Tensor
>>> x = Tensor([1.0, 2.0], requires_grad=True)
>>> y = recompute(lambda t: (t * t).exp(), (x,), {})
>>> y.grad_fn.name, [parent is x for parent in y.grad_fn.parents]
('Recompute', [True])
>>> y.sum().backward()
>>> [round(g, 4) for g in x.grad.tolist()]
[5.4366, 218.3926]
"""

from __future__ import annotations

import contextlib
import functools
import math

from tinygrad_bn.autograd.engine import backward_within
from tinygrad_bn.autograd.function import Function, _mode, is_grad_enabled, recording, set_grad_enabled
from tinygrad_bn.autograd.tensor import Tensor
from tinygrad_bn.dtypes import promote_types
from tinygrad_bn.generator import default_generator


class CheckpointError(RuntimeError):
    """PyTorch's ``torch.utils.checkpoint.CheckpointError``: the function run again in
    backward did not give what it gave the first time."""


def tensors_in(value) -> list:
    """The Tensors in ``value`` (a Tensor, or tuples, lists and dicts holding Tensors
    among other things), depth first."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in tensors_in(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in tensors_in(item)]
    return []


def _replaced(value, new):
    """``value`` with its Tensors, in :func:`tensors_in`'s order, replaced by the next
    ones of the iterator ``new``."""
    if isinstance(value, Tensor):
        return next(new)
    if isinstance(value, tuple):
        items = [_replaced(item, new) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if isinstance(value, list):
        return type(value)(_replaced(item, new) for item in value)
    if isinstance(value, dict):
        return type(value)((key, _replaced(item, new)) for key, item in value.items())
    return value


def _boundary(roots, inside: set) -> list:
    """The leaves and the nodes outside ``inside`` that the edges of the ``inside``
    nodes reachable from ``roots`` lead to, each once, in the order first met."""
    found, seen, stack = {}, set(roots), list(roots)
    while stack:
        node = stack.pop()
        for parent, needed in zip(node.parents, node.needs_input_grad):
            if not needed:
                continue
            if isinstance(parent, Function) and parent in inside:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
            else:
                found[parent] = True
    return list(found)


@contextlib.contextmanager
def _generator_state(state):
    """Inside the block the default generator draws from ``state`` (None: as it is);
    after it, from where it was before the block."""
    if state is None:
        yield
        return
    now = default_generator.get_state()
    default_generator.set_state(state)
    try:
        yield
    finally:
        default_generator.set_state(now)


class Recompute(Function):
    """The node that stands for the part of the graph ``function`` recorded; its
    output is the function's differentiable outputs, flattened and joined."""

    def backward(self, grad):
        create_graph = is_grad_enabled()  # the engine's: on when the backward is recorded
        tensors = iter(self.saved_tensors)
        args = [next(tensors) if argument is None else argument for argument in self.arguments]
        with _generator_state(self.rng_state), set_grad_enabled(True), self.recompute_context, \
                recording() as nodes:
            outputs = tensors_in(self.function(*args, **self.kwargs))
        inside = set(nodes)
        again = self._recomputed(outputs, inside)
        grads = self._pieces(grad)
        found = backward_within(again, grads, inside, self.parents, create_graph)
        return tuple(found.get(parent) for parent in self.parents)

    def _recomputed(self, outputs: list, inside: set) -> list:
        """The recomputed outputs in the places the node stands for, checked against the first run."""
        if len(outputs) <= max(self.positions):
            raise CheckpointError(f"the checkpointed function gave {len(outputs)} tensors when run again in "
                                  f"backward, {self.count} the first time")
        again = [outputs[i] for i in self.positions]
        for t, (shape, dtype) in zip(again, self.layout):
            if t._ctx not in inside:
                raise CheckpointError("an output of the checkpointed function that was computed from tensors "
                                      "requiring grad the first time was not when run again in backward")
            if self.check and (t.shape != shape or t.dtype != dtype):
                raise CheckpointError(f"the checkpointed function gave a tensor of shape {t.shape} and dtype "
                                      f"{t.dtype} when run again in backward, of shape {shape} and dtype {dtype} "
                                      "the first time; pass determinism_check='none' to allow it")
        return again

    def _pieces(self, grad) -> list:
        """The joined gradient cut into one gradient per output (as its dtype)."""
        if len(self.layout) == 1:
            return [grad]
        pieces, start = [], 0
        for shape, dtype in self.layout:
            size = math.prod(shape)
            piece = grad[start:start + size].reshape(shape)
            pieces.append(piece if piece.dtype == dtype else piece.astype(dtype))
            start += size
        return pieces

    def release(self):
        super().release()
        self.function = self.arguments = self.kwargs = None


def recompute(function, args: tuple, kwargs: dict, preserve_rng_state: bool = True, contexts=None,
              determinism_check: bool = True):
    """``function(*args, **kwargs)``, with the part of the graph it records replaced by
    one :class:`Recompute` node that runs it again in backward (see the module's
    docstring). ``contexts`` is a pair of context managers, the first run inside the
    first and the run in backward inside the second; ``determinism_check`` compares
    the shapes and dtypes of the second run's outputs with the first's. Outputs that
    do not come from the function's ops (an argument returned as it is, integers) are
    returned as they are."""
    forward_context, recompute_context = contexts or (contextlib.nullcontext(), contextlib.nullcontext())
    state = default_generator.get_state() if preserve_rng_state else None
    with recording() as nodes, forward_context:
        outputs = function(*args, **kwargs)
    inside = set(nodes)
    tensors = tensors_in(outputs)
    positions = [i for i, t in enumerate(tensors) if t._ctx in inside]
    if not positions:
        return outputs
    node = Recompute()
    node.function, node.kwargs = function, kwargs
    node.arguments = [None if isinstance(a, Tensor) else a for a in args]
    node.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
    node.rng_state, node.recompute_context, node.check = state, recompute_context, determinism_check
    node.positions, node.count = positions, len(tensors)
    attached = [tensors[i] for i in positions]
    node.layout = [(t.shape, t.dtype) for t in attached]
    node.parents = tuple(_boundary([t._ctx for t in attached], inside))
    node.needs_input_grad = (True,) * len(node.parents)
    node.backend = attached[0]._backend
    new = dict(zip(positions, _attach(node, attached)))
    if _mode.record_hook is not None:
        _mode.record_hook(node)
    return _replaced(outputs, iter([new.get(i, t) for i, t in enumerate(tensors)]))


def _attach(node: Recompute, attached: list) -> list:
    """Tensors with the values of ``attached`` that ``node`` produces: its output itself
    for one, else pieces of one joined output."""
    if len(attached) == 1:
        (out,) = attached
        node.shape, node.dtype = out.shape, out.dtype
        return [Tensor._wrap(out._data, node.backend, node)]
    dtype = functools.reduce(promote_types, [t.dtype for t in attached])
    xp = attached[0].xp
    joined = xp.concatenate([t._data.reshape(-1).astype(dtype, copy=False) for t in attached])
    node.shape, node.dtype = joined.shape, joined.dtype
    whole = Tensor._wrap(joined, node.backend, node)
    pieces, start = [], 0
    for t in attached:
        size = t.numel()
        piece = whole[start:start + size].reshape(t.shape)
        pieces.append(piece if piece.dtype == t.dtype else piece.astype(t.dtype))
        start += size
    return pieces
