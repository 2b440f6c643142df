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
LONG_ROW = 32 * 1024  # elements in a row of grouped samples
_pool = None
_scratch = threading.local()


def _cpu_pool():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 8))
    return _pool


class Blocks:
    """Slices of the batch axis, each about ``BLOCK_BYTES`` of one array.

    Within a block, samples are grouped ``group`` at a time into long rows (see
    :meth:`rows`): NumPy's loops run much faster over a few long rows than over
    many short ones, which is what (N, C) data with a (1, C) operand would give.
    """

    def __init__(self, shape: tuple, itemsize: int, backend):
        self.sample_shape = tuple(shape[1:])
        sample = math.prod(self.sample_shape)
        self.group = max(1, LONG_ROW // max(1, sample))
        rows = max(1, BLOCK_BYTES // max(1, itemsize * sample))
        rows = max(self.group, rows - rows % self.group)
        self.slices = [slice(start, min(start + rows, shape[0])) for start in range(0, shape[0], rows)]
        self.parallel = backend.name == "cpu" and len(self.slices) > 1
        self.xp = backend.xp
        if not self.parallel:
            self.slices = [slice(0, shape[0])]

    def spread(self, per_channel):
        """Per-channel values (1, C, 1, ...) laid out along a row of :meth:`rows`."""
        one_sample = self.xp.broadcast_to(per_channel, (1,) + self.sample_shape).reshape(1, -1)
        return {1: one_sample, self.group: self.xp.tile(one_sample, (1, self.group))}

    def rows(self, rows: slice, *operands):
        """Each operand for the block ``rows``: an array of the input's shape as a 2-D
        view whose rows hold ``group`` samples each (one each in a last, shorter
        block), a :meth:`spread` as the per-channel row that lines up with them."""
        count = rows.stop - rows.start
        group = self.group if count % self.group == 0 else 1
        return [op[group] if isinstance(op, dict) else op[rows].reshape(count // group, -1) for op in operands]

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
