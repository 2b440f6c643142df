"""PyTorch's ``torch.autocast`` (``torch.amp.autocast``), for scripts that turn mixed
precision on or off with a flag.

There is no autocast policy here: every op runs in its inputs' dtype. So an autocast
region can only be a disabled one. ``enabled=False`` is a no-op context manager and
decorator, as in PyTorch, and ``device_type="cuda"`` on a machine without CUDA warns
and disables itself, as PyTorch's does. ``enabled=True`` on an available device raises
``NotImplementedError`` rather than run the region in full precision while the script
believes it is in float16. To run such a script, pass ``enabled=False`` (most scripts
have a flag for it), or cast the model and its inputs with ``.half()`` yourself.

>>> import tinygrad_bn as torch
>>> with torch.autocast("cpu", enabled=False):
...     y = torch.ones(2, 3) @ torch.ones(3, 1)
>>> y.dtype, torch.is_autocast_enabled("cpu")
(dtype('float32'), False)
"""

from __future__ import annotations

import functools
import warnings

from tinygrad_bn.backend import is_available
from tinygrad_bn.dtypes import bfloat16, float16

__all__ = ["autocast", "custom_bwd", "custom_fwd", "device_autocast", "is_autocast_enabled"]

# PyTorch's lower-precision dtype of each device when autocast is given none
DEFAULT_DTYPES = {"cpu": bfloat16, "cuda": float16}


def cuda_available() -> bool:
    """Whether CUDA works here."""
    return is_available("cuda")


def _check_device_type(device_type) -> str:
    if not isinstance(device_type, str):
        raise ValueError(f"autocast expects device_type as a string ('cpu' or 'cuda'), "
                         f"got {type(device_type).__name__}")
    if device_type not in DEFAULT_DTYPES:
        raise RuntimeError(f"autocast: unknown device_type {device_type!r}, expected 'cpu' or 'cuda'")
    return device_type


class autocast:  # noqa: N801 - PyTorch's name
    """PyTorch's ``torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``,
    as a context manager and a decorator; only a disabled region can be entered (see the
    module's docstring).

    ``device`` and ``fast_dtype`` are PyTorch's attributes (``fast_dtype`` is
    bfloat16 on the CPU and float16 on CUDA unless ``dtype`` is given).

    >>> @autocast("cpu", enabled=False)
    ... def forward(x):
    ...     return x * 2
    >>> forward(3)
    6
    >>> autocast("cpu")
    Traceback (most recent call last):
    ...
    NotImplementedError: autocast(enabled=True): mixed precision is not implemented here ...
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        self.device = _check_device_type(device_type)
        self.fast_dtype = DEFAULT_DTYPES[self.device] if dtype is None else dtype
        if enabled and self.device == "cuda" and not cuda_available():
            warnings.warn("autocast: CUDA is not available, so autocast is disabled (as in PyTorch)",
                          UserWarning, stacklevel=2)
            enabled = False
        if enabled:
            raise NotImplementedError(
                "autocast(enabled=True): mixed precision is not implemented here (every op runs in its inputs' "
                "dtype). Pass enabled=False to run the region in full precision, or cast the model and inputs "
                "with .half() yourself")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def in_region(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return in_region


def is_autocast_enabled(device_type=None) -> bool:
    """PyTorch's ``torch.is_autocast_enabled(device_type=None)``: False, since no enabled
    autocast region can be entered here (``autocast(enabled=True)`` raises)."""
    if device_type is not None:
        _check_device_type(device_type)
    return False


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """PyTorch's ``@torch.amp.custom_fwd(device_type=..., cast_inputs=None)`` for an
    ``autograd.Function``'s forward: ``fwd`` itself. PyTorch casts the inputs to
    ``cast_inputs`` only inside an enabled autocast region, which cannot exist here.

    >>> @custom_fwd(device_type="cpu", cast_inputs=None)
    ... def forward(ctx, x):
    ...     return x + 1
    >>> forward(None, 1)
    2
    """
    _check_device_type(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type):
    """PyTorch's ``@torch.amp.custom_bwd(device_type=...)`` for an ``autograd.Function``'s
    backward: ``bwd`` itself (PyTorch runs it in the forward's autocast state, here always
    disabled)."""
    _check_device_type(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


def device_autocast(device_type: str) -> type:
    """PyTorch's deprecated ``torch.cuda.amp.autocast`` / ``torch.cpu.amp.autocast`` for
    ``device_type``: :class:`autocast` with the device fixed, which warns
    (``FutureWarning``) as PyTorch 2.13 does."""

    class device_amp_autocast(autocast):  # noqa: N801 - PyTorch's name, set below
        def __init__(self, enabled=True, dtype=DEFAULT_DTYPES[device_type], cache_enabled=True):
            warnings.warn(f"torch.{device_type}.amp.autocast(...) is deprecated in PyTorch; "
                          f"use torch.amp.autocast({device_type!r}, ...)", FutureWarning, stacklevel=2)
            super().__init__(device_type, dtype, enabled, cache_enabled)

    device_amp_autocast.__name__ = "autocast"
    device_amp_autocast.__qualname__ = f"{device_type}.amp.autocast"
    return device_amp_autocast
