"""SequentialLR and ChainedScheduler: their state dicts, a restart that also sets the
momentum, and their arguments, against PyTorch."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg


def sgd(framework, momentum=0.0):
    return framework.optim.SGD([framework.nn.Parameter(framework.zeros(2))], lr=0.1, momentum=momentum)


def test_state_dicts_have_pytorchs_keys(torch):
    def states(framework):
        optimizer = sgd(framework)
        schedules = framework.optim.lr_scheduler
        sequential = schedules.SequentialLR(optimizer, [schedules.LinearLR(optimizer), schedules.StepLR(optimizer, 2)],
                                            milestones=[3])
        chained = schedules.ChainedScheduler([schedules.ConstantLR(optimizer), schedules.ExponentialLR(optimizer, 0.9)])
        return sequential.state_dict(), chained.state_dict()

    # PyTorch's extra keys are its bookkeeping of the call order of optimizer.step and scheduler.step
    bookkeeping = {"_step_count", "_get_lr_called_within_step", "_is_initial"}
    for ours, theirs in zip(states(tg), states(torch), strict=True):
        assert set(ours) == set(theirs) - bookkeeping
        assert [set(inner) for inner in ours["_schedulers"]] == [set(inner) - bookkeeping
                                                                 for inner in theirs["_schedulers"]]


def test_a_restart_at_a_milestone_also_sets_the_momentum(torch):
    def curve(framework):
        optimizer = sgd(framework, momentum=0.9)
        schedules = framework.optim.lr_scheduler
        scheduler = schedules.SequentialLR(optimizer, [
            schedules.LinearLR(optimizer, start_factor=0.5, total_iters=4),
            schedules.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=3, base_momentum=0.6),
        ], milestones=[4])
        seen = []
        for _ in range(12):
            seen.append((optimizer.param_groups[0]["lr"], optimizer.param_groups[0]["momentum"]))
            optimizer.step()
            scheduler.step()
        return seen

    ours, theirs = curve(tg), curve(torch)
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def _other_optimizer(schedules, optimizer, framework):
    return [schedules.StepLR(optimizer, 2), schedules.StepLR(sgd(framework), 2)]


@pytest.mark.parametrize("name, arguments, error, words", [
    ("SequentialLR", lambda schedules, optimizer, framework: {"schedulers": [], "milestones": []},
     ValueError, "SequentialLR expects at least one scheduler, got none"),
    ("SequentialLR", lambda schedules, optimizer, framework: {
        "schedulers": [schedules.StepLR(optimizer, 2), schedules.StepLR(optimizer, 3)], "milestones": [2, 4]},
     ValueError, r"SequentialLR: expected 1 milestone\(s\), one fewer than the 2 scheduler\(s\), got 2"),
    ("SequentialLR", lambda schedules, optimizer, framework: {
        "schedulers": _other_optimizer(schedules, optimizer, framework), "milestones": [2]},
     ValueError, r"SequentialLR: schedulers\[1\] \(StepLR\) drives another optimizer than the one given"),
    ("SequentialLR", lambda schedules, optimizer, framework: {
        "schedulers": [schedules.StepLR(optimizer, 2), schedules.ReduceLROnPlateau(optimizer)], "milestones": [2]},
     ValueError, r"schedulers\[1\] is a ReduceLROnPlateau, whose step\(\) needs a metric"),
    ("SequentialLR", lambda schedules, optimizer, framework: {
        "schedulers": [schedules.StepLR(optimizer, 2), "cosine"], "milestones": [2]},
     TypeError, r"SequentialLR: schedulers\[1\] must be a scheduler, got str"),
    ("ChainedScheduler", lambda schedules, optimizer, framework: {"schedulers": []},
     ValueError, "ChainedScheduler expects at least one scheduler, got none"),
    ("ChainedScheduler", lambda schedules, optimizer, framework: {
        "schedulers": _other_optimizer(schedules, optimizer, framework)},
     ValueError, r"ChainedScheduler: schedulers\[1\] \(StepLR\) drives another optimizer"),
    ("ChainedScheduler", lambda schedules, optimizer, framework: {
        "schedulers": [schedules.ReduceLROnPlateau(optimizer)]},
     ValueError, r"ChainedScheduler: schedulers\[0\] is a ReduceLROnPlateau"),
], ids=lambda value: value if isinstance(value, str) and " " not in value else None)
def test_bad_arguments_raise_what_pytorch_raises(torch, name, arguments, error, words):
    for framework in (torch, tg):
        optimizer = sgd(framework)
        schedules = framework.optim.lr_scheduler
        kwargs = arguments(schedules, optimizer, framework)
        if name == "SequentialLR":
            kwargs["optimizer"] = optimizer
        with pytest.raises(error, match=words if framework is tg else None):
            getattr(schedules, name)(**kwargs)
