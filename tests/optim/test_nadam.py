"""NAdam: PyTorch's update rule (the momentum schedule μₜ and its float32 product, coupled
or decoupled weight decay), its state and its arguments."""

from __future__ import annotations

import numpy
import pytest

CONFIGS = {
    "defaults but lr": {"lr": 1e-2},
    "momentum decay, betas and eps": {"lr": 1e-2, "momentum_decay": 0.02, "betas": (0.8, 0.99), "eps": 1e-6},
    "weight decay": {"lr": 1e-2, "weight_decay": 0.1},
    "decoupled weight decay": {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True},
    "no momentum decay, beta1 below a half": {"lr": 1e-2, "momentum_decay": 0.0, "betas": (0.4, 0.9)},
}


@pytest.mark.parametrize("config", CONFIGS)
def test_nadam_trains_like_pytorch(trains_like_pytorch, config):
    trains_like_pytorch("NAdam", CONFIGS[config])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS)
def test_nadam_steps_like_pytorch(steps_like_pytorch, config, dtype):
    steps_like_pytorch("NAdam", CONFIGS[config], dtype)


def test_nadam_parameter_groups_step_like_pytorch(trains_like_pytorch, steps_like_pytorch):
    config = {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}
    trains_like_pytorch("NAdam", config, grouped=True)
    steps_like_pytorch("NAdam", config, "float32", grouped=True)


def test_state_has_pytorchs_names_and_values(states_after_two_steps):
    our_state, their_state = states_after_two_steps("NAdam", lr=0.1, momentum_decay=0.1)
    assert list(our_state) == list(their_state) == ["step", "mu_product", "exp_avg", "exp_avg_sq"]
    assert our_state["step"] == their_state["step"].item() == 2
    assert our_state["mu_product"].dtype == numpy.float32  # PyTorch's counter, rounded as PyTorch rounds it
    assert our_state["mu_product"] == their_state["mu_product"].item()
    for key in ("exp_avg", "exp_avg_sq"):
        numpy.testing.assert_allclose(our_state[key], their_state[key].numpy(), rtol=1e-12, err_msg=key)


def test_mu_product_keeps_pytorchs_float32_rounding_for_many_steps(torch):
    """Πₜ of 300 steps, to the bit: a float64 product would drift from PyTorch's by 1e-8."""
    import tinygrad_bn as tg
    from tinygrad_bn import nn, optim

    ours, theirs = nn.Parameter(tg.zeros(2, dtype=tg.float64)), torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    optimizers = optim.NAdam([ours], momentum_decay=0.01), torch.optim.NAdam([theirs], momentum_decay=0.01)
    for _ in range(300):
        ours.grad, theirs.grad = tg.ones(2, dtype=tg.float64), torch.ones(2, dtype=torch.float64)
        for optimizer in optimizers:
            optimizer.step()
    assert optimizers[0].state[ours]["mu_product"].item() == optimizers[1].state[theirs]["mu_product"].item()
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-13)


@pytest.mark.parametrize("kwargs", [{"lr": -1.0}, {"eps": -1e-8}, {"betas": (1.0, 0.9)}, {"betas": (0.9, 1.5)},
                                    {"weight_decay": -0.1}, {"momentum_decay": -0.1}], ids=str)
def test_nadam_refuses_what_pytorch_refuses(refused_like_pytorch, kwargs):
    refused_like_pytorch("NAdam", **kwargs)
