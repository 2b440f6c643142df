"""tinygrad_bn.nn.grad (nn/grad.py): conv1d/2d/3d_input and _weight against
torch.nn.grad's numbers, dtypes and shapes (strides, padding, dilation, groups), their
own gradients against finite differences, recording rules and shape errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import grad as nn_grad

# (axes, input shape, weight shape, keyword arguments)
CASES = [
    (1, (2, 3, 9), (4, 3, 3), {}),
    (1, (2, 4, 10), (6, 2, 2), {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}),
    (2, (2, 3, 7, 8), (4, 3, 3, 2), {}),
    (2, (1, 4, 9, 8), (4, 2, 3, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2}),
    (2, (2, 2, 8, 8), (3, 2, 2, 2), {"stride": 3}),  # the last rows and columns are in no window
    (3, (2, 2, 5, 6, 4), (3, 2, 2, 3, 2), {}),
    (3, (1, 4, 6, 5, 7), (2, 2, 3, 2, 3), {"stride": (1, 2, 2), "padding": 1, "dilation": (2, 1, 1), "groups": 2}),
]
IDS = [f"{axes}d-{shape}-{weight}-{kwargs}" for axes, shape, weight, kwargs in CASES]


def _output_shape(torch, case):
    axes, shape, weight, kwargs = case
    conv = getattr(torch.nn.functional, f"conv{axes}d")
    return tuple(conv(torch.zeros(shape), torch.zeros(weight), **kwargs).shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_are_pytorchs(torch, case, dtype):
    axes, shape, weight_shape, kwargs = case
    rng = numpy.random.default_rng(list(shape))
    x, weight = rng.standard_normal(shape).astype(dtype), rng.standard_normal(weight_shape).astype(dtype)
    g = rng.standard_normal(_output_shape(torch, case)).astype(dtype)
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-12}
    for kind, args in (("input", (shape, weight, g)), ("weight", (x, weight_shape, g))):
        name = f"conv{axes}d_{kind}"
        ours = getattr(nn_grad, name)(*(tg.tensor(a) if isinstance(a, numpy.ndarray) else a for a in args), **kwargs)
        theirs = getattr(torch.nn.grad, name)(*(torch.tensor(a) if isinstance(a, numpy.ndarray) else a for a in args),
                                              **kwargs)
        assert ours.dtype == theirs.numpy().dtype and ours.shape == tuple(theirs.shape)
        numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), **tolerance, err_msg=name)


@pytest.mark.parametrize("case", [CASES[1], CASES[3], CASES[6]], ids=[IDS[1], IDS[3], IDS[6]])
def test_they_are_differentiable_again(torch, case):
    axes, shape, weight_shape, kwargs = case
    rng = numpy.random.default_rng(0)
    x = tg.tensor(rng.standard_normal(shape), requires_grad=True)
    weight = tg.tensor(rng.standard_normal(weight_shape), requires_grad=True)
    g = tg.tensor(rng.standard_normal(_output_shape(torch, case)), requires_grad=True)
    to_input, to_weight = getattr(nn_grad, f"conv{axes}d_input"), getattr(nn_grad, f"conv{axes}d_weight")
    assert gradcheck(lambda w, g: to_input(shape, w, g, **kwargs), (weight, g))
    assert gradcheck(lambda x, g: to_weight(x, weight_shape, g, **kwargs), (x, g))
    assert gradgradcheck(lambda w, g: to_input(shape, w, g, **kwargs), (weight, g))


def test_nothing_is_recorded_without_grad():
    weight, g = tg.randn(4, 3, 3, requires_grad=True), tg.randn(2, 4, 5)
    assert nn_grad.conv1d_input((2, 3, 7), weight, g).requires_grad
    with tg.no_grad():
        assert not nn_grad.conv1d_input((2, 3, 7), weight, g).requires_grad
    assert not nn_grad.conv1d_input((2, 3, 7), weight.detach(), g).requires_grad


@pytest.mark.parametrize(("call", "words"), [
    (lambda: nn_grad.conv2d_input((2, 3, 8, 8), tg.ones(4, 3, 3, 3), tg.ones(2, 4, 5, 5)),
     r"grad_output of shape \(2, 4, 5, 5\) does not match the convolution's output, of shape \(2, 4, 6, 6\)"),
    (lambda: nn_grad.conv2d_weight(tg.ones(2, 3, 7, 7), (4, 3, 2, 2), tg.ones(2, 4, 5, 5)),
     r"does not match the convolution's output"),
    (lambda: nn_grad.conv2d_input((3, 7, 7), tg.ones(4, 3, 3, 3), tg.ones(4, 5, 5)), "input_size must have 4 entries"),
], ids=["input size", "weight size", "unbatched"])
def test_sizes_that_do_not_fit_are_refused(torch, call, words):
    """PyTorch refuses them too (its oneDNN error, or one about the number of axes)."""
    with pytest.raises(tg.errors.ShapeError, match=words):
        call()
    with pytest.raises(RuntimeError):
        torch.nn.grad.conv2d_input((2, 3, 8, 8), torch.ones(4, 3, 3, 3), torch.ones(2, 4, 5, 5))


def test_it_is_at_pytorchs_path():
    assert tg.nn.grad is nn_grad
    assert sorted(nn_grad.__all__) == ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight",
                                       "conv3d_input", "conv3d_weight"]
