"""Adamax: PyTorch's update rule (the infinity norm, weight decay), its state and its arguments."""

from __future__ import annotations

import numpy
import pytest

CONFIGS = {
    "defaults but lr": {"lr": 1e-2},
    "betas, eps and decay": {"lr": 2e-2, "betas": (0.8, 0.99), "eps": 1e-3, "weight_decay": 1e-2},
    "beta1 below a half": {"lr": 2e-2, "betas": (0.3, 0.9)},  # the other side of lerp
}


@pytest.mark.parametrize("config", CONFIGS)
def test_adamax_trains_like_pytorch(trains_like_pytorch, config):
    trains_like_pytorch("Adamax", CONFIGS[config])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS)
def test_adamax_steps_like_pytorch(steps_like_pytorch, config, dtype):
    steps_like_pytorch("Adamax", CONFIGS[config], dtype)


def test_adamax_parameter_groups_step_like_pytorch(trains_like_pytorch, steps_like_pytorch):
    trains_like_pytorch("Adamax", {"lr": 1e-2, "weight_decay": 0.1}, grouped=True)
    steps_like_pytorch("Adamax", {"lr": 1e-2, "weight_decay": 0.1}, "float32", grouped=True)


def test_state_has_pytorchs_names_and_values(states_after_two_steps):
    our_state, their_state = states_after_two_steps("Adamax", lr=0.1, weight_decay=0.1)
    assert list(our_state) == list(their_state) == ["step", "exp_avg", "exp_inf"]
    assert our_state["step"] == their_state["step"].item() == 2
    for key in ("exp_avg", "exp_inf"):
        numpy.testing.assert_allclose(our_state[key], their_state[key].numpy(), rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("kwargs", [{"lr": -1.0}, {"eps": -1e-8}, {"betas": (1.0, 0.9)}, {"betas": (0.9, -0.1)},
                                    {"weight_decay": -0.1}], ids=str)
def test_adamax_refuses_what_pytorch_refuses(refused_like_pytorch, kwargs):
    refused_like_pytorch("Adamax", **kwargs)
