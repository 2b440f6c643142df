"""Inference mode, PyTorch's ``inference_mode``: no graph is recorded (as under
``no_grad``), and every tensor made meanwhile, by an op or a factory, is an
*inference tensor* (``is_inference()``), so code can tell what was computed there.

The mark costs next to nothing outside the mode: ``Tensor`` leaves its ``_inference``
slot unset, and reads the per-thread switch only while some thread is in the mode
(``entered`` counts them), so an op made outside pays one test of a plain number
(reading the per-thread switch on every tensor cost 1.1% per op of the overhead chain).

>>> from tinygrad_bn import inference_mode, is_inference_mode_enabled, ones
>>> before = ones(2)
>>> with inference_mode():
...     inside, made = is_inference_mode_enabled(), before * 2
>>> inside, is_inference_mode_enabled(), made.is_inference(), before.is_inference()
(True, False, True, False)
"""

from __future__ import annotations

import threading


class _InferenceMode(threading.local):
    enabled = False  # per thread, as PyTorch's


mode = _InferenceMode()
entered = 0  # the threads in the mode now
made = False  # whether an inference tensor was ever made: until then, a recorded op checks nothing


def refuse_saved(saved: tuple, name: str):
    """Refuse to keep an inference tensor for a backward, as PyTorch does: its value is
    not guarded against in-place changes, so the gradient could silently be wrong."""
    if any(getattr(t, "_inference", False) for t in saved):
        raise RuntimeError(
            f"{name}: Inference tensors cannot be saved for backward. To work around you can make a clone to get a "
            "normal tensor and use it in autograd."
        )
_counting = threading.Lock()


def switch(enabled: bool) -> bool:
    """Set this thread's mode; returns the previous one, for :func:`switch` back."""
    global entered
    previous = mode.enabled
    if previous != enabled:
        with _counting:
            entered += 1 if enabled else -1
        mode.enabled = enabled
    return previous


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (a ``with`` block or a decorated function), as PyTorch's."""
    return mode.enabled
