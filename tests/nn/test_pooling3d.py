"""3-D pooling: PyTorch's outputs, indices and gradients, finite differences to second
order, reprs, errors, and the strict device."""

import re

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn
from tinygrad_bn.check.gradcheck import gradcheck, gradgradcheck
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn import functional as F

CASES = {  # (layer, input shape, arguments)
    "max plain": ("MaxPool3d", (2, 3, 4, 4, 6), dict(kernel_size=2)),
    "max stride padding dilation": ("MaxPool3d", (1, 2, 6, 5, 7), dict(kernel_size=(3, 2, 3), stride=(2, 1, 2),
                                                                       padding=(1, 1, 0), dilation=(1, 2, 2))),
    "max ceil": ("MaxPool3d", (2, 2, 5, 6, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    "max unbatched": ("MaxPool3d", (3, 5, 4, 4), dict(kernel_size=(2, 3, 2), stride=1)),
    "avg plain": ("AvgPool3d", (2, 3, 4, 4, 6), dict(kernel_size=2)),
    "avg padding": ("AvgPool3d", (1, 2, 5, 5, 6), dict(kernel_size=3, stride=2, padding=1)),
    "avg without padding counted": ("AvgPool3d", (1, 2, 5, 5, 6), dict(kernel_size=(3, 2, 3), stride=2, padding=1,
                                                                       count_include_pad=False)),
    "avg ceil": ("AvgPool3d", (2, 2, 5, 6, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                    count_include_pad=False)),
    "avg divisor": ("AvgPool3d", (1, 2, 4, 4, 4), dict(kernel_size=2, stride=1, divisor_override=3)),
    "avg unbatched": ("AvgPool3d", (3, 4, 4, 5), dict(kernel_size=2, stride=(1, 2, 2))),
    "adaptive": ("AdaptiveAvgPool3d", (2, 3, 5, 7, 6), dict(output_size=(2, 3, 4))),
    "adaptive one and none": ("AdaptiveAvgPool3d", (2, 3, 5, 4, 6), dict(output_size=(1, None, 4))),
    "adaptive global unbatched": ("AdaptiveAvgPool3d", (3, 5, 4, 6), dict(output_size=1)),
}
TOLERANCE = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-13)}


def _run(framework, layer, shape, arguments, dtype):
    x = numpy.random.default_rng(0).standard_normal(shape).astype(dtype)
    leaf = tb.Tensor(x, requires_grad=True) if framework is tb else framework.tensor(x, requires_grad=True)
    module = getattr(framework.nn, layer)(**arguments)
    out = module(leaf)
    upstream = numpy.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype)
    (out * (tb.Tensor(upstream) if framework is tb else framework.tensor(upstream))).sum().backward()
    return repr(module), out.detach().numpy(), leaf.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_outputs_and_gradients_match_pytorch(torch, case, dtype):
    ours, theirs = (_run(framework, *CASES[case], dtype) for framework in (tb, torch))
    assert ours[0] == theirs[0]
    for got, expected in zip(ours[1:], theirs[1:], strict=True):
        assert got.shape == expected.shape and got.dtype == expected.dtype
        numpy.testing.assert_allclose(got, expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("arguments", [dict(kernel_size=2), dict(kernel_size=(3, 2, 2), stride=(2, 1, 3),
                                                                 padding=1, dilation=(1, 2, 1), ceil_mode=True)])
def test_max_indices_match_pytorch_ties_included(torch, arguments):
    x = numpy.random.default_rng(3).integers(0, 3, (2, 2, 5, 6, 7)).astype("float64")  # many ties
    values, where = F.max_pool3d(tb.Tensor(x), return_indices=True, **arguments)
    expected_values, expected_where = torch.nn.functional.max_pool3d(torch.tensor(x), return_indices=True, **arguments)
    numpy.testing.assert_array_equal(values.numpy(), expected_values.numpy())
    assert where.dtype == "int64"
    numpy.testing.assert_array_equal(where.numpy(), expected_where.numpy())


@pytest.mark.parametrize("function, arguments", [
    (F.max_pool3d, dict(kernel_size=2, stride=1, padding=1)),
    (F.avg_pool3d, dict(kernel_size=(2, 3, 2), stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    (F.adaptive_avg_pool3d, dict(output_size=(2, 3, 2))),
])
def test_first_and_second_derivatives_match_finite_differences(function, arguments):
    x = tb.Tensor(numpy.random.default_rng(2).standard_normal((1, 2, 3, 4, 3)), requires_grad=True)

    def pool(volumes):
        return function(volumes, **arguments)

    assert gradcheck(pool, [x])
    assert gradgradcheck(pool, [x])


@pytest.mark.parametrize("layer, arguments", [("MaxPool3d", dict(kernel_size=2, padding=1)),
                                              ("AvgPool3d", dict(kernel_size=3, stride=2, padding=1)),
                                              ("AdaptiveAvgPool3d", dict(output_size=(2, 1, 3)))])
def test_runs_forward_and_backward_on_the_device(strict_cuda, layer, arguments):
    x = numpy.random.default_rng(4).standard_normal((2, 2, 3, 4, 5))
    results = []
    for where in ("cpu", "cuda"):
        inputs = tb.Tensor(x, requires_grad=True, device=where)
        out = getattr(nn, layer)(**arguments)(inputs)
        out.sum().backward()
        assert out.device == inputs.grad.device == where
        results.append([out.numpy(), inputs.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


def test_max_indices_on_the_device(strict_cuda):
    x = numpy.random.default_rng(5).standard_normal((1, 2, 4, 4, 4))
    _, on_cpu = F.max_pool3d(tb.Tensor(x), 2, return_indices=True)
    _, on_device = F.max_pool3d(tb.Tensor(x, device="cuda"), 2, return_indices=True)
    assert on_device.device == "cuda"
    numpy.testing.assert_array_equal(on_device.numpy(), on_cpu.numpy())


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.max_pool3d(tb.ones(1, 2, 4, 4), 2, stride=(1, 1)), ArgumentError,
     "stride must be an int or a tuple of 3 ints"),
    (lambda: F.max_pool3d(tb.ones(2, 1, 2, 4, 4, 4), 2), ShapeError, "(N, C, D, H, W)"),
    (lambda: F.avg_pool3d(tb.ones(1, 2, 4, 4, 4), 2, padding=2), ShapeError, "at most half of the kernel size"),
    (lambda: F.avg_pool3d(tb.ones(1, 2, 1, 4, 4), 2), ShapeError, "leaves no output"),
    (lambda: F.avg_pool3d(tb.ones(1, 2, 4, 4, 4), 2, divisor_override=0), ArgumentError, "divisor_override"),
    (lambda: F.adaptive_avg_pool3d(tb.ones(1, 2, 4, 4, 4), (2, 2)), ArgumentError, "three of them"),
    (lambda: F.adaptive_avg_pool3d(tb.ones(4, 4, 4), 2), ShapeError, "(N, C, D, H, W)"),
])
def test_wrong_arguments_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()
