"""Adam and AdamW: PyTorch's update rules (bias correction, coupled or decoupled weight
decay), and their arguments."""

from __future__ import annotations

import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim

CONFIGS = {
    ("Adam", "defaults but lr"): {"lr": 1e-2},
    ("Adam", "betas, eps and decay"): {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-2},
    ("AdamW", "default decay"): {"lr": 1e-2},
    ("AdamW", "strong decay"): {"lr": 2e-2, "weight_decay": 0.5, "betas": (0.85, 0.95)},
    ("Adam", "amsgrad"): {"lr": 2e-2, "betas": (0.5, 0.9), "amsgrad": True},
    ("AdamW", "amsgrad and decay"): {"lr": 2e-2, "betas": (0.5, 0.9), "weight_decay": 0.1, "amsgrad": True},
    ("Adam", "decoupled decay"): {"lr": 2e-2, "weight_decay": 0.3, "decoupled_weight_decay": True},
}


@pytest.mark.parametrize("name, config", CONFIGS)
def test_adam_trains_like_pytorch(trains_like_pytorch, name, config):
    trains_like_pytorch(name, CONFIGS[name, config])


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_parameter_groups_train_like_pytorch(trains_like_pytorch, name):
    trains_like_pytorch(name, {"lr": 1e-2, "weight_decay": 0.1}, grouped=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, config", [("Adam", "betas, eps and decay"), ("AdamW", "strong decay"),
                                          ("Adam", "decoupled decay")])
def test_adam_steps_like_pytorch(steps_like_pytorch, name, config, dtype):
    steps_like_pytorch(name, CONFIGS[name, config], dtype)


def test_adamw_decays_by_default_and_adam_does_not():
    params = nn.Linear(2, 1).parameters()
    assert optim.AdamW(params).defaults["weight_decay"] == 1e-2
    assert optim.Adam(nn.Linear(2, 1).parameters()).defaults["weight_decay"] == 0.0


def test_adamw_is_adam_with_decoupled_decay_in_its_groups_as_in_pytorch(torch):
    ours = optim.AdamW([nn.Parameter(tg.zeros(2))])
    theirs = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))])
    assert ours.param_groups[0]["decoupled_weight_decay"] is theirs.param_groups[0]["decoupled_weight_decay"] is True
    for framework, parameter in ((torch, torch.nn.Parameter(torch.zeros(2))), (tg, nn.Parameter(tg.zeros(2)))):
        with pytest.raises(TypeError, match="decoupled_weight_decay"):  # AdamW's is not an argument
            framework.optim.AdamW([parameter], decoupled_weight_decay=False)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("kwargs", [{"lr": -1e-3}, {"eps": -1.0}, {"betas": (0.9, 1.0)}, {"betas": (-0.1, 0.9)},
                                    {"weight_decay": -0.1}], ids=str)
def test_adam_refuses_what_pytorch_refuses(refused_like_pytorch, name, kwargs):
    refused_like_pytorch(name, **kwargs)
