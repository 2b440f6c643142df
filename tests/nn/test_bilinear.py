"""F.bilinear and nn.Bilinear: values and gradients of both inputs, the weight and the bias
against PyTorch (float32 and float64, random upstream gradients), finite differences to
second order, PyTorch's initialisation, state dicts both ways, the strict device, the repr
and the errors."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

TOLERANCE = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-12, atol=1e-12)}

# (input1 shape, input2 shape, weight shape, with a bias)
CASES = [
    ((4, 3), (4, 5), (2, 3, 5), True),
    ((4, 3), (4, 5), (2, 3, 5), False),
    ((2, 6, 3), (2, 6, 4), (5, 3, 4), True),  # two batch axes
    ((3,), (4,), (2, 3, 4), True),  # unbatched
    ((7, 1), (7, 1), (1, 1, 1), True),
]
IDS = [f"{a}x{b}-w{w}-{'bias' if bias else 'nobias'}".replace(" ", "") for a, b, w, bias in CASES]


def _data(shape, seed):
    return numpy.random.default_rng([seed, *shape]).standard_normal(shape)


def _run(framework, shapes, with_bias, dtype):
    shape1, shape2, weight_shape = shapes
    arrays = [_data(shape1, 1), _data(shape2, 2), _data(weight_shape, 3)] + ([_data(weight_shape[:1], 4)]
                                                                             if with_bias else [])
    tensors = [framework.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    y = framework.nn.functional.bilinear(*tensors)
    y.backward(framework.tensor(_data(tuple(y.shape), 5).astype(dtype)))
    return [y.detach().numpy()] + [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape1, shape2, weight_shape, with_bias", CASES, ids=IDS)
def test_values_and_gradients_match_pytorch(torch, shape1, shape2, weight_shape, with_bias, dtype):
    shapes = (shape1, shape2, weight_shape)
    ours, theirs = _run(tg, shapes, with_bias, dtype), _run(torch, shapes, with_bias, dtype)
    assert ours[0].shape == theirs[0].shape and ours[0].dtype == numpy.dtype(dtype)
    for mine, other, what in zip(ours, theirs, ("output", "input1", "input2", "weight", "bias"), strict=False):
        numpy.testing.assert_allclose(mine, other, err_msg=what, **TOLERANCE[dtype])


def test_gradients_match_finite_differences_to_second_order():
    inputs = [Tensor(_data(shape, seed), requires_grad=True) for seed, shape in enumerate([(3, 2), (3, 4),
                                                                                          (2, 2, 4), (2,)])]
    assert gradcheck(F.bilinear, inputs)
    assert gradgradcheck(F.bilinear, inputs)


def test_layer_starts_as_pytorchs_and_loads_its_state_dict(torch):
    tg.manual_seed(0)
    ours, theirs = nn.Bilinear(9, 4, 200), torch.nn.Bilinear(9, 4, 200)
    assert repr(ours) == repr(theirs) == "Bilinear(in1_features=9, in2_features=4, out_features=200, bias=True)"
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    bound = 1 / math.sqrt(9)  # from in1_features alone, for the weight and the bias
    for tensor in (ours.weight, ours.bias):
        assert tensor.requires_grad and tensor.dtype == "float32"
        assert -bound <= tensor.numpy().min() < -0.8 * bound and 0.8 * bound < tensor.numpy().max() <= bound
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    x1, x2 = _data((5, 9), 1).astype("float32"), _data((5, 4), 2).astype("float32")
    expected = theirs(torch.tensor(x1), torch.tensor(x2)).detach().numpy()
    numpy.testing.assert_allclose(ours(Tensor(x1), Tensor(x2)).numpy(), expected, rtol=1e-5, atol=1e-6)
    theirs.load_state_dict({key: torch.from_numpy(value.numpy()) for key, value in ours.state_dict().items()})


def test_layer_without_bias_and_in_float64(torch):
    ours, theirs = nn.Bilinear(2, 3, 4, bias=False, dtype="float64"), torch.nn.Bilinear(2, 3, 4, bias=False)
    assert repr(ours) == repr(theirs) and ours.bias is None and ours.weight.dtype == "float64"
    assert list(ours.state_dict()) == ["weight"]


def test_layer_is_at_pytorchs_path():
    from tinygrad_bn.nn.modules import linear

    assert linear.Bilinear is nn.Bilinear


def test_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        tg.manual_seed(0)
        layer = nn.Bilinear(3, 4, 2, dtype="float64").to(device)
        x1 = Tensor(_data((5, 3), 1), requires_grad=True, device=device)
        y = layer(x1, Tensor(_data((5, 4), 2), device=device))
        y.backward(Tensor(_data(y.shape, 5), device=device))
        assert y.device == x1.grad.device == layer.weight.grad.device == device
        results.append([y.numpy(), x1.grad.numpy(), layer.weight.grad.numpy(), layer.bias.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape1, shape2, weight_shape, bias_shape, words", [
    ((2, 3), (3, 4), (5, 3, 4), None, "same batch axes"),
    ((2, 3), (2, 2, 4), (5, 3, 4), None, "same batch axes"),
    ((2, 3), (2, 4), (5, 2, 4), None, r"weight of shape \(out_features, 3, 4\)"),
    ((2, 3), (2, 4), (5, 3, 3), None, r"weight of shape \(out_features, 3, 4\)"),
    ((2, 3), (2, 4), (3, 4), None, r"weight of shape \(out_features, 3, 4\)"),
    ((2, 3), (2, 4), (5, 3, 4), (4,), r"bias of shape \(5,\)"),
])
def test_mismatched_shapes_are_refused_as_pytorch_refuses_them(torch, shape1, shape2, weight_shape, bias_shape,
                                                               words):
    shapes = [shape1, shape2, weight_shape] + ([bias_shape] if bias_shape else [])
    with pytest.raises(RuntimeError, match=words):
        F.bilinear(*(Tensor(numpy.ones(s)) for s in shapes))
    with pytest.raises(RuntimeError):
        torch.nn.functional.bilinear(*(torch.ones(s) for s in shapes))


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="in1_features must be a positive int"):
        nn.Bilinear(0, 3, 4)
