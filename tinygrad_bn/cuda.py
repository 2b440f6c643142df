"""``torch.cuda``'s questions, for scripts that ask them.

Every random number is drawn by the one host generator that
:func:`tinygrad_bn.manual_seed` seeds, also for tensors on the GPU, so the seeding
calls here have nothing left to seed and do nothing.

``torch.cuda.amp`` (PyTorch's deprecated ``autocast`` and ``GradScaler`` for CUDA) is
:mod:`tinygrad_bn.amp.cuda_amp`, importable as ``tinygrad_bn.cuda.amp`` too.
"""

import sys

from tinygrad_bn import backend
from tinygrad_bn.amp import cuda_amp as amp


def is_available() -> bool:
    """Whether ``device="cuda"`` works here (CuPy installed and a GPU found)."""
    return backend.is_available("cuda")


def device_count() -> int:
    return 1 if is_available() else 0


def manual_seed(seed: int) -> None:
    """Nothing to do: :func:`tinygrad_bn.manual_seed` seeds every device's numbers."""


manual_seed_all = manual_seed


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: there is no bfloat16 here (NumPy has no such type), so
    ``torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16`` picks float16."""
    return False


__all__ = ["amp", "device_count", "is_available", "is_bf16_supported", "manual_seed", "manual_seed_all"]

# torch.cuda.amp is a module in PyTorch (from torch.cuda.amp import autocast), and this one is a file
sys.modules[f"{__name__}.amp"] = amp
