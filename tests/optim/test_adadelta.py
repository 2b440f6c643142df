"""Adadelta: PyTorch's update rule (the two running averages, weight decay), its state and its arguments."""

from __future__ import annotations

import numpy
import pytest

CONFIGS = {
    "defaults": {},
    "rho, eps and lr": {"lr": 0.5, "rho": 0.5, "eps": 1e-4},
    "weight decay": {"lr": 2.0, "weight_decay": 0.1},
}


@pytest.mark.parametrize("config", CONFIGS)
def test_adadelta_trains_like_pytorch(trains_like_pytorch, config):
    trains_like_pytorch("Adadelta", {"lr": 5.0, **CONFIGS[config]})  # lr = 1 learns too slowly for 20 steps


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS)
def test_adadelta_steps_like_pytorch(steps_like_pytorch, config, dtype):
    steps_like_pytorch("Adadelta", CONFIGS[config], dtype)


def test_adadelta_parameter_groups_step_like_pytorch(trains_like_pytorch, steps_like_pytorch):
    trains_like_pytorch("Adadelta", {"lr": 5.0, "weight_decay": 0.1}, grouped=True)
    steps_like_pytorch("Adadelta", {"lr": 2.0, "weight_decay": 0.1}, "float32", grouped=True)


def test_state_has_pytorchs_names_and_values(states_after_two_steps):
    our_state, their_state = states_after_two_steps("Adadelta", rho=0.8, weight_decay=0.1)
    assert list(our_state) == list(their_state) == ["step", "square_avg", "acc_delta"]
    assert our_state["step"] == their_state["step"].item() == 2
    for key in ("square_avg", "acc_delta"):
        numpy.testing.assert_allclose(our_state[key], their_state[key].numpy(), rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("kwargs", [{"lr": -1.0}, {"rho": -0.1}, {"rho": 1.5}, {"eps": -1e-6},
                                    {"weight_decay": -0.1}], ids=str)
def test_adadelta_refuses_what_pytorch_refuses(refused_like_pytorch, kwargs):
    refused_like_pytorch("Adadelta", **kwargs)
