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


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"lr": -0.1}, "lr must be >= 0.0, got -0.1"),
        ({"lr": 0.1, "momentum": -1}, "momentum must be >= 0.0"),
        ({"lr": 0.1, "nesterov": True}, "nesterov needs momentum > 0 and dampening = 0"),
        ({"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, "dampening=0.1"),
    ],
)
def test_sgd_rejects_bad_hyper_parameters(kwargs, words):
    with pytest.raises(ValueError, match=words):
        optim.SGD(nn.Linear(2, 1).parameters(), **kwargs)
