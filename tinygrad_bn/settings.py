"""Process-wide settings with PyTorch's names: deterministic algorithms, float32 matrix
product precision, and the number of threads of the library's own parallel loops.

>>> import tinygrad_bn as torch
>>> torch.use_deterministic_algorithms(True)
>>> torch.are_deterministic_algorithms_enabled()
True
>>> torch.use_deterministic_algorithms(False)
"""

from __future__ import annotations

import os
import warnings


class _Settings:
    deterministic = False
    warn_only = False
    matmul_precision = "highest"
    threads = os.cpu_count() or 1


_settings = _Settings()

PRECISIONS = ("highest", "high", "medium")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """PyTorch's switch to deterministic algorithms. Every op here already gives the same
    bits for the same inputs on a device (NumPy's and CuPy's kernels, and BatchNorm's
    blocks summed in a fixed order), so the setting is kept for the queries below and
    changes nothing else."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms expects a bool, got {type(mode).__name__}")
    _settings.deterministic, _settings.warn_only = mode, bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _settings.deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _settings.deterministic and _settings.warn_only


def set_float32_matmul_precision(precision: str) -> None:
    """PyTorch's hint that float32 matrix products may run in lower internal precision
    (``"high"``, ``"medium"``). Kept for :func:`get_float32_matmul_precision`; the
    products here always run in full float32, which is ``"highest"``."""
    if precision not in PRECISIONS:  # PyTorch warns and keeps what it had
        warnings.warn(f"set_float32_matmul_precision expects one of {PRECISIONS}, got {precision!r}: no change",
                      UserWarning, stacklevel=2)
        return
    _settings.matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return _settings.matmul_precision


def set_num_threads(count: int) -> None:
    """How many threads the library's own parallel loops (the fused BatchNorm's blocks)
    use, as PyTorch's ``set_num_threads`` sets its intra-op threads. NumPy's BLAS keeps
    the threads its environment gives it (``OPENBLAS_NUM_THREADS``)."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise RuntimeError(f"set_num_threads expects a positive number of threads, got {count!r}")
    _settings.threads = count


def get_num_threads() -> int:
    """The threads :func:`set_num_threads` set; the machine's CPUs by default."""
    return _settings.threads
