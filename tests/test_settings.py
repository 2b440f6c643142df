"""PyTorch's process-wide settings: deterministic algorithms, float32 matmul precision and
the number of threads, with PyTorch's queries and refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn.batchnorm import blocks


@pytest.fixture
def restored(torch):
    """Both frameworks' settings put back after the test."""
    yield
    for framework in (tinygrad_bn, torch):
        framework.use_deterministic_algorithms(False)
        framework.set_float32_matmul_precision("highest")
    tinygrad_bn.set_num_threads(tinygrad_bn.settings.os.cpu_count() or 1)


def test_deterministic_algorithms_and_matmul_precision_answer_as_pytorchs(torch, restored):
    seen = []
    for framework in (tinygrad_bn, torch):
        framework.use_deterministic_algorithms(True, warn_only=True)
        framework.set_float32_matmul_precision("medium")
        seen.append((framework.are_deterministic_algorithms_enabled(),
                     framework.is_deterministic_algorithms_warn_only_enabled(),
                     framework.get_float32_matmul_precision()))
        framework.use_deterministic_algorithms(False)
        seen.append((framework.are_deterministic_algorithms_enabled(),
                     framework.is_deterministic_algorithms_warn_only_enabled()))
    assert seen[:2] == seen[2:] == [(True, True, "medium"), (False, False)]


def test_bad_settings_are_refused_as_in_pytorch(torch, restored):
    for framework in (tinygrad_bn, torch):
        with pytest.raises(RuntimeError, match="set_num_threads expects a positive"):
            framework.set_num_threads(0)
        with pytest.warns(UserWarning, match="low"):
            framework.set_float32_matmul_precision("low")
        assert framework.get_float32_matmul_precision() == "highest"


def test_the_number_of_threads_sets_batchnorms_thread_pool(restored):
    x = tinygrad_bn.tensor(numpy.random.default_rng(0).standard_normal((16384, 64)).astype("float32"))  # two blocks
    norm = tinygrad_bn.nn.BatchNorm1d(64)
    outputs = []
    for threads in (1, 2):
        tinygrad_bn.set_num_threads(threads)
        outputs.append(norm(x).numpy())
        assert tinygrad_bn.get_num_threads() == threads and blocks._cpu_workers().count == threads
    numpy.testing.assert_array_equal(outputs[0], outputs[1])  # the same blocks, summed in the same order
