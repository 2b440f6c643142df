"""Freed array memory is kept for the next arrays (glibc), unless asked not to."""

import os
import subprocess
import sys

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
