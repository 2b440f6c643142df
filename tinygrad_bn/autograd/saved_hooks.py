"""PyTorch's ``torch.autograd.graph.saved_tensors_hooks``: a pair of functions that
every tensor an op keeps for its backward goes through, ``pack_hook`` when the op is
recorded and ``unpack_hook`` when the backward reads it, so that what is kept may be
moved, compressed or recomputed (``save_on_cpu``, activation offloading).

The hooks in force are this thread's, innermost first; ``disable_saved_tensors_hooks``
forbids setting any inside its block. With no hooks set, nothing is added to a
recorded op but the test of one number.

>>> import tinygrad_bn as torch
>>> packed = []
>>> def pack(t):
...     packed.append(tuple(t.shape))
...     return t
>>> x = torch.ones(3, requires_grad=True)
>>> with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
...     y = (x * x).sum()
>>> y.backward()
>>> packed, x.grad.tolist()
([(3,), (3,)], [2.0, 2.0, 2.0])
"""

from __future__ import annotations

import threading


class _Hooks(threading.local):
    pairs = ()  # this thread's (pack, unpack) pairs, innermost last
    forbidden = None  # the message of an enclosing disable_saved_tensors_hooks


_hooks = _Hooks()
active = 0  # how many blocks of hooks are open in any thread: recorded ops test it first
_counting = threading.Lock()  # += is no single step: two threads entering together would lose one


class saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Within the block, each tensor an op saves for backward is kept as
    ``pack_hook(tensor)`` and given back to the backward as ``unpack_hook(packed)``."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        global active
        if _hooks.forbidden is not None:
            raise RuntimeError(_hooks.forbidden)
        _hooks.pairs = (*_hooks.pairs, (self.pack_hook, self.unpack_hook))
        with _counting:
            active += 1
        return self

    def __exit__(self, *exc):
        global active
        _hooks.pairs = _hooks.pairs[:-1]
        with _counting:
            active -= 1


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - PyTorch's name
    """Keep saved tensors on the host, moving them back to their device when the backward
    reads them (on the CPU this keeps them as they are)."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        super().__init__(lambda t: (t.device, t.to("cpu")), lambda packed: packed[1].to(packed[0]))


class disable_saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Within the block, setting saved-tensor hooks raises ``RuntimeError(error_message)``."""

    def __init__(self, error_message: str):
        self.error_message = error_message

    def __enter__(self):
        self.previous, _hooks.forbidden = _hooks.forbidden, self.error_message
        return self

    def __exit__(self, *exc):
        _hooks.forbidden = self.previous


def pack(tensors: tuple):
    """The innermost hooks in force and ``tensors`` packed by them, or None when this
    thread has none (another thread's block is open). The hooks are not in force while
    ``pack_hook`` runs, as in PyTorch: an op it records keeps what it saves as it is."""
    pairs = _hooks.pairs
    if not pairs:
        return None
    pack_hook, unpack_hook = pairs[-1]
    _hooks.pairs = ()
    try:
        return unpack_hook, tuple(None if t is None else pack_hook(t) for t in tensors)
    finally:
        _hooks.pairs = pairs
