"""Transposed convolutions: PyTorch's outputs and gradients, finite differences to second
order, output_size, reprs, errors, and the strict device."""

import re

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn
from tinygrad_bn.check.gradcheck import gradcheck, gradgradcheck
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn import functional as F

CASES_2D = {  # (input shape, in, out, arguments)
    "plain": ((2, 3, 4, 5), 3, 2, dict(kernel_size=3)),
    "stride 2": ((2, 3, 4, 4), 3, 4, dict(kernel_size=2, stride=2)),
    "padding and output padding": ((1, 2, 5, 3), 2, 3, dict(kernel_size=3, stride=2, padding=1, output_padding=1)),
    "dilation": ((2, 2, 4, 4), 2, 2, dict(kernel_size=(2, 3), dilation=2, padding=(1, 0))),
    "output padding below the dilation": ((1, 2, 3, 3), 2, 2, dict(kernel_size=2, dilation=3, output_padding=2)),
    "groups no bias": ((2, 4, 3, 3), 4, 6, dict(kernel_size=3, stride=(1, 2), groups=2, bias=False)),
    "unbatched": ((3, 4, 4), 3, 2, dict(kernel_size=3, stride=2, padding=1)),
}
CASES_1D = {
    "plain": ((2, 3, 7), 3, 2, dict(kernel_size=3)),
    "stride padding dilation": ((2, 2, 6), 2, 4,
                                dict(kernel_size=3, stride=3, padding=2, output_padding=1, dilation=2)),
    "groups unbatched": ((4, 5), 4, 2, dict(kernel_size=2, groups=2)),
}


def _twins(torch, kind, case, dtype):
    shape, channels_in, channels_out, arguments = case
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(channels_in, channels_out, dtype=getattr(torch, dtype), **arguments)
    ours = getattr(nn, kind)(channels_in, channels_out, dtype=dtype, **arguments)
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    return theirs, ours, numpy.random.default_rng(0).standard_normal(shape).astype(dtype)


def _run(framework, module, x, **call):
    leaf = tb.Tensor(x, requires_grad=True) if framework is tb else framework.tensor(x, requires_grad=True)
    out = module(leaf, **call)
    upstream = numpy.random.default_rng(1).standard_normal(tuple(out.shape))
    (out * (tb.Tensor(upstream) if framework is tb else framework.tensor(upstream))).sum().backward()
    return [out.detach().numpy(), leaf.grad.numpy()] + [p.grad.numpy() for _, p in module.named_parameters()]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind, case", [("ConvTranspose2d", c) for c in CASES_2D] +
                         [("ConvTranspose1d", c) for c in CASES_1D])
def test_outputs_and_gradients_match_pytorch(torch, kind, case, dtype):
    theirs, ours, x = _twins(torch, kind, (CASES_2D if kind.endswith("2d") else CASES_1D)[case], dtype)
    assert repr(ours) == repr(theirs)
    tolerance = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    for got, expected in zip(_run(tb, ours, x), _run(torch, theirs, x), strict=True):
        assert got.shape == expected.shape
        numpy.testing.assert_allclose(got, expected, **tolerance)


@pytest.mark.parametrize("size", [(9, 9), (10, 10), (9, 10)])
def test_output_size_picks_the_output_padding(torch, size):
    theirs, ours, x = _twins(torch, "ConvTranspose2d", ((1, 2, 4, 4), 2, 3, dict(kernel_size=3, stride=2)), "float64")
    for got, expected in zip(_run(tb, ours, x, output_size=size), _run(torch, theirs, x, output_size=size),
                             strict=True):
        numpy.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=re.escape("between [9, 9] and [10, 10]")):
        ours(tb.Tensor(x), output_size=(12, 12))


@pytest.mark.parametrize("arguments", [dict(stride=2, padding=1, output_padding=1), dict(dilation=2, groups=2)])
def test_first_and_second_derivatives_match_finite_differences(arguments):
    rng = numpy.random.default_rng(2)
    per_group = 2 // arguments.get("groups", 1)  # 2 output channels either way
    inputs = [tb.Tensor(rng.standard_normal(shape), requires_grad=True)
              for shape in ((1, 2, 3, 3), (2, per_group, 2, 2), (2,))]

    def transposed(x, weight, bias):
        return F.conv_transpose2d(x, weight, bias, **arguments)

    assert gradcheck(transposed, inputs)
    assert gradgradcheck(transposed, inputs)


def test_it_is_the_adjoint_of_the_convolution():
    """⟨conv2d(x, W), y⟩ = ⟨x, conv_transpose2d(y, W)⟩ with the same stride, padding and dilation."""
    rng = numpy.random.default_rng(3)
    x, weight = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2))
    arguments = dict(stride=2, padding=1, dilation=(1, 2))
    y = rng.standard_normal(F.conv2d(tb.Tensor(x), tb.Tensor(weight), **arguments).shape)
    forward = (F.conv2d(tb.Tensor(x), tb.Tensor(weight), **arguments).numpy() * y).sum()
    back = F.conv_transpose2d(tb.Tensor(y), tb.Tensor(weight), output_padding=(0, 1), **arguments)
    assert back.shape == x.shape
    assert (x * back.numpy()).sum() == pytest.approx(forward, rel=1e-12)


def test_runs_forward_and_backward_on_the_device(strict_cuda):
    x = numpy.random.default_rng(4).standard_normal((2, 2, 3, 3))
    results = []
    for where in ("cpu", "cuda"):
        tb.manual_seed(0)
        module = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, dtype="float64", device=where)
        inputs = tb.Tensor(x, requires_grad=True, device=where)
        out = module(inputs)
        out.sum().backward()
        assert out.device == inputs.grad.device == module.weight.grad.device == where
        results.append([out.numpy(), inputs.grad.numpy(), module.weight.grad.numpy(), module.bias.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


def test_weights_start_as_pytorchs_do():
    """kaiming_uniform_(a=√5) of the (C_in, C_out/groups, kh, kw) weight: U(±1/√(C_out/groups·kh·kw))."""
    tb.manual_seed(0)
    layer = nn.ConvTranspose2d(64, 32, 3, groups=2)
    bound = 1 / (16 * 9) ** 0.5
    for values in (layer.weight.numpy(), layer.bias.numpy()):
        assert numpy.abs(values).max() <= bound
    assert layer.weight.numpy().std() == pytest.approx(bound / 3 ** 0.5, rel=0.05)


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.conv_transpose2d(tb.ones(1, 3, 4, 4), tb.ones(2, 2, 3, 3)), ShapeError, "(C_in, C_out/groups, ...)"),
    (lambda: F.conv_transpose2d(tb.ones(1, 2, 4, 4), tb.ones(2, 2, 3, 3), tb.ones(3)), ShapeError,
     "bias of shape (2,)"),
    (lambda: F.conv_transpose2d(tb.ones(1, 2, 4, 4), tb.ones(2, 2, 3, 3), stride=2, output_padding=2), ArgumentError,
     "smaller than the stride or the dilation"),
    (lambda: F.conv_transpose2d(tb.ones(1, 2, 2, 2), tb.ones(2, 1, 1, 1), padding=1), ShapeError, "empty"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, groups=2), ValueError, "in_channels (3) must be divisible by groups (2)"),
    (lambda: nn.ConvTranspose1d(2, 4, 3)(tb.ones(1, 3, 5)), ShapeError, "(N, 2, L)"),
])
def test_wrong_arguments_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()
