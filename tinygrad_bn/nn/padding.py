"""``F.pad`` in constant mode: PyTorch's pad order (the last axis first), negative pads crop.

>>> from tinygrad_bn import ones
>>> pad(ones(1, 2), (1, 2), value=5.0).tolist()
[[5.0, 1.0, 1.0, 5.0, 5.0]]
"""

from __future__ import annotations

from tinygrad_bn.errors import ShapeError


def pad(input, pad, mode="constant", value=None):  # noqa: A002 - PyTorch's argument name
    """``input`` with ``pad`` = (left, right) for the last axis, then (top, bottom) for
    the one before, and so on, filled with ``value`` (0 when None); a negative count
    removes that many entries from that side. Only ``mode="constant"`` is implemented.
    The gradient is the upstream gradient cut back to ``input``'s entries."""
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is implemented here, got mode={mode!r}")
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
