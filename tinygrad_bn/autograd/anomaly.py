"""Anomaly mode, PyTorch's ``detect_anomaly``: a backward that produces NaN or inf
stops there, naming the op and the line of the forward that created it.

While the mode is on, every recorded op keeps a short traceback of where it was
created (which costs time, so the mode is for hunting a NaN, not for training),
and the engine checks every gradient an op's backward returns.

>>> import numpy
>>> from tinygrad_bn import Tensor
>>> from tinygrad_bn.autograd import detect_anomaly
>>> x = Tensor([0.0, 1.0], requires_grad=True)
>>> with detect_anomaly(), numpy.errstate(divide="ignore"):
...     y = x.sqrt().sum()
...     y.backward()
Traceback (most recent call last):
  ...
RuntimeError: Function Sqrt returned inf values in its gradient for input 0 (shape (2,)). It was created ...
"""

from __future__ import annotations

import os
import traceback

from tinygrad_bn.autograd.switch import Switch

FRAMES = 6  # frames of the forward kept per op (the innermost outside the engine)
_ENGINE = os.path.dirname(os.path.abspath(__file__))


class _Mode:
    enabled = False  # process-wide, as PyTorch's


mode = _Mode()


def is_anomaly_enabled() -> bool:
    return mode.enabled


class set_detect_anomaly(Switch):
    """Turn anomaly mode on or off: from the call on, or inside a ``with`` block (or a
    decorated function), as PyTorch's."""

    mode = mode
    immediate = True


class detect_anomaly(set_detect_anomaly):
    """Context manager and decorator: while on, a backward that produces NaN or inf
    raises a RuntimeError naming the op and where it was created in the forward."""

    immediate = False

    def __init__(self):
        super().__init__(True)


def creation_trace() -> str:
    """The innermost frames of the current stack outside the engine, formatted."""
    frames = [f for f in traceback.extract_stack() if not f.filename.startswith(_ENGINE)]
    return "".join(traceback.format_list(frames[-FRAMES:]))


def check_finite(node, input_grads):
    """Raise if a gradient ``node``'s backward returned holds NaN or inf."""
    for position, grad in enumerate(input_grads):
        if grad is None:
            continue
        xp = grad.xp
        if bool(xp.isfinite(grad._data).all()):
            continue
        kind = "nan" if bool(xp.isnan(grad._data).any()) else "inf"
        trace = getattr(node, "creation_trace", None)
        where = (f"It was created in the forward at:\n{trace}" if trace else
                 "It was recorded before anomaly mode was on, so where is not known.")
        raise RuntimeError(
            f"Function {node.name} returned {kind} values in its gradient for input {position} "
            f"(shape {tuple(grad.shape)}). {where}"
        )
