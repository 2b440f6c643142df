"""``F.pad`` in PyTorch's pad order (the last axis first): constant, reflect, replicate
and circular modes; negative pads crop. And the padding layers built on it.

>>> from tinygrad_bn import arange, ones
>>> pad(ones(1, 2), (1, 2), value=5.0).tolist()
[[5.0, 1.0, 1.0, 5.0, 5.0]]
>>> pad(arange(4.0).reshape(1, 1, 4), (2, 1), mode="reflect").tolist()
[[[2.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0]]]
"""

from __future__ import annotations

import numpy

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.module import Module

# where position p of a padded axis of n entries reads from, p running from -before to n + after
SOURCES = {
    "reflect": lambda p, n: numpy.abs(n - 1 - numpy.abs(n - 1 - numpy.abs(p))),  # mirrored at the ends
    "replicate": lambda p, n: numpy.clip(p, 0, n - 1),  # the edge entry repeated
    "circular": lambda p, n: p % n,  # the axis wrapped around
}


def pad(input, pad, mode="constant", value=None):  # noqa: A002 - PyTorch's argument name
    """``input`` with ``pad`` = (left, right) for the last axis, then (top, bottom) for
    the one before, and so on; a negative count removes that many entries from that
    side. ``mode="constant"`` fills with ``value`` (0 when None); ``"reflect"`` mirrors
    the entries next to each end (without repeating the end), ``"replicate"`` repeats
    the end entry, ``"circular"`` wraps the axis around. The gradient of constant
    padding is the upstream gradient cut back to ``input``'s entries; in the other
    modes each entry also collects the gradients of its copies."""
    if mode != "constant":
        return _pad_by_copies(input, tuple(pad), mode, value)
    sides = tuple(pad)
    if len(sides) % 2 or len(sides) // 2 > input.ndim or not all(isinstance(n, int) for n in sides):
        raise ValueError(f"pad expects an even number of ints, two per axis from the last, for at most "
                         f"{input.ndim} axes of input of shape {input.shape}, got {pad!r}")
    pairs = [(0, 0)] * (input.ndim - len(sides) // 2) + [
        (sides[2 * i], sides[2 * i + 1]) for i in reversed(range(len(sides) // 2))
    ]
    kept = []
    for axis, ((before, after), size) in enumerate(zip(pairs, input.shape, strict=True)):
        left = size + min(before, 0) + min(after, 0)
        if left < 0:
            raise ShapeError(f"pad {pad!r} of input of shape {input.shape} crops {size - left} entries "
                             f"from axis {axis}, which has {size}")
        kept.append(slice(-min(before, 0), size + min(after, 0)))
    cropped = input[tuple(kept)] if any(b < 0 or a < 0 for b, a in pairs) else input
    widths = tuple((max(b, 0), max(a, 0)) for b, a in pairs)
    if not any(b or a for b, a in widths):
        return cropped
    return cropped.pad(widths, value=0.0 if value is None else value)


def _pad_by_copies(x, sides: tuple, mode: str, value):
    """Reflect, replicate or circular padding: each padded axis read through the index
    of the entry every position copies."""
    if mode not in SOURCES:
        raise ArgumentError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if value is not None:
        raise ArgumentError(f"pad: mode {mode!r} copies entries and takes no value, got value={value!r}")
    axes = len(sides) // 2
    if len(sides) % 2 or not 1 <= axes <= 3 or x.ndim not in (axes + 1, axes + 2) or \
            not all(isinstance(n, int) for n in sides):
        raise ShapeError(f"pad in mode {mode!r} pads the last 1, 2 or 3 axes of a tensor with 1 or 2 more axes, "
                         f"two ints per axis; got pad {sides!r} for input of shape {x.shape}")
    for k in range(axes):
        axis, (before, after) = x.ndim - 1 - k, sides[2 * k: 2 * k + 2]
        ahead = (slice(None),) * axis
        if before < 0 or after < 0:  # negative pads crop first, as in PyTorch
            x = x[ahead + (slice(max(-before, 0), x.shape[axis] - max(-after, 0)),)]
            before, after = max(before, 0), max(after, 0)
        size = x.shape[axis]
        limit = size if mode == "circular" else size - 1 if mode == "reflect" else None
        if limit is not None and max(before, after) > limit:
            raise ShapeError(f"pad in mode {mode!r} adds at most {limit} entries to a side of axis {axis}, which "
                             f"has {size}; got pad {sides!r} for input of shape {x.shape}")
        x = x[ahead + (SOURCES[mode](numpy.arange(-before, size + after), size).tolist(),)]
    return x


class _Pad(Module):
    """A padding layer: ``padding`` an int for every side of the last ``axes`` axes, or
    2·``axes`` ints (left, right, top, bottom, front, back)."""

    axes: int
    mode: str

    def __init__(self, padding, value: float | None = None):
        super().__init__()
        sides = (padding,) * (2 * self.axes) if isinstance(padding, int) else tuple(padding)
        if len(sides) != 2 * self.axes or not all(isinstance(n, int) for n in sides):
            raise ValueError(f"{type(self).__name__} takes an int or {2 * self.axes} ints, got {padding!r}")
        self.padding, self.value = sides, value

    def forward(self, x):
        return pad(x, self.padding, self.mode, self.value)

    def extra_repr(self) -> str:
        if self.mode == "constant" and self.value != 0.0:
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


def _layer(name: str, axes: int, mode: str, doc: str, takes_value: bool = False):
    """A padding layer class: ``mode`` over the last ``axes`` axes. In constant mode it
    fills with the ``value`` it is given (``takes_value``) or with zeros."""
    if takes_value:
        def __init__(self, padding, value=None):
            _Pad.__init__(self, padding, value)
    else:
        def __init__(self, padding):
            _Pad.__init__(self, padding, 0.0 if mode == "constant" else None)

    return type(name, (_Pad,), {"axes": axes, "mode": mode, "__doc__": doc, "__init__": __init__,
                                "__module__": __name__})


ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = (
    _layer(f"ReflectionPad{k}d", k, "reflect", f"Reflect padding of the last {k} axes.") for k in (1, 2, 3))
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = (
    _layer(f"ReplicationPad{k}d", k, "replicate", f"Replicate padding of the last {k} axes.") for k in (1, 2, 3))
CircularPad1d, CircularPad2d, CircularPad3d = (
    _layer(f"CircularPad{k}d", k, "circular", f"Circular padding of the last {k} axes.") for k in (1, 2, 3))
ZeroPad1d, ZeroPad2d, ZeroPad3d = (
    _layer(f"ZeroPad{k}d", k, "constant", f"Zero padding of the last {k} axes.") for k in (1, 2, 3))
ConstantPad1d, ConstantPad2d, ConstantPad3d = (
    _layer(f"ConstantPad{k}d", k, "constant", f"Padding of the last {k} axes with a constant ``value``.",
           takes_value=True) for k in (1, 2, 3))
