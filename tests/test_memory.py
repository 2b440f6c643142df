"""Freed array memory is kept for the next arrays (glibc), unless asked not to."""

import os
import subprocess
import sys

import numpy
import pytest

from tinygrad_bn import memory

# Three 8 MiB arrays made and freed, over and over, as a training step's activations
# are: the page faults (each a 4 KiB page the kernel had to find and zero) per round.
FAULTS_PER_ROUND = """
import resource
import numpy
import tinygrad_bn

def round_():
    arrays = [numpy.ones(2 * 1024 * 1024, numpy.float32) for _ in range(3)]
    del arrays

for _ in range(3):
    round_()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    round_()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def _faults_per_round(keep: str) -> float:
    env = {**os.environ, memory.ENVIRONMENT_VARIABLE: keep}
    done = subprocess.run([sys.executable, "-c", FAULTS_PER_ROUND], env=env, capture_output=True, text=True,
                          check=True)
    return float(done.stdout)


@pytest.mark.skipif(not memory.keep_freed_memory(), reason="malloc has no mallopt here (glibc only)")
def test_arrays_made_again_after_a_free_reuse_the_kept_memory():
    kept, returned = _faults_per_round("1"), _faults_per_round("0")
    assert returned > 100  # each round's 24 MiB came as fresh pages from the kernel (some as 2 MiB ones)
    assert kept < returned / 20


def test_the_environment_variable_leaves_malloc_as_it_is(monkeypatch):
    monkeypatch.setenv(memory.ENVIRONMENT_VARIABLE, "0")
    monkeypatch.setattr(memory.ctypes, "CDLL", lambda name: pytest.fail("mallopt was called"))
    assert memory.keep_freed_memory() is False


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "float16"])
@pytest.mark.parametrize("shape, axes", [((64, 16, 32, 32), (1, 0, 2, 3)), ((2, 3, 4), (2, 0, 1)),
                                         ((512, 300), (1, 0))])
def test_contiguous_copies_a_view_into_c_order(shape, axes, dtype):
    array = (numpy.arange(numpy.prod(shape)) % 1000).reshape(shape).astype(dtype)
    view = array.transpose(axes)
    copy = memory.contiguous(view)
    assert copy.flags.c_contiguous and copy.dtype == view.dtype and copy.shape == view.shape
    numpy.testing.assert_array_equal(copy, view)
    assert not numpy.shares_memory(copy, array)


def test_contiguous_returns_a_contiguous_array_as_it_is():
    array = numpy.ones((64, 16, 32, 32), numpy.float32)
    assert memory.contiguous(array) is array


def test_an_address_moved_on_by_twice_the_clearance_is_clear_of_one_it_was_near():
    base, nears = 1 << 20, 0
    for apart in range(0, 3 * memory.PAGE_BYTES, 16):
        if memory.near(base + apart, base):
            nears += 1
            assert not memory.near(base + apart + 2 * memory.CLEAR_BYTES, base)
    assert nears == 3 * (2 * memory.CLEAR_BYTES // 16 - 1)  # within CLEAR_BYTES either side of each page start
    assert memory.near(16, 0) and memory.near(0, 16) and memory.near(memory.PAGE_BYTES + 16, 0)
    assert not memory.near(memory.CLEAR_BYTES, 0) and not memory.near(memory.PAGE_BYTES // 2, 0)


@pytest.mark.parametrize("offset_bytes", [0, 16, 64, memory.PAGE_BYTES - 16])
def test_a_large_copy_starts_clear_of_its_source_modulo_a_page(offset_bytes):
    # the source view starts offset_bytes into a page-aligned region; whatever address
    # malloc gives the copy, its first element lies CLEAR_BYTES or more away, both ways
    shape = (64, 16, 32, 32)
    region = numpy.empty(numpy.prod(shape) + 2 * memory.PAGE_BYTES, numpy.float32)
    start = ((-region.ctypes.data) % memory.PAGE_BYTES + offset_bytes) // 4
    source = region[start: start + numpy.prod(shape)].reshape(shape)
    source[...] = 1.0
    for _ in range(20):  # a few fresh allocations, at whatever addresses they come
        view = source.transpose(1, 0, 2, 3)
        copy = memory.contiguous(view)
        assert not memory.near(copy.ctypes.data, view.ctypes.data)
