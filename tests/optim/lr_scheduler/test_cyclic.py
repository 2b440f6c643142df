"""CyclicLR's momentum (SGD's momentum or Adam's β₁) against PyTorch, what its state dict
keeps of a scale function, and an optimizer without momentum."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim
from tinygrad_bn.optim import lr_scheduler


class Halving:
    """A callable object as scale_fn: its attributes are what the state dict keeps."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, cycle):
        return self.rate ** (cycle - 1)


@pytest.mark.parametrize("optimizer, kwargs", [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("Adam", {"lr": 0.1, "betas": (0.8, 0.99)}),
], ids=["SGD momentum", "Adam beta1"])
@pytest.mark.parametrize("cycle", [
    {"mode": "triangular"},
    {"mode": "exp_range", "gamma": 0.95, "base_momentum": [0.7, 0.75], "max_momentum": 0.9},
    {"scale_fn": Halving(0.5), "step_size_down": 1},
], ids=["triangular", "exp_range, momentum per group", "scale_fn"])
def test_momentum_cycles_as_in_pytorch(torch, optimizer, kwargs, cycle):
    def curve(framework):
        params = [{"params": [framework.nn.Parameter(framework.zeros(2))]},
                  {"params": [framework.nn.Parameter(framework.zeros(2))], "lr": 0.5}]
        o = getattr(framework.optim, optimizer)(params, **kwargs)
        schedule = framework.optim.lr_scheduler.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, **cycle)
        seen = []
        for _ in range(20):
            seen.append([(group["lr"], group["momentum"] if "momentum" in group else group["betas"][0])
                         for group in o.param_groups])
            o.step()
            schedule.step()
        return seen

    ours, theirs = curve(tg), curve(torch)
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert len({momentum for epoch in ours for _, momentum in epoch}) > 2


def cyclic(scale_fn):
    optimizer = optim.SGD([nn.Parameter(tg.zeros(2))], lr=0.1)
    return lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=scale_fn,
                                 cycle_momentum=False)


def test_state_dict_keeps_the_attributes_of_a_callable_scale_fn_and_nothing_of_a_function():
    scheduler = cyclic(Halving(0.5))
    for _ in range(5):
        scheduler.step()
    state = scheduler.state_dict()
    assert state["_scale_fn_custom"] == {"rate": 0.5}
    resumed = cyclic(Halving(0.9))
    resumed.load_state_dict(state)
    assert resumed._scale_fn_custom.rate == 0.5 and resumed.last_epoch == 5
    assert resumed.get_last_lr() == scheduler.get_last_lr()
    assert cyclic(lambda cycle: 1.0).state_dict()["_scale_fn_custom"] is None
    assert cyclic(None).state_dict()["_scale_fn_custom"] is None


def test_cycling_the_momentum_needs_an_optimizer_with_one(torch):
    with pytest.raises(ValueError):
        torch.optim.lr_scheduler.CyclicLR(torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(2))]), 0.01, 0.1)
    with pytest.raises(ValueError, match="CyclicLR: cycle_momentum needs an optimizer with momentum or betas"):
        lr_scheduler.CyclicLR(optim.Adagrad([nn.Parameter(tg.zeros(2))]), 0.01, 0.1)
    lr_scheduler.CyclicLR(optim.Adagrad([nn.Parameter(tg.zeros(2))]), 0.01, 0.1, cycle_momentum=False)


@pytest.mark.parametrize("kwargs, words", [
    ({"mode": "cosine"}, r"CyclicLR: mode must be one of \('triangular', 'triangular2', 'exp_range'\), "
                         "or scale_fn given, got mode='cosine'"),
    ({"base_lr": [0.01, 0.02]}, "CyclicLR: expected 1 values of base_lr, one per group, got 2"),
    ({"max_lr": [0.1, 0.2, 0.3]}, "CyclicLR: expected 1 values of max_lr, one per group, got 3"),
    ({"base_momentum": [0.8, 0.85]}, "CyclicLR: expected 1 values of base_momentum, one per group, got 2"),
])
def test_bad_arguments_raise_what_pytorch_raises(torch, kwargs, words):
    for framework in (torch, tg):
        optimizer = framework.optim.SGD([framework.nn.Parameter(framework.zeros(2))], lr=0.1, momentum=0.9)
        with pytest.raises(ValueError, match=words if framework is tg else None):
            framework.optim.lr_scheduler.CyclicLR(optimizer, **{"base_lr": 0.01, "max_lr": 0.1, **kwargs})


def test_an_unknown_scale_mode_is_refused():
    """PyTorch takes any scale_mode, and treats all but "cycle" as "iterations"."""
    with pytest.raises(ValueError, match=r"scale_mode must be one of \('cycle', 'iterations'\), got 'iteration'"):
        lr_scheduler.CyclicLR(optim.SGD([nn.Parameter(tg.zeros(2))], lr=0.1), 0.01, 0.1, scale_fn=abs,
                              scale_mode="iteration")
