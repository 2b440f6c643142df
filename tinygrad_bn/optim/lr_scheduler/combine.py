"""Schedules made of schedules: one after another (``SequentialLR``) or all at once
(``ChainedScheduler``)."""

from __future__ import annotations

import bisect

from tinygrad_bn.optim.lr_scheduler.base import LRScheduler
from tinygrad_bn.optim.lr_scheduler.plateau import ReduceLROnPlateau
from tinygrad_bn.optim.optimizer import Optimizer


def _check_schedulers(composite: str, schedulers, optimizer) -> list:
    """The schedulers as a list, each a stepped schedule of ``optimizer``."""
    schedulers = list(schedulers)
    if not schedulers:
        raise ValueError(f"{composite} expects at least one scheduler, got none")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{composite}: schedulers[{i}] must be a scheduler, got {type(scheduler).__name__}")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{composite}: schedulers[{i}] is a ReduceLROnPlateau, whose step() needs a metric; "
                             "step it on its own")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{composite}: schedulers[{i}] ({type(scheduler).__name__}) drives another optimizer "
                             "than the one given; every scheduler must drive the same optimizer")
    return schedulers


class _Composite(LRScheduler):
    """What both composites share: their schedulers' state dicts inside their own."""

    def state_dict(self) -> dict:
        """Every attribute but the optimizer, the schedulers as their state dicts."""
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict):
        super().load_state_dict({key: value for key, value in state_dict.items() if key != "_schedulers"})
        for scheduler, saved in zip(self._schedulers, state_dict["_schedulers"], strict=True):
            scheduler.load_state_dict(saved)


class SequentialLR(_Composite):
    """``schedulers[0]`` until epoch ``milestones[0]``, then ``schedulers[1]`` from its own
    epoch 0, and so on: a warm-up then a decay, for instance.

    >>> from tinygrad_bn import nn, optim
    >>> from tinygrad_bn.optim.lr_scheduler import ExponentialLR, LinearLR
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> warmup = LinearLR(optimizer, start_factor=0.25, total_iters=3)
    >>> decay = ExponentialLR(optimizer, gamma=0.5)
    >>> scheduler = SequentialLR(optimizer, schedulers=[warmup, decay], milestones=[3])
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(optimizer.param_groups[0]["lr"])
    ...     optimizer.step()
    ...     scheduler.step()
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 0.5, 0.25]

    As in PyTorch, the constructor puts every group's lr back at its ``initial_lr``, takes
    back the step each scheduler's constructor took, and starts the first one; at a
    milestone the next one restarts at epoch 0 with its closed form (η₀·γ⁰ above).
    """

    def __init__(self, optimizer: Optimizer, schedulers, milestones, last_epoch: int = -1):
        name = type(self).__name__
        self._take(optimizer)
        schedulers = _check_schedulers(name, schedulers, optimizer)
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{name}: expected {len(schedulers) - 1} milestone(s), one fewer than the "
                             f"{len(schedulers)} scheduler(s), got {len(milestones)}")
        self._schedulers, self._milestones = schedulers, milestones
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in schedulers:
            _undo_step(scheduler)
        first = schedulers[bisect.bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self):
        """Go to the next epoch: step the scheduler whose turn it is, or restart it at its milestone."""
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._restart()
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


def _undo_step(scheduler):
    """Take back the epoch a scheduler's constructor stepped to (inside composites too)."""
    if hasattr(scheduler, "_schedulers"):
        for inner in scheduler._schedulers:
            _undo_step(inner)
    elif hasattr(scheduler, "last_epoch"):
        scheduler.last_epoch -= 1


class ChainedScheduler(_Composite):
    """Every scheduler in ``schedulers`` stepped at each ``step()``, in turn, so their
    changes of the lr compound.

    >>> from tinygrad_bn import nn, optim
    >>> from tinygrad_bn.optim.lr_scheduler import ConstantLR, ExponentialLR
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = ChainedScheduler([ConstantLR(optimizer, factor=0.5, total_iters=2),
    ...                               ExponentialLR(optimizer, gamma=0.5)])
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(optimizer.param_groups[0]["lr"])
    ...     optimizer.step()
    ...     scheduler.step()
    >>> lrs
    [0.5, 0.25, 0.25, 0.125]
    """

    def __init__(self, schedulers, optimizer: Optimizer | None = None):
        schedulers = list(schedulers)
        if optimizer is None and schedulers:
            optimizer = schedulers[0].optimizer
        self._schedulers = _check_schedulers(type(self).__name__, schedulers, optimizer)
        self.optimizer = optimizer
        self._last_lr = self._current()

    def step(self):
        """Step every scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current()
