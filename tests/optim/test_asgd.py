"""ASGD: PyTorch's update rule (the decaying step ηₜ, the average of the iterates after t₀,
weight decay) with its float32 counters, its state and its arguments."""

from __future__ import annotations

import numpy
import pytest

CONFIGS = {
    "defaults but lr": {"lr": 0.05},  # never averages: t₀ = 10⁶
    "averaging from step 5": {"lr": 0.05, "t0": 5},
    "lambd, alpha and decay": {"lr": 0.05, "lambd": 0.05, "alpha": 0.5, "t0": 2, "weight_decay": 0.1},
}


@pytest.mark.parametrize("config", CONFIGS)
def test_asgd_trains_like_pytorch(trains_like_pytorch, config):
    trains_like_pytorch("ASGD", {**CONFIGS[config], "lr": 0.3})


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS)
def test_asgd_steps_like_pytorch(steps_like_pytorch, config, dtype):
    steps_like_pytorch("ASGD", CONFIGS[config], dtype)


def test_asgd_parameter_groups_step_like_pytorch(trains_like_pytorch, steps_like_pytorch):
    trains_like_pytorch("ASGD", {"lr": 0.3, "t0": 3, "weight_decay": 0.1}, grouped=True)
    steps_like_pytorch("ASGD", {"lr": 0.05, "t0": 3, "weight_decay": 0.1}, "float32", grouped=True)


def test_state_has_pytorchs_names_and_values(states_after_two_steps):
    our_state, their_state = states_after_two_steps("ASGD", lr=0.1, t0=0, lambd=0.1)
    assert list(our_state) == list(their_state) == ["step", "eta", "mu", "ax"]
    for key in ("step", "eta", "mu"):  # float32 counters, to the bit
        assert our_state[key].dtype == numpy.float32 and our_state[key] == their_state[key].item(), key
    numpy.testing.assert_allclose(our_state["ax"], their_state["ax"].numpy(), rtol=1e-12)


@pytest.mark.parametrize("kwargs", [{"lr": -1.0}, {"weight_decay": -0.1}], ids=str)
def test_asgd_refuses_what_pytorch_refuses(refused_like_pytorch, kwargs):
    refused_like_pytorch("ASGD", **kwargs)
