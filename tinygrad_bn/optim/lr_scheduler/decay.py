"""Schedules that decay the learning rate with the epoch count: in steps, at milestones,
exponentially, along a polynomial, by any function of the epoch (``LambdaLR``), or by
any factor per epoch (``MultiplicativeLR``)."""

from __future__ import annotations

import bisect

from tinygrad_bn.optim.lr_scheduler.base import LRScheduler, check_callable, function_state
from tinygrad_bn.optim.optimizer import Optimizer, check_at_least


class StepLR(LRScheduler):
    """η₀·γ^⌊t / step_size⌋: the learning rate times ``gamma`` every ``step_size`` epochs.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    >>> for epoch in range(3):
    ...     scheduler.step()
    >>> scheduler.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        check_at_least("step_size", step_size, 1, type(self).__name__)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # η ← η·γ at every step_size-th epoch, so η = η₀·γ^⌊t / step_size⌋
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _closed_form(self):
        # η = η₀·γ^⌊t / step_size⌋
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """η₀·γ^(milestones reached): the learning rate times ``gamma`` at each milestone epoch
    (``milestones`` increasing).

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = MultiStepLR(optimizer, milestones=[1, 3], gamma=0.5)
    >>> for epoch in range(3):
    ...     scheduler.step()
    >>> scheduler.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = _increasing(list(milestones), type(self).__name__)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def load_state_dict(self, state_dict: dict):
        """Take back the attributes :meth:`state_dict` returned; PyTorch's ``milestones``, a
        ``Counter`` of epochs, become the list of them."""
        milestones = state_dict["milestones"]
        if isinstance(milestones, dict):
            repeated = sorted(epoch for epoch, count in milestones.items() if count > 1)
            if repeated:
                raise ValueError(f"{type(self).__name__}.load_state_dict: milestones must be increasing, got "
                                 f"{repeated} more than once")
            milestones = sorted(milestones)
        super().load_state_dict({**state_dict, "milestones": _increasing(list(milestones), type(self).__name__)})

    def get_lr(self):
        # η ← η·γ at each milestone, so η = η₀·γ^|{m ∈ milestones : m ≤ t}|
        if self.last_epoch not in self.milestones:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _closed_form(self):
        # η = η₀·γ^|{m ∈ milestones : m ≤ t}|
        reached = bisect.bisect_right(self.milestones, self.last_epoch)
        return [base_lr * self.gamma**reached for base_lr in self.base_lrs]


def _increasing(milestones: list, scheduler: str) -> list:
    if not all(a < b for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"{scheduler}: milestones must be increasing, got {milestones}")
    return milestones


class ExponentialLR(LRScheduler):
    """η₀·γᵗ: the learning rate times ``gamma`` every epoch.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = ExponentialLR(optimizer, gamma=0.5)
    >>> for epoch in range(3):
    ...     scheduler.step()
    >>> scheduler.get_last_lr()
    [0.125]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # η ← η·γ, so η = η₀·γᵗ
        if self._is_initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _closed_form(self):
        # η = η₀·γᵗ
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """η₀·(1 − min(t, T)/T)^power: from η₀ down to 0 along a polynomial over
    ``total_iters`` = T epochs (a line for ``power=1``), then 0.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = PolynomialLR(optimizer, total_iters=4, power=2.0)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(optimizer.param_groups[0]["lr"])
    ...     optimizer.step()
    ...     scheduler.step()
    >>> lrs
    [1.0, 0.5625, 0.25, 0.0625, 0.0]

    As in PyTorch, each epoch multiplies the current lr: η ← η·((1 − t/T)/(1 − (t − 1)/T))^power.
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T = self.last_epoch, self.total_iters
        if self._is_initial or t > T:
            return self._current()
        # η ← η·((1 − t/T) / (1 − (t − 1)/T))^power
        decay = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [lr * decay for lr in self._current()]

    def _closed_form(self):
        # η = η₀·(1 − min(t, T)/T)^power
        return [base_lr * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
                for base_lr in self.base_lrs]


class _EpochFunctions(LRScheduler):
    """A schedule of ``lr_lambda``: one function of the epoch for every group, or a list of
    them, one per group. As in PyTorch, :meth:`state_dict` keeps no functions: a plain
    function or lambda is saved as None, a callable object as its ``__dict__`` (loaded
    back into the object)."""

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1):
        groups = len(optimizer.param_groups)
        lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(lr_lambdas) != groups:
            raise ValueError(
                f"{type(self).__name__}: expected {groups} lr_lambdas, one per parameter group, got {len(lr_lambdas)}"
            )
        for function in lr_lambdas:
            check_callable(function, "lr_lambda", type(self).__name__)
        self.lr_lambdas = lr_lambdas
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["lr_lambdas"] = [function_state(function) for function in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict):
        super().load_state_dict({key: value for key, value in state_dict.items() if key != "lr_lambdas"})
        for function, saved in zip(self.lr_lambdas, state_dict["lr_lambdas"], strict=True):
            if saved is not None:
                function.__dict__.update(saved)


class LambdaLR(_EpochFunctions):
    """η₀·λ(t): ``lr_lambda`` is one function of the epoch for every group, or a list
    of them, one per group.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = LambdaLR(optimizer, lr_lambda=lambda epoch: 1 / (epoch + 1))
    >>> for epoch in range(3):
    ...     scheduler.step()
    >>> scheduler.get_last_lr()
    [0.25]

    As in PyTorch, :meth:`state_dict` keeps no functions: a plain function or lambda is
    saved as None, a callable object as its ``__dict__`` (loaded back into the object).
    """

    def get_lr(self):
        # η = η₀·λ(t)
        return [base_lr * lr_lambda(self.last_epoch) for base_lr, lr_lambda in zip(self.base_lrs, self.lr_lambdas)]


class MultiplicativeLR(_EpochFunctions):
    """η₀·λ(1)·λ(2)·…·λ(t): each epoch multiplies the current lr by ``lr_lambda`` of the
    epoch, one function for every group or a list of them, one per group.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = MultiplicativeLR(optimizer, lr_lambda=lambda epoch: 0.5 if epoch % 2 else 1.0)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(optimizer.param_groups[0]["lr"])
    ...     optimizer.step()
    ...     scheduler.step()
    >>> lrs
    [1.0, 0.5, 0.5, 0.25, 0.25]

    As :class:`ExponentialLR`, it works from each group's current ``lr``, so a change by
    hand carries on. As in PyTorch, :meth:`state_dict` keeps no functions: a plain
    function or lambda is saved as None, a callable object as its ``__dict__``.
    """

    def get_lr(self):
        # η ← η·λ(t)
        if self._is_initial:
            return self._current()
        return [lr * lr_lambda(self.last_epoch) for lr, lr_lambda in zip(self._current(), self.lr_lambdas)]
