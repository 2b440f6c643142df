"""Working through a batch in cache-sized blocks of samples, on every core.

The fused BatchNorm makes two passes over the data in each direction: one that
reduces (Σ over each channel) and one that writes the result. Each pass is a few
NumPy operations; run on whole arrays, every one of them would stream the
array through main memory. Run on a block of samples that fits in cache, only
the first read and the final write reach memory. NumPy releases the GIL inside
its loops, so on the CPU the blocks are shared among threads, one per core.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

BLOCK_BYTES = 2 * 1024 * 1024
_pool = None
_scratch = threading.local()


def _cpu_pool():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 8))
    return _pool


class Blocks:
    """Slices of the batch axis, each about ``BLOCK_BYTES`` of one array."""

    def __init__(self, shape: tuple, itemsize: int, backend):
        sample_bytes = max(1, itemsize * math.prod(shape[1:]))
        rows = max(1, BLOCK_BYTES // sample_bytes)
        self.slices = [slice(start, min(start + rows, shape[0])) for start in range(0, shape[0], rows)]
        self.parallel = backend.name == "cpu" and len(self.slices) > 1
        self.xp = backend.xp
        if not self.parallel:
            self.slices = [slice(0, shape[0])]

    def map(self, step):
        """``step(rows)`` for every block (concurrently on the CPU); their results in order."""
        if not self.parallel:
            return [step(rows) for rows in self.slices]
        return list(_cpu_pool().map(step, self.slices))

    def total(self, step):
        """Sum of the tuples ``step(rows)`` returns over all blocks."""
        parts = self.map(step)
        return tuple(sum(values[1:], values[0]) for values in zip(*parts))

    def scratch(self, like):
        """An uninitialized array shaped like ``like`` (one block) to compute into.
        On the CPU each thread reuses its own buffer, which stays in cache and costs
        no page faults."""
        if not self.parallel:
            return self.xp.empty_like(like)
        buffer = getattr(_scratch, "buffer", None)
        if buffer is None or buffer.size < like.size or buffer.dtype != like.dtype:
            buffer = _scratch.buffer = self.xp.empty(like.size, dtype=like.dtype)
        return buffer[: like.size].reshape(like.shape)
