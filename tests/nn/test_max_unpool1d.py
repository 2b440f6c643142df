"""max_unpool1d / MaxUnpool1d against PyTorch: values, output sizes, unbatched input,
the module's repr, its errors, and derivatives (float64)."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

# (input shape, kernel_size, stride, padding, output_size)
CASES = [((2, 3, 8), 2, None, 0, None), ((2, 3, 9), 3, 2, 1, None), ((1, 2, 7), 2, 2, 0, [7]),
         ((3, 10), 2, None, 0, None), ((1, 1, 6), (3,), (3,), (0,), [2, 1, 7])]


def _pooled(framework, shape, kernel_size, stride, padding, dtype="float64"):
    x = numpy.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)
    return framework.nn.functional.max_pool1d(framework.tensor(x), kernel_size, stride, padding, return_indices=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, kernel_size, stride, padding, output_size", CASES)
def test_max_unpool1d_is_pytorchs(torch, shape, kernel_size, stride, padding, output_size, dtype):
    results = []
    for framework in (tg, torch):
        pooled, where = _pooled(framework, shape, kernel_size, stride, padding, dtype)
        results.append(framework.nn.functional.max_unpool1d(pooled, where, kernel_size, stride, padding,
                                                            output_size).numpy())
        module = framework.nn.MaxUnpool1d(kernel_size, stride, padding)
        results.append((repr(module), module(pooled, where, output_size).numpy()))
    (ours, (our_repr, our_module)), (theirs, (their_repr, their_module)) = results[:2], results[2:]
    numpy.testing.assert_array_equal(ours, theirs)
    numpy.testing.assert_array_equal(our_module, their_module)
    assert our_repr == their_repr


@pytest.mark.parametrize("output_size", [[11], [5]])
def test_an_output_size_beyond_a_stride_of_the_default_is_refused_as_in_pytorch(torch, output_size):
    pooled, where = _pooled(torch, (1, 1, 8), 2, None, 0)
    with pytest.raises(ValueError, match="between 6 and 10"):
        torch.nn.functional.max_unpool1d(pooled, where, 2, output_size=output_size)
    pooled, where = _pooled(tg, (1, 1, 8), 2, None, 0)
    with pytest.raises(ValueError, match="between 6 and 10"):
        F.max_unpool1d(pooled, where, 2, output_size=output_size)


# overlapping windows left out: a position that is the maximum of two is written once, and as in
# PyTorch its gradient goes back to both, which finite differences cannot see
@pytest.mark.parametrize("shape, kernel_size, stride, padding, output_size", [CASES[0], *CASES[2:]])
def test_max_unpool1d_derivatives(shape, kernel_size, stride, padding, output_size):
    pooled, where = _pooled(tg, shape, kernel_size, stride, padding)
    x = pooled.detach().requires_grad_()
    assert gradcheck(lambda t: F.max_unpool1d(t, where, kernel_size, stride, padding, output_size), x)
    assert gradgradcheck(lambda t: F.max_unpool1d(t * t, where, kernel_size, stride, padding, output_size), x)
