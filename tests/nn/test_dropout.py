"""Dropout2d: whole channels zeroed, the rest scaled, seeded masks, eval mode, the device."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.nn import functional as F


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout2d_zeroes_whole_channels_with_probability_p(p):
    tg.manual_seed(0)
    data = numpy.random.default_rng(0).uniform(1.0, 2.0, (400, 50, 3, 2))  # no zeros of its own
    x = Tensor(data, requires_grad=True)
    y = F.dropout2d(x, p)
    kept = y.numpy() != 0
    channel_kept = kept[:, :, :1, :1]
    assert (kept == channel_kept).all()  # a channel is kept or dropped whole
    channels = channel_kept.size
    assert abs((1 - channel_kept.mean()) - p) < 5 * numpy.sqrt(p * (1 - p) / channels)
    numpy.testing.assert_allclose(y.numpy()[kept], data[kept] / (1 - p), rtol=1e-12)
    upstream = numpy.random.default_rng(1).standard_normal(data.shape)
    y.backward(Tensor(upstream))
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.where(kept, upstream / (1 - p), 0.0), rtol=1e-12)


def test_dropout2d_module_is_seeded_and_the_identity_in_eval(torch):
    x = tg.ones(4, 6, 2, 2)
    layer = nn.Dropout2d(0.5)
    tg.manual_seed(3)
    first = layer(x).numpy()
    tg.manual_seed(3)
    numpy.testing.assert_array_equal(layer(x).numpy(), first)
    assert layer.eval()(x) is x
    assert torch.nn.Dropout2d(0.5).eval()(torch.ones(4, 6, 2, 2)).equal(torch.ones(4, 6, 2, 2))
    assert F.dropout2d(x, 0.0) is x
    numpy.testing.assert_array_equal(F.dropout2d(x, 1.0).numpy(), numpy.zeros(x.shape))
    assert repr(layer) == repr(torch.nn.Dropout2d(0.5)) == "Dropout2d(p=0.5, inplace=False)"


@pytest.mark.parametrize("call, words", [
    (lambda: nn.Dropout2d(1.5), r"\[0, 1\], got 1.5"),
    (lambda: F.dropout2d(tg.ones(2, 3, 4), 0.5), r"\(N, C, H, W\), got \(2, 3, 4\)"),
])
def test_bad_arguments_are_reported(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_dropout2d_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        tg.manual_seed(7)  # the same mask on both
        x = Tensor(numpy.ones((3, 8, 2, 2)), requires_grad=True, device=device)
        y = nn.Dropout2d(0.5)(x)
        y.backward(Tensor(numpy.ones(y.shape), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)
