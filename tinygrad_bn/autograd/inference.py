"""Inference mode, PyTorch's ``inference_mode``: no graph is recorded (as under
``no_grad``), and every tensor made meanwhile, by an op or a factory, is an
*inference tensor* (``is_inference()``), so code can tell what was computed there.

The mark costs nothing outside the mode: ``Tensor`` leaves its ``_inference`` slot
unset, and only a tensor made while the mode is on has it set.

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


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (a ``with`` block or a decorated function), as PyTorch's."""
    return mode.enabled
