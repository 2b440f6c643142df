"""Hooks: functions the user hands to a tensor, to see or change its gradient as
backward computes it, as PyTorch's ``Tensor.register_hook`` does.

A hook on a tensor is called once per backward, with the sum of every gradient
that reached the tensor, before that sum goes further (into the op that made the
tensor, or into a leaf's ``.grad``). What it returns, if not None, takes the
gradient's place, and the next hook sees that. ``.grad`` of a non-leaf tensor
that retains its gradient is what the last hook gave.

The hooks of a non-leaf tensor live on its node; those of a leaf in a table kept
here, which forgets a leaf when it dies (a hook never keeps a tensor alive).

>>> from tinygrad_bn import tensor
>>> x = tensor([1.0, 2.0], requires_grad=True)
>>> y = x * 3
>>> handle = y.register_hook(lambda g: g * 10)
>>> (y * y).sum().backward()
>>> x.grad.tolist()
[180.0, 360.0]
>>> handle.remove()
"""

from __future__ import annotations

import itertools
import weakref

# id(leaf tensor) -> Hooks, dropped when the tensor dies: by identity, as a tensor's == is elementwise
_leaf_hooks = {}  # called on the gradient, before it is accumulated
_after_accumulation = {}  # called with the leaf, after
_keys = itertools.count()


class Hooks(dict):
    """Hooks by the key of their handle, in calling order (a dict a handle can refer to weakly)."""


class RemovableHandle:
    """What registering a hook returns: :meth:`remove` takes the hook off again (a
    second ``remove`` does nothing); as a context manager, it removes on exit."""

    def __init__(self, table: Hooks):
        self._table = weakref.ref(table)
        self.id = next(_keys)

    def remove(self):
        table = self._table()
        if table is not None:
            table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def add_hook(table: Hooks, hook, prepend: bool = False) -> RemovableHandle:
    """Put ``hook`` into ``table`` (last, or first when ``prepend``); its handle."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(table)
    table[handle.id] = hook
    if prepend:
        for key in [key for key in table if key != handle.id]:
            table[key] = table.pop(key)
    return handle


def hooks_of_leaf(leaf, after_accumulation: bool = False) -> dict:
    """The table of hooks called on ``leaf``'s gradient (or, ``after_accumulation``,
    with ``leaf`` once its ``.grad`` is added to), made on first use."""
    tables = _after_accumulation if after_accumulation else _leaf_hooks
    hooks = tables.get(id(leaf))
    if hooks is None:
        hooks = tables[id(leaf)] = Hooks()
        weakref.finalize(leaf, tables.pop, id(leaf), None)
    return hooks


def has_leaf_hooks() -> bool:
    """Whether any leaf has hooks: only then does backward count leaves' consumers, to
    call them as soon as a leaf's gradient is whole, as PyTorch does."""
    return bool(_leaf_hooks or _after_accumulation)


def leaf_hooks(leaf, after_accumulation: bool = False) -> dict | None:
    """The hooks registered on ``leaf`` (None when there are none)."""
    tables = _after_accumulation if after_accumulation else _leaf_hooks
    return tables.get(id(leaf)) if tables else None


def run_hooks(hooks: dict, grad):
    """``grad`` passed through each hook in turn; a hook's non-None result replaces it."""
    for hook in list(hooks.values()):  # a hook may remove itself
        result = hook(grad)
        if result is None:
            continue
        if not isinstance(result, type(grad)):
            raise TypeError(f"hook {_name(hook)} returned a {type(result).__name__}; "
                            "a hook returns a Tensor of the gradient's shape and dtype, or None")
        if result.shape != grad.shape or result.dtype != grad.dtype:
            raise RuntimeError(f"hook {_name(hook)} has changed the gradient of shape {tuple(grad.shape)} and "
                               f"dtype {grad.dtype} into one of shape {tuple(result.shape)} and dtype {result.dtype}")
        grad = result
    return grad


def _name(hook) -> str:
    return repr(getattr(hook, "__name__", type(hook).__name__))
