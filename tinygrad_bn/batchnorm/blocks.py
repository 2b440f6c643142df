"""Working through a batch in cache-sized blocks of samples, on every core.

The fused BatchNorm makes two passes over the data in each direction: one that
reduces (Σ over each channel) and one that writes the result. Each pass is a few
NumPy operations; run on whole arrays, every one of them would stream the
array through main memory. Run on a block of samples that fits in cache, only
the first read and the final write reach memory. NumPy releases the GIL inside
its loops, so on the CPU the blocks are shared among threads, one per core (or as many
as :func:`tinygrad_bn.set_num_threads` says).
Each thread always gets the same share of the batch, pass after pass, so the
blocks it works on are still in its core's caches from the pass before.
"""

from __future__ import annotations

import math
import os
import queue
import threading

from tinygrad_bn.settings import get_num_threads

BLOCK_BYTES = 2 * 1024 * 1024
LONG_ROW = 8 * 1024  # elements in a row of grouped samples; 32 Ki made spreads as large as a small input
MAX_WORKERS = 8


class _Workers:
    """Work shared among ``count`` threads: the calling one and ``count`` − 1 started
    here, each with an inbox of its own. In every :meth:`run` the caller does the first
    task and the i-th started thread the (i + 1)-th."""

    def __init__(self, count: int):
        self.pid, self.count = os.getpid(), count
        self.inboxes = [queue.SimpleQueue() for _ in range(count - 1)]
        for inbox in self.inboxes:
            threading.Thread(target=self._serve, args=(inbox,), daemon=True).start()

    def close(self):
        """End the threads (a pool of another size replaces this one)."""
        for inbox in self.inboxes:
            inbox.put((None, None))

    @staticmethod
    def _serve(inbox):
        while True:
            task, outbox = inbox.get()
            if task is None:
                return
            outcome = _outcome(task)
            del task  # before the caller wakes: a thread holding its arrays would make each look shared
            outbox.put(outcome)

    def run(self, tasks) -> list:
        """Each task's result, in order; the first error raised, once all have ended.

        The caller works on the first task instead of waiting: one thread fewer to
        wake per pass, and the caller's core is already running (the fused BatchNorm
        at (4096, 512) 0.94x the time, A/B in one process)."""
        outboxes = []
        for inbox, task in zip(self.inboxes, tasks[1:]):
            outboxes.append(queue.SimpleQueue())
            inbox.put((task, outboxes[-1]))
        outcomes = [_outcome(tasks[0]), *(outbox.get() for outbox in outboxes)]
        for _, error in outcomes:
            if error is not None:
                raise error
        return [result for result, _ in outcomes]


def _outcome(task) -> tuple:
    """(result, None) of ``task()``, or (None, the error it raised), for the caller to raise."""
    try:
        return task(), None
    except BaseException as error:
        return None, error


_workers = None
_starting = threading.Lock()  # two threads making their first call together start one pool


def _new_start_lock():
    global _starting
    _starting = threading.Lock()


os.register_at_fork(after_in_child=_new_start_lock)  # a fork during a start would copy it locked


def _cpu_workers() -> _Workers:
    global _workers
    workers = _workers
    count = min(get_num_threads(), MAX_WORKERS)
    if workers is None or workers.pid != os.getpid() or workers.count != count:  # threads do not survive a fork
        with _starting:
            if _workers is None or _workers.pid != os.getpid() or _workers.count != count:
                if _workers is not None and _workers.pid == os.getpid():
                    _workers.close()
                _workers = _Workers(count)
            workers = _workers
    return workers


class Blocks:
    """Slices of the batch axis, each about ``BLOCK_BYTES`` of one array.

    Within a block, samples are grouped ``group`` at a time into long rows (see
    :meth:`rows`): NumPy's loops run much faster over a few long rows than over
    many short ones, which is what (N, C) data with a (1, C) operand would give.
    """

    def __init__(self, shape: tuple, itemsize: int, backend):
        self.sample_shape = tuple(shape[1:])
        sample = self.sample = math.prod(self.sample_shape)
        self.group = max(1, min(LONG_ROW // max(1, sample), shape[0]))
        rows = max(1, BLOCK_BYTES // max(1, itemsize * sample))
        rows = max(self.group, rows - rows % self.group)
        self.slices = [slice(start, min(start + rows, shape[0])) for start in range(0, shape[0], rows)]
        self.parallel = backend.name == "cpu" and len(self.slices) > 1
        self.xp = backend.xp
        if not self.parallel:
            self.slices = [slice(0, shape[0])]

    def spread(self, per_channel):
        """Per-channel values (1, C, 1, ...) laid out along a row of :meth:`rows`:
        ``group`` samples' worth, of which the first sample's is a view."""
        row = self.xp.empty((self.group,) + self.sample_shape, dtype=per_channel.dtype)
        row[0] = per_channel[0]  # one sample's worth, then copied whole: 3.6x faster than broadcasting
        row[1:] = row[0]  # (1, C, 1, 1) to every element at 64 samples of (32, 4, 4)
        row = row.reshape(1, -1)
        return {1: row[:, : row.size // self.group], self.group: row}

    def rows(self, rows: slice, *operands):
        """Each operand for the block ``rows``: an array of the input's shape as a 2-D
        view whose rows hold ``group`` samples each (one each in a last, shorter
        block), a :meth:`spread` as the per-channel row that lines up with them."""
        count = rows.stop - rows.start
        group = self.group if count % self.group == 0 else 1
        width = group * self.sample  # given, not -1: an empty batch has rows of any width
        return [op[group] if isinstance(op, dict) else op[rows].reshape(count // group, width) for op in operands]

    def map(self, step):
        """``step(rows)`` for every block (concurrently on the CPU); their results in order.

        The blocks are cut into one contiguous share per thread: the calling thread
        works on the first, and share i always goes to the same thread."""
        workers = _cpu_workers() if self.parallel else None
        if workers is None or workers.count == 1:
            return [step(rows) for rows in self.slices]
        count = min(workers.count, len(self.slices))
        shares = [self.slices[i * len(self.slices) // count: (i + 1) * len(self.slices) // count]
                  for i in range(count)]
        parts = workers.run([lambda share=share: [step(rows) for rows in share] for share in shares])
        return [result for part in parts for result in part]

    def total(self, step):
        """Sum of the tuples ``step(rows)`` returns over all blocks."""
        parts = self.map(step)
        return tuple(sum(values[1:], values[0]) for values in zip(*parts))
