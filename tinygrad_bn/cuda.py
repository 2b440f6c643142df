"""``torch.cuda``'s questions, for scripts that ask them.

Every random number is drawn by the one host generator that
:func:`tinygrad_bn.manual_seed` seeds, also for tensors on the GPU, so the seeding
calls here have nothing left to seed and do nothing.
"""

from tinygrad_bn.backend import get_backend


def is_available() -> bool:
    """Whether ``device="cuda"`` works here (CuPy installed and a GPU found)."""
    try:
        get_backend("cuda")
    except RuntimeError:
        return False
    return True


def device_count() -> int:
    return 1 if is_available() else 0


def manual_seed(seed: int) -> None:
    """Nothing to do: :func:`tinygrad_bn.manual_seed` seeds every device's numbers."""


manual_seed_all = manual_seed

__all__ = ["device_count", "is_available", "manual_seed", "manual_seed_all"]
