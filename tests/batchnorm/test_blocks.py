"""Blocks: every sample is visited once, per-channel rows line up with the data,
each thread keeps its share of the batch from pass to pass, and errors reach the caller."""

import threading
import weakref

import numpy as np
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.batchnorm import blocks as blocks_module
from tinygrad_bn.batchnorm.blocks import Blocks

CPU = Tensor(0.0)._backend


@pytest.mark.parametrize("shape", [(3, 5), (1500, 512), (40, 64, 17, 13), (7, 3, 4)])
def test_blocks_cover_the_batch_once_and_rows_line_up(shape):
    blocks = Blocks(shape, 4, CPU)
    data = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    per_channel = np.arange(shape[1], dtype=np.float32).reshape((1, shape[1]) + (1,) * (len(shape) - 2))
    spread = blocks.spread(per_channel)
    out = np.empty_like(data)

    def step(rows):
        x_rows, out_rows, channel_rows = blocks.rows(rows, data, out, spread)
        np.add(x_rows, channel_rows, out=out_rows)
        return rows

    visited = blocks.map(step)
    assert [r.start for r in visited] == sorted(r.start for r in visited)
    assert sum(r.stop - r.start for r in visited) == shape[0]
    np.testing.assert_array_equal(out, data + per_channel)


def test_each_thread_keeps_its_share_from_pass_to_pass():
    blocks = Blocks((4096, 512), 4, CPU)
    assert blocks.parallel and len(blocks.slices) >= 4

    def owner(rows):
        return threading.get_ident()

    first, second = blocks.map(owner), blocks.map(owner)
    assert first == second
    # contiguous shares: a thread's blocks are neighbours
    changes = sum(a != b for a, b in zip(first, first[1:]))
    assert changes == len(set(first)) - 1


def test_an_error_in_a_block_reaches_the_caller_and_the_threads_survive():
    blocks = Blocks((4096, 512), 4, CPU)

    def failing(rows):
        if rows.start > 0:
            raise ArithmeticError(f"block at {rows.start}")
        return rows.start

    with pytest.raises(ArithmeticError, match="block at"):
        blocks.map(failing)
    assert blocks.map(lambda rows: rows.start) == [r.start for r in blocks.slices]


def test_threads_are_started_again_in_a_forked_child(monkeypatch):
    """Threads do not survive fork(): workers made in another process are replaced."""
    workers = blocks_module._cpu_workers()
    monkeypatch.setattr(workers, "pid", -1)
    blocks = Blocks((4096, 512), 4, CPU)
    assert blocks.map(lambda rows: rows.start) == [r.start for r in blocks.slices]
    assert blocks_module._cpu_workers() is not workers


def test_one_thread_works_in_the_calling_thread(monkeypatch):
    monkeypatch.setattr(blocks_module, "get_num_threads", lambda: 1)  # one core, or set_num_threads(1)
    monkeypatch.setattr(blocks_module, "_workers", None)
    blocks = Blocks((4096, 512), 4, CPU)
    owners = blocks.map(lambda rows: threading.get_ident())
    assert owners == [threading.get_ident()] * len(blocks.slices)


def test_two_threads_making_their_first_call_together_start_one_pool(monkeypatch):
    started = []
    real_init = blocks_module._Workers.__init__

    def slow_start(self, count):
        started.append(self)
        threading.Event().wait(0.05)  # widen the window in which a second thread could start another
        real_init(self, count)

    monkeypatch.setattr(blocks_module._Workers, "__init__", slow_start)
    monkeypatch.setattr(blocks_module, "_workers", None)
    barrier = threading.Barrier(4)
    pools = []

    def first_call():
        barrier.wait()
        pools.append(blocks_module._cpu_workers())

    threads = [threading.Thread(target=first_call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(started) == 1
    assert all(pool is started[0] for pool in pools)


def test_the_threads_hold_nothing_of_a_pass_once_it_returns():
    blocks = Blocks((4096, 512), 4, CPU)
    out = np.zeros((4096, 512), np.float32)
    gone = weakref.ref(out)

    def fill(rows, out=out):  # held by the step itself, as a kernel's closures hold their arrays
        out[rows] = 1.0

    blocks.map(fill)
    del fill, out
    assert gone() is None
