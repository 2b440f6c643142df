"""A mode switched on or off for the length of a ``with`` block (grad mode, anomaly mode)."""

from __future__ import annotations

import contextlib


class Switch(contextlib.ContextDecorator):
    """Set ``mode.enabled`` inside a ``with`` block (or a decorated function) and put
    the previous value back after it; a subclass names its ``mode``.

    An ``immediate`` switch also sets the mode when it is made, as PyTorch's
    ``set_grad_enabled`` and ``set_detect_anomaly`` do, so that a plain call
    ``set_grad_enabled(False)`` turns recording off from there on. Used as a
    decorator it puts the mode back at once, and switches for each call instead."""

    mode = None
    immediate = False

    def __init__(self, enabled: bool):
        self.enabled = bool(enabled)
        self.previous = self.mode.enabled
        if self.immediate:
            self.mode.enabled = self.enabled

    def __call__(self, func):
        if self.immediate:
            self.mode.enabled = self.previous
        return super().__call__(func)

    def __enter__(self):
        if not self.immediate:
            self.previous = self.mode.enabled
        self.mode.enabled = self.enabled

    def __exit__(self, *exc):
        self.mode.enabled = self.previous
