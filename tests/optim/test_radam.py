"""RAdam: PyTorch's update rule (plain steps while ρₜ ≤ 5, rectified steps after; coupled or
decoupled weight decay), its state and its arguments."""

from __future__ import annotations

import numpy
import pytest

CONFIGS = {
    "defaults but lr": {"lr": 1e-2},  # rectified from step 6 on
    "short memory": {"lr": 1e-2, "betas": (0.8, 0.9), "eps": 1e-6},  # ρ∞ = 19: rectified from step 3 on
    "weight decay": {"lr": 1e-2, "weight_decay": 0.1},
    "decoupled weight decay": {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True},
    "never rectified": {"lr": 1e-2, "betas": (0.9, 0.5)},  # ρ∞ = 3
}


@pytest.mark.parametrize("config", CONFIGS)
def test_radam_trains_like_pytorch(trains_like_pytorch, config):
    trains_like_pytorch("RAdam", {**CONFIGS[config], "lr": 5e-2})  # its first steps are small


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS)
def test_radam_steps_like_pytorch(steps_like_pytorch, config, dtype):
    steps_like_pytorch("RAdam", CONFIGS[config], dtype)


def test_radam_parameter_groups_step_like_pytorch(trains_like_pytorch, steps_like_pytorch):
    config = {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}
    trains_like_pytorch("RAdam", {**config, "lr": 5e-2}, grouped=True)
    steps_like_pytorch("RAdam", config, "float32", grouped=True)


def test_state_has_pytorchs_names_and_values(states_after_two_steps):
    our_state, their_state = states_after_two_steps("RAdam", lr=0.1, betas=(0.5, 0.6))
    assert list(our_state) == list(their_state) == ["step", "exp_avg", "exp_avg_sq"]
    assert our_state["step"] == their_state["step"].item() == 2
    for key in ("exp_avg", "exp_avg_sq"):
        numpy.testing.assert_allclose(our_state[key], their_state[key].numpy(), rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("kwargs", [{"lr": -1.0}, {"eps": -1e-8}, {"betas": (-0.5, 0.9)}, {"betas": (0.9, 1.0)},
                                    {"weight_decay": -0.1}], ids=str)
def test_radam_refuses_what_pytorch_refuses(refused_like_pytorch, kwargs):
    refused_like_pytorch("RAdam", **kwargs)
