"""Adam and AdamW: PyTorch's update rules (bias correction, coupled or decoupled weight
decay), and their arguments."""

from __future__ import annotations

import pytest

from tinygrad_bn import nn, optim

CONFIGS = {
    ("Adam", "defaults but lr"): {"lr": 1e-2},
    ("Adam", "betas, eps and decay"): {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-2},
    ("AdamW", "default decay"): {"lr": 1e-2},
    ("AdamW", "strong decay"): {"lr": 2e-2, "weight_decay": 0.5, "betas": (0.85, 0.95)},
    ("Adam", "amsgrad"): {"lr": 2e-2, "betas": (0.5, 0.9), "amsgrad": True},
    ("AdamW", "amsgrad and decay"): {"lr": 2e-2, "betas": (0.5, 0.9), "weight_decay": 0.1, "amsgrad": True},
}


@pytest.mark.parametrize("name, config", CONFIGS)
def test_adam_trains_like_pytorch(trains_like_pytorch, name, config):
    trains_like_pytorch(name, CONFIGS[name, config])


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_parameter_groups_train_like_pytorch(trains_like_pytorch, name):
    trains_like_pytorch(name, {"lr": 1e-2, "weight_decay": 0.1}, grouped=True)


def test_adamw_decays_by_default_and_adam_does_not():
    params = nn.Linear(2, 1).parameters()
    assert optim.AdamW(params).defaults["weight_decay"] == 1e-2
    assert optim.Adam(nn.Linear(2, 1).parameters()).defaults["weight_decay"] == 0.0


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"lr": -1e-3}, "lr must be >= 0.0"),
        ({"eps": -1.0}, "eps must be >= 0.0"),
        ({"betas": (0.9, 1.0)}, r"betas must be two numbers in \[0, 1\), got \(0.9, 1.0\)"),
        ({"weight_decay": -0.1}, "weight_decay must be >= 0.0"),
    ],
)
def test_adam_rejects_bad_hyper_parameters(name, kwargs, words):
    with pytest.raises(ValueError, match=f"{name}: {words}"):
        getattr(optim, name)(nn.Linear(2, 1).parameters(), **kwargs)
