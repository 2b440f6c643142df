"""PyTorch's ``torch.amp``: :class:`autocast` (only disabled regions: there is no mixed
precision policy here), :class:`GradScaler` (PyTorch's loss scaling, with its numbers),
and the ``autograd.Function`` decorators :func:`custom_fwd` and :func:`custom_bwd`.

>>> import tinygrad_bn as torch
>>> scaler = torch.amp.GradScaler("cpu", enabled=False)
>>> with torch.amp.autocast("cpu", enabled=False):
...     loss = torch.ones(3).sum()
>>> scaler.scale(loss) is loss, scaler.get_scale()
(True, 1.0)
"""

from tinygrad_bn.amp.autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_enabled
from tinygrad_bn.amp.grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "is_autocast_enabled"]
