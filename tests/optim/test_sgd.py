"""SGD: PyTorch's update rule (momentum, dampening, Nesterov, weight decay), and its arguments."""

from __future__ import annotations

import pytest

from tinygrad_bn import nn, optim

CONFIGS = {
    "plain": {"lr": 0.1},
    "momentum": {"lr": 0.05, "momentum": 0.9},
    "dampening and decay": {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 1e-2},
    "nesterov and decay": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
}


@pytest.mark.parametrize("config", CONFIGS)
def test_sgd_trains_like_pytorch(trains_like_pytorch, config):
    trains_like_pytorch("SGD", CONFIGS[config])


def test_sgd_parameter_groups_train_like_pytorch(trains_like_pytorch):
    trains_like_pytorch("SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 1e-2}, grouped=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", ["dampening and decay", "nesterov and decay"])
def test_sgd_steps_like_pytorch(steps_like_pytorch, config, dtype):
    steps_like_pytorch("SGD", CONFIGS[config], dtype)


def test_sgd_takes_pytorchs_default_lr(torch):
    assert optim.SGD(nn.Linear(2, 1).parameters()).defaults["lr"] == torch.optim.SGD([torch.zeros(1)]).defaults["lr"]


@pytest.mark.parametrize("kwargs", [{"lr": -0.1}, {"lr": 0.1, "momentum": -1}, {"lr": 0.1, "weight_decay": -1e-3},
                                    {"lr": 0.1, "nesterov": True},
                                    {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}], ids=str)
def test_sgd_refuses_what_pytorch_refuses(refused_like_pytorch, kwargs):
    refused_like_pytorch("SGD", **kwargs)
