"""Every op forward, backward and double backward on the strict "cuda" stand-in:
no array reaches NumPy, and the numbers equal the CPU ones."""

import numpy

from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad


def _forward_backward_double(case, device):
    """Output, first and second derivatives of ``case`` on ``device``, as host arrays."""
    rng = numpy.random.default_rng(1)
    xs = case.tensors(device=device)
    out = case.fn(*xs)
    upstream = Tensor(rng.standard_normal(out.shape), requires_grad=True, device=device)
    first = grad(out, xs, upstream, create_graph=True)
    weights = [Tensor(rng.standard_normal(g.shape), device=device) for g in first]
    projection = sum((g * w).sum() for g, w in zip(first, weights, strict=True))
    second = grad(projection, [*xs, upstream], allow_unused=True)
    results = [out, *first, *(g for g in second if g is not None)]
    assert [t.device for t in results] == [device] * len(results)
    return [t.numpy() for t in results], [g is None for g in second]


def test_op_on_device_matches_cpu(op_case, strict_cuda):
    device_results, device_unused = _forward_backward_double(op_case, "cuda")
    cpu_results, cpu_unused = _forward_backward_double(op_case, "cpu")
    assert device_unused == cpu_unused
    for on_device, on_cpu in zip(device_results, cpu_results, strict=True):
        assert on_device.dtype == on_cpu.dtype
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)
