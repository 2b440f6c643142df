"""channel_shuffle, native_channel_shuffle and ChannelShuffle: values and gradients
against PyTorch (float32 and float64, random upstream gradients), finite differences,
the strict device, the repr, the module path and errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F

CASES = [((2, 6, 4, 4), 2), ((2, 6, 4, 4), 3), ((1, 8, 5), 4), ((2, 4, 2, 3, 2), 2), ((3, 5, 2), 1), ((2, 6, 3), 6)]
IDS = [f"{shape}-{groups}".replace(" ", "") for shape, groups in CASES]


def _data(shape, seed=0):
    return numpy.random.default_rng([seed, *shape]).standard_normal(shape)


def _run(framework, name, x, groups, dtype):
    t = framework.tensor(x.astype(dtype), requires_grad=True)
    y = getattr(framework.nn.functional, name)(t, groups)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, groups", CASES, ids=IDS)
def test_values_and_gradients_match_pytorch(torch, shape, groups, dtype):
    x = _data(shape)
    (ours, our_grad), (theirs, their_grad) = (_run(tg, "channel_shuffle", x, groups, dtype),
                                              _run(torch, "channel_shuffle", x, groups, dtype))
    assert ours.dtype == numpy.dtype(dtype)
    numpy.testing.assert_array_equal(ours, theirs)
    numpy.testing.assert_array_equal(our_grad, their_grad)


@pytest.mark.parametrize("shape, groups", CASES, ids=IDS)
def test_the_native_name_gives_the_same_values_and_a_gradient(torch, shape, groups):
    x = _data(shape)
    theirs = torch.nn.functional.native_channel_shuffle(torch.tensor(x), groups).numpy()  # not differentiable there
    ours, our_grad = _run(tg, "native_channel_shuffle", x, groups, "float64")
    numpy.testing.assert_array_equal(ours, theirs)
    numpy.testing.assert_array_equal(our_grad, _run(tg, "channel_shuffle", x, groups, "float64")[1])


def test_channel_j_g_plus_i_is_channel_i_k_plus_j():
    g, k = 3, 4
    y = F.channel_shuffle(tg.arange(g * k, dtype="float64").reshape(1, g * k, 1), g).numpy().ravel()
    assert all(y[j * g + i] == i * k + j for i in range(g) for j in range(k))


def test_gradients_match_finite_differences():
    assert gradcheck(lambda t: F.channel_shuffle(t, 3), Tensor(_data((2, 6, 3)), requires_grad=True))


def test_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(_data((2, 6, 3, 2)), requires_grad=True, device=device)
        y = nn.ChannelShuffle(2)(x)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)


def test_module_matches_pytorch_prints_as_it_does_and_is_at_its_path(torch):
    from tinygrad_bn.nn.modules import channelshuffle

    assert channelshuffle.ChannelShuffle is nn.ChannelShuffle
    assert repr(nn.ChannelShuffle(3)) == repr(torch.nn.ChannelShuffle(3)) == "ChannelShuffle(groups=3)"
    x = _data((2, 6, 4))
    numpy.testing.assert_array_equal(nn.ChannelShuffle(3)(Tensor(x)).numpy(),
                                     torch.nn.ChannelShuffle(3)(torch.tensor(x)).numpy())


@pytest.mark.parametrize("shape, groups, error", [
    ((2, 4), 2, RuntimeError),  # fewer than 3 axes
    ((2, 5, 3), 2, RuntimeError),  # channels not divisible
    ((2, 4, 3), 0, RuntimeError),
    ((2, 4, 3), -2, RuntimeError),
    ((2, 4, 3), 2.0, TypeError),
])
def test_bad_input_is_refused_as_pytorch_refuses_it(torch, shape, groups, error):
    with pytest.raises(error):
        F.channel_shuffle(Tensor(_data(shape)), groups)
    with pytest.raises(error):
        torch.nn.functional.channel_shuffle(torch.tensor(_data(shape)), groups)
