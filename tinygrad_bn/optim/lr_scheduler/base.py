"""`LRScheduler`: the epoch count, each group's ``initial_lr``, ``step()``, ``get_last_lr()``
and state dicts; and helpers its subclasses share."""

from __future__ import annotations

import types

from tinygrad_bn.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: a subclass writes :meth:`get_lr`, the learning rate of each group
    at epoch ``last_epoch``, and, when the schedule has one, :meth:`_closed_form`, the
    same from ``base_lrs`` alone. The constructor records each group's ``initial_lr``
    (keeping one already there) and takes the step to epoch ``last_epoch + 1``: 0
    for a new schedule, the next epoch of a resumed one (whose groups must hold
    their ``initial_lr``, as in PyTorch)."""

    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        self._take(optimizer)
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}(last_epoch={last_epoch}) resumes a schedule, but param_groups[{i}] has "
                    "no 'initial_lr': set it to the learning rate the schedule started from"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._initial_step()

    def _take(self, optimizer):
        """Keep ``optimizer`` as the one this scheduler drives; refuse anything else."""
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer

    def _initial_step(self):
        """The constructor's step, to the first epoch of the schedule: the schedules that
        multiply the current lr (ExponentialLR, CosineAnnealingLR, ...) keep it, as PyTorch's."""
        self._is_initial = True
        self.step()
        del self._is_initial  # back to the class's False, and out of the state dict (older checkpoints load)

    def get_lr(self) -> list:
        """The learning rate of each parameter group at epoch ``last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def _closed_form(self) -> list:
        """The learning rate of each group at epoch ``last_epoch`` computed from ``base_lrs``
        alone (PyTorch's closed form); a schedule without one gives :meth:`get_lr`."""
        return self.get_lr()

    def _current(self) -> list:
        """Each group's ``lr`` as it stands."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self):
        """Go to the next epoch and set every group's ``lr`` to its value there."""
        self.last_epoch += 1
        self._apply(self.get_lr())

    def _restart(self):
        """Go back to epoch 0, with the closed form's learning rates (what PyTorch's
        :class:`SequentialLR` does to a schedule at its milestone)."""
        self.last_epoch = 0
        self._apply(self._closed_form())

    def _apply(self, lrs: list):
        """Set every group's ``lr`` for epoch ``last_epoch``."""
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = self._current()

    def get_last_lr(self) -> list:
        """The learning rates the last :meth:`step` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Every attribute but the optimizer, for :meth:`load_state_dict`."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict):
        """Take back the attributes :meth:`state_dict` returned."""
        self.__dict__.update(state_dict)


def per_group(value, groups: list, name: str, scheduler: str) -> list:
    """One number for every group, or a list of them, one per group."""
    values = list(value) if isinstance(value, (list, tuple)) else [value] * len(groups)
    if len(values) != len(groups):
        raise ValueError(f"{scheduler}: expected {len(groups)} values of {name}, one per group, got {len(values)}")
    return values


def set_momentum(group: dict, momentum: float, use_beta1: bool):
    """Set a group's momentum: SGD's ``momentum``, or Adam's β₁ (``betas[0]``)."""
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def check_momentum(optimizer: Optimizer, scheduler: str) -> bool:
    """Whether the optimizer's momentum is Adam's β₁ (else SGD's ``momentum``); refuse
    an optimizer with neither, for a schedule that cycles the momentum."""
    if not {"momentum", "betas"} & set(optimizer.defaults):
        raise ValueError(f"{scheduler}: cycle_momentum needs an optimizer with momentum or betas")
    return "betas" in optimizer.defaults


def function_state(function) -> dict | None:
    """What a state dict keeps of a user's function, as PyTorch does: nothing (None) of a
    plain function or lambda, the attributes of a callable object."""
    return None if isinstance(function, types.FunctionType) else dict(function.__dict__)


def check_callable(function, name: str, scheduler: str):
    if not callable(function):
        raise TypeError(f"{scheduler}: {name} must be callable, got {type(function).__name__}")
