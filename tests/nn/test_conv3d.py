"""3-D convolutions and their transposes: PyTorch's outputs and gradients, finite differences
to second order, padding modes, output_size, reprs, errors, and the strict device."""

import re

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn
from tinygrad_bn.check.gradcheck import gradcheck, gradgradcheck
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn import functional as F

CONV_CASES = {  # (input shape, in, out, arguments)
    "plain": ((2, 3, 4, 5, 4), 3, 2, dict(kernel_size=3)),
    "stride and padding": ((2, 2, 5, 4, 6), 2, 4, dict(kernel_size=(3, 2, 3), stride=(2, 1, 2), padding=1)),
    "dilation": ((1, 2, 6, 5, 5), 2, 3, dict(kernel_size=2, dilation=(2, 1, 3), padding=(1, 0, 2))),
    "groups no bias": ((2, 4, 3, 4, 4), 4, 6, dict(kernel_size=(1, 3, 2), groups=2, bias=False)),
    "same": ((1, 2, 4, 5, 6), 2, 2, dict(kernel_size=(2, 3, 4), padding="same", dilation=(1, 2, 1))),
    "valid": ((1, 2, 4, 4, 4), 2, 2, dict(kernel_size=2, padding="valid")),
    "reflect": ((1, 2, 4, 4, 5), 2, 3, dict(kernel_size=3, padding=1, padding_mode="reflect")),
    "circular stride": ((2, 1, 5, 4, 4), 1, 2, dict(kernel_size=3, stride=2, padding=(2, 1, 1),
                                                      padding_mode="circular")),
    "unbatched": ((3, 4, 4, 5), 3, 2, dict(kernel_size=2, stride=2, padding=1)),
}
TRANSPOSE_CASES = {
    "plain": ((2, 3, 3, 4, 3), 3, 2, dict(kernel_size=3)),
    "stride padding output padding": ((1, 2, 3, 3, 4), 2, 3,
                                      dict(kernel_size=3, stride=(2, 3, 2), padding=1, output_padding=(1, 2, 0))),
    "dilation": ((2, 2, 3, 3, 3), 2, 2, dict(kernel_size=(2, 3, 2), dilation=(3, 1, 2), padding=(2, 1, 0),
                                               output_padding=(2, 0, 1))),
    "groups no bias": ((2, 4, 2, 3, 3), 4, 6, dict(kernel_size=2, stride=(2, 1, 1), groups=2, bias=False)),
    "unbatched": ((3, 2, 3, 3), 3, 2, dict(kernel_size=3, stride=2, padding=1)),
}
TOLERANCE = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


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
    upstream = numpy.random.default_rng(1).standard_normal(tuple(out.shape)).astype(x.dtype)
    (out * (tb.Tensor(upstream) if framework is tb else framework.tensor(upstream))).sum().backward()
    return [out.detach().numpy(), leaf.grad.numpy()] + [p.grad.numpy() for _, p in module.named_parameters()]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on its own speed
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind, case", [("Conv3d", c) for c in CONV_CASES] +
                         [("ConvTranspose3d", c) for c in TRANSPOSE_CASES])
def test_outputs_and_gradients_match_pytorch(torch, kind, case, dtype):
    cases = CONV_CASES if kind == "Conv3d" else TRANSPOSE_CASES
    theirs, ours, x = _twins(torch, kind, cases[case], dtype)
    assert repr(ours) == repr(theirs)
    for got, expected in zip(_run(tb, ours, x), _run(torch, theirs, x), strict=True):
        assert got.shape == expected.shape and got.dtype == expected.dtype
        numpy.testing.assert_allclose(got, expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("size", [(5, 9, 9), (6, 10, 9), (6, 10, 10)])
def test_output_size_picks_the_output_padding(torch, size):
    theirs, ours, x = _twins(torch, "ConvTranspose3d", ((1, 2, 2, 4, 4), 2, 3, dict(kernel_size=3, stride=2)),
                             "float64")
    for got, expected in zip(_run(tb, ours, x, output_size=size), _run(torch, theirs, x, output_size=size),
                             strict=True):
        numpy.testing.assert_allclose(got, expected, **TOLERANCE["float64"])
    with pytest.raises(ValueError, match=re.escape("between [5, 9, 9] and [6, 10, 10]")):
        ours(tb.Tensor(x), output_size=(7, 9, 9))


@pytest.mark.parametrize("function, arguments, shapes", [
    (F.conv3d, dict(stride=(2, 1, 1), padding=1), ((1, 2, 4, 3, 3), (2, 2, 2, 2, 2), (2,))),
    (F.conv3d, dict(dilation=(2, 1, 1), groups=2), ((2, 2, 4, 2, 3), (2, 1, 2, 1, 2), (2,))),
    (F.conv_transpose3d, dict(stride=2, padding=1, output_padding=(1, 0, 1)), ((1, 2, 2, 2, 2), (2, 2, 2, 2, 2), (2,))),
    (F.conv_transpose3d, dict(dilation=(2, 1, 1), groups=2), ((1, 2, 2, 2, 2), (2, 1, 2, 1, 2), (2,))),
])
def test_first_and_second_derivatives_match_finite_differences(function, arguments, shapes):
    rng = numpy.random.default_rng(2)
    inputs = [tb.Tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes]

    def convolve(x, weight, bias):
        return function(x, weight, bias, **arguments)

    assert gradcheck(convolve, inputs)
    assert gradgradcheck(convolve, inputs)


def test_double_backward_matches_pytorch(torch):
    """d/dW of ⟨∂L/∂x, v⟩ for L = ⟨conv3d(x, W), u⟩, random u and v."""
    rng = numpy.random.default_rng(5)
    x, weight = rng.standard_normal((2, 2, 4, 3, 4)), rng.standard_normal((3, 2, 2, 2, 3))
    arguments = dict(stride=(2, 1, 1), padding=(1, 0, 1), dilation=(1, 2, 1))
    grads = []
    for framework, functional in ((tb, F), (torch, torch.nn.functional)):
        leaves = [framework.tensor(a, requires_grad=True) for a in (x, weight)]
        out = functional.conv3d(*leaves, **arguments)
        u = framework.tensor(numpy.random.default_rng(6).standard_normal(tuple(out.shape)))
        (dx,) = framework.autograd.grad((out * u).sum(), leaves[:1], create_graph=True)
        v = framework.tensor(numpy.random.default_rng(7).standard_normal(x.shape))
        (dx * v).sum().backward()
        grads.append(leaves[1].grad.numpy())
    numpy.testing.assert_allclose(*grads, **TOLERANCE["float64"])


def test_the_transpose_is_the_adjoint_of_the_convolution():
    """⟨conv3d(x, W), y⟩ = ⟨x, conv_transpose3d(y, W)⟩ with the same stride, padding and dilation."""
    rng = numpy.random.default_rng(3)
    x, weight = rng.standard_normal((2, 3, 6, 5, 7)), rng.standard_normal((4, 3, 3, 2, 3))
    arguments = dict(stride=(2, 1, 3), padding=(1, 0, 1), dilation=(1, 2, 1))
    out = F.conv3d(tb.Tensor(x), tb.Tensor(weight), **arguments).numpy()
    y = rng.standard_normal(out.shape)
    back = F.conv_transpose3d(tb.Tensor(y), tb.Tensor(weight), output_padding=(1, 0, 0), **arguments)
    assert back.shape == x.shape
    assert (x * back.numpy()).sum() == pytest.approx((out * y).sum(), rel=1e-12)


@pytest.mark.parametrize("kind", ["Conv3d", "ConvTranspose3d"])
def test_runs_forward_and_backward_on_the_device(strict_cuda, kind):
    x = numpy.random.default_rng(4).standard_normal((2, 2, 3, 3, 3))
    results = []
    for where in ("cpu", "cuda"):
        tb.manual_seed(0)
        module = getattr(nn, kind)(2, 4, 3, stride=2, padding=1, groups=2, dtype="float64", device=where)
        inputs = tb.Tensor(x, requires_grad=True, device=where)
        out = module(inputs)
        out.sum().backward()
        assert out.device == inputs.grad.device == module.weight.grad.device == where
        results.append([out.numpy(), inputs.grad.numpy(), module.weight.grad.numpy(), module.bias.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.conv3d(tb.ones(1, 3, 4, 4, 4), tb.ones(2, 2, 3, 3, 3)), ShapeError, "expects input of shape (N, 2, D"),
    (lambda: F.conv3d(tb.ones(1, 2, 4, 4, 4), tb.ones(2, 2, 3, 3)), ShapeError, "(out, in/groups, kd, kh, kw)"),
    (lambda: F.conv3d(tb.ones(1, 2, 4, 4, 4), tb.ones(2, 2, 3, 3, 3), tb.ones(3)), ShapeError, "bias of shape (2,)"),
    (lambda: F.conv3d(tb.ones(1, 2, 2, 4, 4), tb.ones(2, 2, 3, 3, 3)), ShapeError, "does not fit"),
    (lambda: F.conv3d(tb.ones(1, 2, 4, 4, 4), tb.ones(2, 2, 3, 3, 3), stride=2, padding="same"), ArgumentError,
     "padding='same' needs stride 1"),
    (lambda: F.conv3d(tb.ones(1, 2, 4, 4, 4), tb.ones(2, 2, 3, 3, 3), stride=(1, 2)), ArgumentError,
     "stride must be an int or a tuple of 3 ints"),
    (lambda: nn.Conv3d(3, 4, 3, groups=2), ValueError, "in_channels (3) must be divisible by groups (2)"),
    (lambda: nn.Conv3d(2, 4, 3)(tb.ones(1, 3, 5, 5, 5)), ShapeError, "(N, 2, D, H, W)"),
    (lambda: F.conv_transpose3d(tb.ones(1, 3, 2, 2, 2), tb.ones(2, 2, 3, 3, 3)), ShapeError,
     "(C_in, C_out/groups, ...)"),
    (lambda: F.conv_transpose3d(tb.ones(1, 2, 2, 2, 2), tb.ones(2, 2, 3, 3, 3), stride=2, output_padding=(0, 0, 2)),
     ArgumentError, "smaller than the stride or the dilation"),
    (lambda: F.conv_transpose3d(tb.ones(1, 2, 1, 2, 2), tb.ones(2, 1, 1, 1, 1), padding=1), ShapeError, "empty"),
    (lambda: nn.ConvTranspose3d(2, 4, 3, padding_mode="reflect"), ValueError, "only padding_mode='zeros'"),
    (lambda: nn.ConvTranspose3d(2, 4, 3)(tb.ones(1, 3, 5, 5, 5)), ShapeError, "(N, 2, D, H, W)"),
])
def test_wrong_arguments_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()
