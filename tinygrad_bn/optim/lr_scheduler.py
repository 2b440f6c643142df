"""Learning-rate schedules with PyTorch's names, arguments and numbers.

A scheduler sets every parameter group's ``lr`` for the current epoch. Make it
after the optimizer (it sets the epoch-0 learning rates at once) and call
``step()`` after each epoch's ``optimizer.step()``:

>>> from tinygrad_bn import nn, optim
>>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
>>> scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
>>> lrs = []
>>> for epoch in range(5):
...     lrs.append(optimizer.param_groups[0]["lr"])  # train with it, then:
...     optimizer.step()
...     scheduler.step()
>>> lrs
[1.0, 1.0, 0.5, 0.5, 0.25]

The learning rate of epoch t is a closed form of t and the group's ``initial_lr``
η₀ (CosineAnnealingLR alone follows PyTorch's recursion, to give its numbers), so
a scheduler owns its groups' ``lr``: a change made to it by hand lasts until the
next ``step()``. To resume, load the scheduler's and the optimizer's state dicts
(PyTorch's ``last_epoch`` argument and ``step(epoch)`` are not offered).
"""

from __future__ import annotations

import math
import types
from bisect import bisect_right

from tinygrad_bn.optim.optimizer import Optimizer, check_at_least


class LRScheduler:
    """Base class: a subclass writes :meth:`get_lr`, the learning rate of each group
    at epoch ``last_epoch``. The constructor records each group's ``initial_lr``
    (keeping one already there) and takes the step to epoch 0."""

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()

    def get_lr(self) -> list:
        """The learning rate of each parameter group at epoch ``last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def step(self):
        """Go to the next epoch and set every group's ``lr`` to its value there."""
        self.last_epoch += 1
        self._last_lr = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, self._last_lr, strict=True):
            group["lr"] = lr

    def get_last_lr(self) -> list:
        """The learning rates the last :meth:`step` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Every attribute but the optimizer, for :meth:`load_state_dict`."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict):
        """Take back the attributes :meth:`state_dict` returned."""
        self.__dict__.update(state_dict)


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

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        check_at_least("step_size", step_size, 1, type(self).__name__)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
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

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1):
        milestones = list(milestones)
        if not all(a < b for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"{type(self).__name__}: milestones must be increasing, got {milestones}")
        self.milestones = milestones
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        # η = η₀·γ^|{m ∈ milestones : m ≤ t}|
        return [base_lr * self.gamma ** bisect_right(self.milestones, self.last_epoch) for base_lr in self.base_lrs]


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

    def __init__(self, optimizer: Optimizer, gamma: float):
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        # η = η₀·γᵗ
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """η_min + (η₀ − η_min)·(1 + cos(πt / T_max))/2: half a cosine from η₀ down to
    ``eta_min`` over ``T_max`` epochs, then back up, with period 2·T_max.

    Computed as PyTorch does, from the previous epoch's η (so its numbers, rounding
    included): η ← η_min + (η − η_min)·(1 + cos(πt/T))/(1 + cos(π(t−1)/T)), and at the
    epochs just after a minimum, where that ratio would be 0/0,
    η ← η + (η₀ − η_min)·(1 − cos(π/T))/2.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = CosineAnnealingLR(optimizer, T_max=4)
    >>> for epoch in range(4):
    ...     scheduler.step()
    >>> scheduler.get_last_lr()
    [0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        check_at_least("T_max", T_max, 1, type(self).__name__)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0:
            return list(self.base_lrs)
        return [self._anneal(base_lr, lr) for base_lr, lr in zip(self.base_lrs, self._last_lr, strict=True)]

    def _anneal(self, base_lr: float, lr: float) -> float:
        """Epoch ``last_epoch``'s learning rate from the previous epoch's ``lr``."""
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:
            # η ← η + (η₀ − η_min)·(1 − cos(π/T))/2
            return lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
        # η ← η_min + (η − η_min)·(1 + cos(πt/T)) / (1 + cos(π(t−1)/T))
        return (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - eta_min) + eta_min


class LambdaLR(LRScheduler):
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

    def __init__(self, optimizer: Optimizer, lr_lambda):
        groups = len(optimizer.param_groups)
        lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(lr_lambdas) != groups:
            raise ValueError(
                f"{type(self).__name__}: expected {groups} lr_lambdas, one per parameter group, got {len(lr_lambdas)}"
            )
        for function in lr_lambdas:
            if not callable(function):
                raise TypeError(f"{type(self).__name__}: lr_lambda must be callable, got {type(function).__name__}")
        self.lr_lambdas = lr_lambdas
        super().__init__(optimizer)

    def get_lr(self):
        # η = η₀·λ(t)
        return [base_lr * lr_lambda(self.last_epoch) for base_lr, lr_lambda in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["lr_lambdas"] = [
            None if isinstance(function, types.FunctionType) else dict(function.__dict__)
            for function in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict):
        super().load_state_dict({key: value for key, value in state_dict.items() if key != "lr_lambdas"})
        for function, saved in zip(self.lr_lambdas, state_dict["lr_lambdas"], strict=True):
            if saved is not None:
                function.__dict__.update(saved)

