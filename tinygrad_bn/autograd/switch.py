"""A mode switched on or off for the length of a ``with`` block (grad mode, anomaly mode)."""

from __future__ import annotations

import contextlib


class Switch(contextlib.ContextDecorator):
    """Set ``mode.enabled`` inside a ``with`` block (or a decorated function) and put
    the previous value back after it; a subclass names its ``mode``."""

    mode = None

    def __init__(self, enabled: bool):
        self.enabled = bool(enabled)

    def __enter__(self):
        self.previous = self.mode.enabled
        self.mode.enabled = self.enabled

    def __exit__(self, *exc):
        self.mode.enabled = self.previous
