"""RMSprop: PyTorch's update rule (weight decay, momentum, centering), its state and its arguments."""

from __future__ import annotations

import itertools

import numpy
import pytest

# every combination of weight decay, momentum and centering, with a non-default α and ε
OPTIONS = [
    {"lr": 1e-2, "alpha": 0.9, "eps": 1e-6, "weight_decay": decay, "momentum": momentum, "centered": centered}
    for decay, momentum, centered in itertools.product((0.0, 0.1), (0.0, 0.5), (False, True))
]


def test_rmsprop_with_its_defaults_but_lr_trains_like_pytorch(trains_like_pytorch):
    trains_like_pytorch("RMSprop", {"lr": 1e-2})


@pytest.mark.parametrize("config", OPTIONS, ids=lambda c: f"decay={c['weight_decay']}-momentum={c['momentum']}-"
                                                         f"centered={c['centered']}")
def test_rmsprop_trains_like_pytorch(trains_like_pytorch, config):
    trains_like_pytorch("RMSprop", config)


def test_rmsprop_parameter_groups_train_like_pytorch(trains_like_pytorch):
    trains_like_pytorch("RMSprop", {"lr": 1e-2, "weight_decay": 0.1, "momentum": 0.5, "centered": True}, grouped=True)


@pytest.mark.parametrize("momentum, centered", [(0.0, False), (0.5, True)])
def test_state_has_pytorchs_names_and_values(states_after_two_steps, momentum, centered):
    our_state, their_state = states_after_two_steps("RMSprop", momentum=momentum, centered=centered)
    assert list(our_state) == list(their_state)
    assert our_state["step"] == their_state["step"].item() == 2
    for key in list(our_state)[1:]:
        numpy.testing.assert_allclose(our_state[key], their_state[key].numpy(), rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rmsprop_steps_like_pytorch(steps_like_pytorch, dtype):
    steps_like_pytorch("RMSprop", OPTIONS[-1], dtype)


@pytest.mark.parametrize("name", ["lr", "alpha", "eps", "weight_decay", "momentum"])
def test_rmsprop_refuses_what_pytorch_refuses(refused_like_pytorch, name):
    refused_like_pytorch("RMSprop", **{name: -0.1})
