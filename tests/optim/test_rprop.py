"""Rprop: PyTorch's update rule (step sizes grown and shrunk by the sign of g·g', held within
step_sizes, no step after a sign change), its state and its arguments."""

from __future__ import annotations

import numpy
import pytest

CONFIGS = {
    "defaults but lr": {"lr": 1e-2},
    "etas": {"lr": 1e-2, "etas": (0.3, 1.5)},
    "step sizes held": {"lr": 2e-2, "step_sizes": (1e-2, 3e-2)},
}


@pytest.mark.parametrize("config", CONFIGS)
def test_rprop_trains_like_pytorch(trains_like_pytorch, config):
    trains_like_pytorch("Rprop", CONFIGS[config])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS)
def test_rprop_steps_like_pytorch(steps_like_pytorch, config, dtype):
    steps_like_pytorch("Rprop", CONFIGS[config], dtype)


def test_rprop_parameter_groups_step_like_pytorch(trains_like_pytorch, steps_like_pytorch):
    trains_like_pytorch("Rprop", {"lr": 1e-2, "etas": (0.4, 1.3)}, grouped=True)
    steps_like_pytorch("Rprop", {"lr": 1e-2, "etas": (0.4, 1.3)}, "float32", grouped=True)


def test_state_has_pytorchs_names_and_values(states_after_two_steps):
    our_state, their_state = states_after_two_steps("Rprop", lr=0.5, etas=(0.2, 1.5))
    assert list(our_state) == list(their_state) == ["step", "prev", "step_size"]
    assert our_state["step"] == their_state["step"].item() == 2
    for key in ("prev", "step_size"):
        numpy.testing.assert_allclose(our_state[key], their_state[key].numpy(), rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("kwargs", [{"lr": -1.0}, {"etas": (1.5, 1.2)}, {"etas": (0.0, 1.2)}, {"etas": (0.5, 1.0)}],
                         ids=str)
def test_rprop_refuses_what_pytorch_refuses(refused_like_pytorch, kwargs):
    refused_like_pytorch("Rprop", **kwargs)
