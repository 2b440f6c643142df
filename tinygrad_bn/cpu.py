"""``torch.cpu``'s questions, for scripts that ask them, and ``torch.cpu.amp`` (PyTorch's
deprecated ``autocast`` and ``GradScaler`` for the CPU), which is
:mod:`tinygrad_bn.amp.cpu_amp`, importable as ``tinygrad_bn.cpu.amp`` too.

>>> import tinygrad_bn as torch
>>> torch.cpu.is_available(), torch.cpu.device_count()
(True, 1)
"""

import sys

from tinygrad_bn.amp import cpu_amp as amp

__all__ = ["amp", "device_count", "is_available"]


def is_available() -> bool:
    """True: the CPU is always there."""
    return True


def device_count() -> int:
    return 1


# torch.cpu.amp is a module in PyTorch (from torch.cpu.amp import autocast), and this one is a file
sys.modules[f"{__name__}.amp"] = amp
