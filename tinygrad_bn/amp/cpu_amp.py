"""PyTorch's deprecated ``torch.cpu.amp``: ``autocast(enabled=True, dtype=bfloat16,
cache_enabled=True)`` and ``GradScaler(init_scale=2.**16, ...)``, which are
:class:`tinygrad_bn.amp.autocast` and :class:`tinygrad_bn.amp.GradScaler` for ``"cpu"``
and warn (``FutureWarning``) as PyTorch 2.13 does. Reached as ``torch.cpu.amp``
(``from tinygrad_bn.cpu.amp import GradScaler, autocast`` works too).
"""

from tinygrad_bn.amp.autocast_mode import device_autocast
from tinygrad_bn.amp.grad_scaler import device_grad_scaler

__all__ = ["GradScaler", "autocast"]

autocast = device_autocast("cpu")
GradScaler = device_grad_scaler("cpu")
