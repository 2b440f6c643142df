"""PyTorch's ``torch.amp.GradScaler``: dynamic loss scaling, with PyTorch's numbers.

Each iteration: ``scaler.scale(loss).backward()`` makes gradients ``scale`` times too
large (so small float16 gradients do not underflow); ``scaler.step(optimizer)`` divides
them by ``scale`` (:meth:`GradScaler.unscale_`) and skips the step when any was inf or
NaN; ``scaler.update()`` then multiplies ``scale`` by ``backoff_factor`` after a skipped
step, or by ``growth_factor`` after ``growth_interval`` clean steps in a row.

The scale is a float32 number, as PyTorch keeps it: ``1/scale`` is taken in float64 and
rounded to float32, the new scale is ``float32(scale · factor)`` and a growth to inf is
not kept, so the scales and the updates are PyTorch's bit for bit. Disabled (also when
``device="cuda"`` and CUDA is not available, with PyTorch's warning), every method
passes through: ``scale`` returns its input, ``step`` calls ``optimizer.step()``.

>>> import tinygrad_bn as torch
>>> model = torch.nn.Linear(2, 1)
>>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
>>> scaler = GradScaler("cpu", init_scale=1024.0, growth_interval=1)
>>> scaler.scale(model(torch.ones(3, 2)).sum()).backward()
>>> scaler.step(optimizer)
>>> scaler.update()
>>> scaler.get_scale()
2048.0
"""

from __future__ import annotations

import math
import warnings

import numpy

from tinygrad_bn.amp.autocast_mode import cuda_available
from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.dtypes import float16

__all__ = ["GradScaler", "device_grad_scaler"]

# An optimizer's stage within one iteration, reset by update()
READY, UNSCALED, STEPPED = "ready", "unscaled", "stepped"


def _float32(value: float) -> float:
    """``value`` rounded to float32 (inf past float32's range), as a Python float."""
    with numpy.errstate(over="ignore"):
        return float(numpy.float32(value))


class GradScaler:
    """PyTorch's ``torch.amp.GradScaler(device="cuda", init_scale=2.**16, growth_factor=2.0,
    backoff_factor=0.5, growth_interval=2000, enabled=True)``; see the module's docstring."""

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        if enabled and device == "cuda" and not cuda_available():
            warnings.warn("GradScaler is enabled, but CUDA is not available: the scaler is disabled "
                          "(as in PyTorch), so scale() returns its input and step() calls optimizer.step()",
                          UserWarning, stacklevel=2)
            enabled = False
        self._enabled = bool(enabled)
        if self._enabled:
            _check_factors(growth_factor, backoff_factor)
        self._init_scale = init_scale
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval
        self._scale = None  # set by the first scale(), as PyTorch makes its scale tensor then
        self._growth_tracker = 0  # clean steps in a row since the last change of scale
        self._optimizers = {}  # id(optimizer) -> {"stage": ..., "found_inf": bool or None}

    # The iteration: scale, (unscale_), step, update ----------------------------------

    def scale(self, outputs):
        """``outputs`` (a tensor, or a list or tuple of them, nested) times the scale,
        keeping each tensor's dtype; ``outputs`` itself when disabled. PyTorch also
        takes other iterables (and gives back a ``map``); here they are refused."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = _float32(self._init_scale)
        return self._scaled(outputs)

    def _scaled(self, outputs):
        if isinstance(outputs, Tensor):
            if outputs.dtype == float16:  # PyTorch multiplies by its float32 scale in float32, then rounds
                return (outputs.float() * self._scale).half()
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self._scaled(output) for output in outputs)
        raise ValueError(f"GradScaler.scale expects a Tensor or a list or tuple of Tensors, "
                         f"got {type(outputs).__name__}")

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place, and
        note whether any was inf or NaN (checked before dividing, as PyTorch does). Call
        it before clipping gradients; :meth:`step` calls it when it was not called.
        float16 gradients are refused, as in PyTorch (keep the parameters in float32)."""
        if not self._enabled:
            return
        self._check_scaled("unscale_")
        state = self._state(optimizer)
        if state["stage"] == UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update()")
        if state["stage"] == STEPPED:
            raise RuntimeError("unscale_() is being called after step(); call it before step() in an iteration")
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        for grad in grads:
            if grad.dtype == float16:
                raise ValueError("GradScaler cannot unscale float16 gradients: keep the parameters in float32 "
                                 "(mixed precision casts only the ops' inputs)")
        inv_scale = _float32(1.0 / self._scale)  # PyTorch: 1/scale in float64, rounded to float32
        found_inf = None if not grads else False
        with no_grad():
            for grad in grads:
                found_inf = found_inf or not bool(grad.isfinite().all())
                grad.mul_(inv_scale)
        state.update(stage=UNSCALED, found_inf=found_inf)

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step(*args, **kwargs)`` on unscaled gradients, skipped when any was
        inf or NaN; returns what ``optimizer.step`` returned (None when skipped). A
        ``closure`` is refused, as in PyTorch."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("GradScaler.step does not take a closure (as in PyTorch): compute the loss, "
                               "call scaler.scale(loss).backward(), then scaler.step(optimizer)")
        self._check_scaled("step")
        state = self._state(optimizer)
        if state["stage"] == STEPPED:
            raise RuntimeError("step() has already been called on this optimizer since the last update()")
        if state["stage"] == READY:
            self.unscale_(optimizer)
        if state["found_inf"] is None:
            raise RuntimeError("GradScaler.step: no parameter of this optimizer has a gradient; "
                               "call scaler.scale(loss).backward() before step()")
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = STEPPED
        return result

    def update(self, new_scale=None) -> None:
        """End the iteration: set the scale to ``new_scale`` (a number, or a one-element
        tensor) when given, else back off after an inf or NaN gradient (and restart the
        count of clean steps), or grow after ``growth_interval`` clean steps in a row."""
        if not self._enabled:
            return
        self._check_scaled("update")
        if new_scale is not None:
            self._scale = _float32(_number(new_scale))
        else:
            found = [state["found_inf"] for state in self._optimizers.values() if state["found_inf"] is not None]
            if not found:
                raise RuntimeError("GradScaler.update: no optimizer was unscaled or stepped since the last "
                                   "update(); call scaler.step(optimizer) first")
            self._update_scale(any(found))
        self._optimizers = {}

    def _update_scale(self, found_inf: bool) -> None:
        if found_inf:
            self._scale, self._growth_tracker = _float32(self._scale * self._backoff_factor), 0
            return
        self._growth_tracker += 1
        if self._growth_tracker == self._growth_interval:
            grown = _float32(self._scale * self._growth_factor)
            if math.isfinite(grown):
                self._scale = grown
            self._growth_tracker = 0

    def _state(self, optimizer) -> dict:
        return self._optimizers.setdefault(id(optimizer), {"stage": READY, "found_inf": None})

    def _check_scaled(self, method: str) -> None:
        if self._scale is None:
            raise RuntimeError(f"GradScaler.{method} was called before scale(): call "
                               "scaler.scale(loss).backward() first in each iteration")

    # Settings and state -------------------------------------------------------------

    def get_scale(self) -> float:
        """The current scale (``init_scale`` before the first :meth:`scale`); 1.0 when disabled."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def is_enabled(self) -> bool:
        return self._enabled

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def state_dict(self) -> dict:
        """PyTorch's keys: ``scale``, ``growth_factor``, ``backoff_factor``,
        ``growth_interval`` and ``_growth_tracker``; ``{}`` when disabled."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        """Take the settings and the scale of a :meth:`state_dict` (nothing when disabled)."""
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError("GradScaler.load_state_dict got an empty state dict, possibly saved from a "
                               "disabled GradScaler")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale = _float32(self._init_scale)
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._growth_tracker = state_dict["_growth_tracker"]


def _check_factors(growth_factor, backoff_factor) -> None:
    if not growth_factor > 1.0:
        raise ValueError(f"GradScaler expects growth_factor > 1.0, got {growth_factor}")
    if not backoff_factor < 1.0:
        raise ValueError(f"GradScaler expects backoff_factor < 1.0, got {backoff_factor}")


def _number(new_scale) -> float:
    """update()'s ``new_scale``: a number, or a one-element tensor that does not require grad."""
    if isinstance(new_scale, Tensor):
        if new_scale.numel() != 1 or new_scale.requires_grad:
            raise ValueError(f"GradScaler.update expects new_scale as a number or a one-element tensor that does "
                             f"not require grad, got shape {new_scale.shape}, requires_grad={new_scale.requires_grad}")
        return new_scale.item()
    return float(new_scale)


def device_grad_scaler(device_type: str) -> type:
    """PyTorch's deprecated ``torch.cuda.amp.GradScaler`` / ``torch.cpu.amp.GradScaler``:
    :class:`GradScaler` for ``device_type``, without the ``device`` argument, which warns
    (``FutureWarning``) as PyTorch 2.13 does."""

    class device_amp_grad_scaler(GradScaler):  # noqa: N801 - PyTorch's name, set below
        def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            warnings.warn(f"torch.{device_type}.amp.GradScaler(...) is deprecated in PyTorch; use "
                          f"torch.amp.GradScaler({device_type!r}, ...)", FutureWarning, stacklevel=2)
            super().__init__(device_type, init_scale, growth_factor, backoff_factor, growth_interval, enabled)

    device_amp_grad_scaler.__name__ = "GradScaler"
    device_amp_grad_scaler.__qualname__ = f"{device_type}.amp.GradScaler"
    return device_amp_grad_scaler
