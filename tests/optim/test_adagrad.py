"""Adagrad: PyTorch's update rule (lr decay, weight decay, initial accumulator), its state and its arguments."""

from __future__ import annotations

import itertools

import numpy
import pytest

# every combination of lr decay, weight decay and initial accumulator, with a non-default ε
OPTIONS = [
    {"lr": 0.1, "lr_decay": lr_decay, "weight_decay": decay, "initial_accumulator_value": initial, "eps": 1e-8}
    for lr_decay, decay, initial in itertools.product((0.0, 0.05), (0.0, 0.1), (0.0, 0.5))
]


def test_adagrad_with_its_defaults_but_lr_trains_like_pytorch(trains_like_pytorch):
    trains_like_pytorch("Adagrad", {"lr": 0.1})


@pytest.mark.parametrize("config", OPTIONS, ids=lambda c: f"lr_decay={c['lr_decay']}-decay={c['weight_decay']}-"
                                                         f"initial={c['initial_accumulator_value']}")
def test_adagrad_trains_like_pytorch(trains_like_pytorch, config):
    trains_like_pytorch("Adagrad", config)


def test_adagrad_parameter_groups_train_like_pytorch(trains_like_pytorch):
    trains_like_pytorch("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}, grouped=True)


def test_state_has_pytorchs_names_and_values(states_after_two_steps):
    our_state, their_state = states_after_two_steps("Adagrad", lr_decay=0.1, initial_accumulator_value=0.3)
    assert sorted(our_state) == sorted(their_state) == ["step", "sum"]
    assert our_state["step"] == their_state["step"].item() == 2
    numpy.testing.assert_allclose(our_state["sum"], their_state["sum"].numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adagrad_steps_like_pytorch(steps_like_pytorch, dtype):
    steps_like_pytorch("Adagrad", OPTIONS[-1], dtype)


@pytest.mark.parametrize("name", ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"])
def test_adagrad_refuses_what_pytorch_refuses(refused_like_pytorch, name):
    refused_like_pytorch("Adagrad", **{name: -0.1})
