"""PyTorch's deprecated ``torch.cuda.amp``: ``autocast(enabled=True, dtype=float16,
cache_enabled=True)``, ``GradScaler(init_scale=2.**16, ...)``, ``custom_fwd(fwd=None, *,
cast_inputs=None)`` and ``custom_bwd(bwd)``, which are :mod:`tinygrad_bn.amp`'s for
``"cuda"`` and warn (``FutureWarning``) as PyTorch 2.13 does. ``autocast`` and
``GradScaler`` disable themselves, with a warning, when CUDA is not available. Reached
as ``torch.cuda.amp`` (``from tinygrad_bn.cuda.amp import GradScaler, autocast`` works too).
"""

import warnings

from tinygrad_bn.amp import autocast_mode
from tinygrad_bn.amp.grad_scaler import device_grad_scaler

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd"]

autocast = autocast_mode.device_autocast("cuda")
GradScaler = device_grad_scaler("cuda")


def _deprecated(name: str) -> None:
    warnings.warn(f"torch.cuda.amp.{name}(...) is deprecated in PyTorch; use "
                  f"torch.amp.{name}(..., device_type='cuda')", FutureWarning, stacklevel=3)


def custom_fwd(fwd=None, *, cast_inputs=None):
    """:func:`tinygrad_bn.amp.custom_fwd` for ``"cuda"``: ``fwd`` itself."""
    _deprecated("custom_fwd")
    return autocast_mode.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """:func:`tinygrad_bn.amp.custom_bwd` for ``"cuda"``: ``bwd`` itself."""
    _deprecated("custom_bwd")
    return autocast_mode.custom_bwd(bwd, device_type="cuda")
