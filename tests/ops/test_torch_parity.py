"""Every op that PyTorch also has: same forward values and dtype, same gradients."""

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad

# float16 carries 11 significant bits (2⁻¹¹ ≈ 5e-4): a few roundings apart is 1e-2 at most,
# the tolerance Chainer's tests use for anything float16.
TOLERANCE = {"float16": {"rtol": 1e-2, "atol": 1e-2}, "float32": {"rtol": 2e-5, "atol": 2e-6},
             "float64": {"rtol": 1e-12, "atol": 1e-12}}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_matches_pytorch(torch, op_case, dtype):
    torch_fn = op_case.torch_function()
    if torch_fn is None:
        pytest.skip(f"PyTorch has no counterpart for {op_case.id} (no such op, or no derivative of it)")
    host = [a.astype(dtype) for a in op_case.host_inputs()]
    ours = [Tensor(a, requires_grad=True) for a in host]
    theirs = [torch.tensor(a, requires_grad=True) for a in host]

    try:
        expected = torch_fn(*theirs)
    except (RuntimeError, NotImplementedError) as error:  # e.g. "... not implemented for 'Half'"
        if dtype != "float16":
            raise
        pytest.skip(f"PyTorch's CPU has no float16 {op_case.name}: {error}")
    out = op_case.fn(*ours)
    assert out.dtype == dtype and str(expected.dtype) == f"torch.{dtype}"
    assert out.shape == tuple(expected.shape)
    tolerance = TOLERANCE[dtype]
    if dtype == "float64" and op_case.torch_float64_rtol:
        tolerance = {**tolerance, "rtol": op_case.torch_float64_rtol}
    numpy.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **tolerance)

    upstream = numpy.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    grads = grad(out, ours, Tensor(upstream))
    expected_grads = torch.autograd.grad(expected, theirs, torch.from_numpy(upstream))
    for g, e in zip(grads, expected_grads, strict=True):
        assert g.dtype == dtype and g.shape == tuple(e.shape)
        numpy.testing.assert_allclose(g.numpy(), e.numpy(), **tolerance)
