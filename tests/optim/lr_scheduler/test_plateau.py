"""ReduceLROnPlateau's state dict: PyTorch's keys (default_min_lr and mode_worse among
them), older state dicts without those two, and groups added after the scheduler."""

from __future__ import annotations

import math

import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim
from tinygrad_bn.optim import lr_scheduler

METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.97, 0.8, 0.85, 0.85, 0.9, 0.9]


def plateau(framework, **kwargs):
    optimizer = framework.optim.SGD([framework.nn.Parameter(framework.zeros(2))], lr=1.0)
    return optimizer, framework.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=1, **kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"mode": "max", "min_lr": [0.01]}], ids=["min", "max, min_lr per group"])
def test_state_dict_has_pytorchs_keys_and_values(torch, kwargs):
    states = []
    for framework in (tg, torch):
        optimizer, scheduler = plateau(framework, **kwargs)
        for metric in METRICS[:5]:
            optimizer.step()
            scheduler.step(metric)
        states.append(scheduler.state_dict())
    ours, theirs = states
    assert ours == theirs
    assert ours["mode_worse"] == (-math.inf if kwargs else math.inf)
    assert ours["default_min_lr"] == (None if kwargs else 0.0)


def test_a_state_dict_without_default_min_lr_and_mode_worse_still_loads():
    optimizer, scheduler = plateau(tg, mode="max", min_lr=0.05)
    for metric in METRICS[:4]:
        scheduler.step(metric)
    older = {key: value for key, value in scheduler.state_dict().items() if key not in ("default_min_lr", "mode_worse")}
    resumed_optimizer, resumed = plateau(tg, mode="max", min_lr=0.05)
    resumed.load_state_dict(older)
    resumed_optimizer.load_state_dict(optimizer.state_dict())
    assert (resumed.default_min_lr, resumed.mode_worse) == (0.05, -math.inf)
    for metric in METRICS[4:]:
        for schedule in (scheduler, resumed):
            schedule.step(metric)
        assert resumed.get_last_lr() == scheduler.get_last_lr()
    assert scheduler.get_last_lr() != [1.0]


def test_mode_worse_follows_the_loaded_mode():
    _, scheduler = plateau(tg)
    scheduler.load_state_dict({**plateau(tg, mode="max")[1].state_dict(), "mode_worse": math.inf})
    assert scheduler.mode == "max" and scheduler.mode_worse == -math.inf


@pytest.mark.parametrize("min_lr", [0.3, [0.3]], ids=["one min_lr", "a list of min_lr"])
def test_a_group_added_later_as_in_pytorch(torch, min_lr):
    """One min_lr serves groups added later; a list, one per group, cannot (RuntimeError)."""
    results = []
    for framework in (tg, torch):
        optimizer, scheduler = plateau(framework, min_lr=min_lr)
        optimizer.add_param_group({"params": [framework.nn.Parameter(framework.zeros(1))], "lr": 2.0})
        try:
            for metric in METRICS:
                scheduler.step(metric)
        except RuntimeError:
            results.append("RuntimeError")
        else:
            results.append([group["lr"] for group in optimizer.param_groups])
    assert results[0] == results[1]
    assert results[0] == ("RuntimeError" if isinstance(min_lr, list) else [0.3, 0.3])  # 2.0 stopped at min_lr


def test_the_runtime_error_says_what_to_do():
    optimizer, scheduler = plateau(tg, min_lr=[0.3])
    optimizer.add_param_group({"params": [nn.Parameter(tg.zeros(1))]})
    with pytest.raises(RuntimeError, match=r"has 2 parameter groups, but min_lr was given for 1; set the scheduler's"):
        for metric in METRICS:
            scheduler.step(metric)


def test_a_list_of_min_lr_of_the_wrong_length_is_refused(torch):
    with pytest.raises(ValueError):
        torch.optim.lr_scheduler.ReduceLROnPlateau(torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=1.0),
                                                   min_lr=[0.1, 0.2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau: expected 1 values of min_lr, one per group, got 2"):
        lr_scheduler.ReduceLROnPlateau(optim.SGD([nn.Parameter(tg.zeros(2))], lr=1.0), min_lr=[0.1, 0.2])
