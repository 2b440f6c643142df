"""Momentum conventions: Keras's (and the lecture notes') against PyTorch's, the
conversion, and the warning for a momentum that looks like Keras's."""

from __future__ import annotations

import warnings

import numpy
import pytest

from tinygrad_bn import Tensor, nn


@pytest.mark.parametrize("keras, pytorch", [(0.99, 0.01), (0.9, 0.1), (0.999, 0.001), (0.5, 0.5), (0.0, 1.0),
                                            (1.0, 0.0), (0.95, 0.05)])
def test_momentum_from_keras_is_one_minus_it_exactly(keras, pytorch):
    assert nn.momentum_from_keras(keras) == pytorch


@pytest.mark.parametrize("keras", [-0.1, 1.5])
def test_momentum_from_keras_refuses_values_outside_the_unit_interval(keras):
    with pytest.raises(ValueError, match=f"momentum must be in \\[0, 1\\], got {keras}"):
        nn.momentum_from_keras(keras)


@pytest.mark.parametrize("keras", [0.9, 0.99])
def test_converted_momentum_follows_keras_moving_average(keras):
    rng = numpy.random.default_rng(0)
    bn = nn.BatchNorm1d(3, momentum=nn.momentum_from_keras(keras), dtype="float64")
    moving = numpy.zeros(3)
    for _ in range(4):
        x = 2 * rng.standard_normal((8, 3)) + 5
        bn(Tensor(x))
        # Keras: moving = momentum · moving + (1 − momentum) · batch
        moving = keras * moving + (1 - keras) * x.mean(axis=0)
    numpy.testing.assert_allclose(bn.running_mean.numpy(), moving, rtol=1e-12)


@pytest.mark.parametrize("module", [nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d])
@pytest.mark.parametrize("momentum", [0.9, 0.99, 1.0])
def test_a_keras_looking_momentum_warns_and_names_the_conversion(module, momentum):
    with pytest.warns(UserWarning, match=f"nn.momentum_from_keras\\({momentum}\\)") as caught:
        module(4, momentum=momentum)
    assert caught[0].filename == __file__  # the warning points at the line that built the module
    assert str(nn.momentum_from_keras(momentum)) in str(caught[0].message)


@pytest.mark.parametrize("momentum", [0.1, 0.5, 0.01, None])
def test_pytorch_looking_momenta_do_not_warn(momentum):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.BatchNorm2d(4, momentum=momentum)
