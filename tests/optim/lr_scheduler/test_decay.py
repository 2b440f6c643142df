"""The decay schedules' edge cases (their learning rates are compared with PyTorch's in
test_lr_scheduler.py): MultiStepLR's milestones as PyTorch's state dicts hold them."""

from __future__ import annotations

import collections

import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim
from tinygrad_bn.optim import lr_scheduler


def sgd():
    return optim.SGD([nn.Parameter(tg.zeros(2))], lr=1.0)


def test_multi_step_lr_takes_pytorchs_counter_of_milestones(torch):
    their_optimizer = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=1.0)
    theirs = torch.optim.lr_scheduler.MultiStepLR(their_optimizer, milestones=[6, 2], gamma=0.5)
    state = theirs.state_dict()
    assert isinstance(state["milestones"], collections.Counter)
    ours = lr_scheduler.MultiStepLR(sgd(), milestones=[1])
    ours.load_state_dict(state)
    assert ours.milestones == [2, 6]
    for epoch in range(8):  # the closed form (SequentialLR's restart) counts the milestones passed
        ours.last_epoch = epoch
        assert ours._closed_form() == [0.5 ** ((epoch >= 2) + (epoch >= 6))]


def test_multi_step_lr_refuses_repeated_milestones_from_a_state_dict():
    ours = lr_scheduler.MultiStepLR(sgd(), milestones=[1])
    state = {**ours.state_dict(), "milestones": collections.Counter([3, 5, 5])}
    with pytest.raises(ValueError, match=r"MultiStepLR.load_state_dict: milestones must be increasing, got \[5\] more"):
        ours.load_state_dict(state)
