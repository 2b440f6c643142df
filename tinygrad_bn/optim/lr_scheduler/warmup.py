"""Warm-up factors: the learning rate times a constant (``ConstantLR``) or a factor
going linearly from one value to another (``LinearLR``) for the first epochs, usually
followed by a decay through :class:`~tinygrad_bn.optim.lr_scheduler.SequentialLR`."""

from __future__ import annotations

from tinygrad_bn.optim.lr_scheduler.base import LRScheduler
from tinygrad_bn.optim.optimizer import Optimizer


class ConstantLR(LRScheduler):
    """η₀·factor for the epochs t < ``total_iters``, then η₀.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = ConstantLR(optimizer, factor=0.5, total_iters=2)
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(optimizer.param_groups[0]["lr"])
    ...     optimizer.step()
    ...     scheduler.step()
    >>> lrs
    [0.5, 0.5, 1.0, 1.0]

    As in PyTorch, it multiplies the current lr: by ``factor`` at epoch 0, by 1/factor at
    epoch ``total_iters``.
    """

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1):
        if not 0.0 <= factor <= 1.0:
            raise ValueError(f"{type(self).__name__}: factor must be in [0, 1], got {factor}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            # η ← η·factor
            return [lr * self.factor for lr in self._current()]
        if self.last_epoch != self.total_iters:
            return self._current()
        # η ← η·(1/factor)
        return [lr * (1.0 / self.factor) for lr in self._current()]

    def _closed_form(self):
        # η = η₀·factor for t < total_iters, η₀ after
        done = self.last_epoch >= self.total_iters
        return [base_lr * (self.factor + done * (1 - self.factor)) for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """η₀·(s + (e − s)·min(t, T)/T): the factor goes linearly from ``start_factor`` s to
    ``end_factor`` e over ``total_iters`` = T epochs, then stays at e.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = LinearLR(optimizer, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(optimizer.param_groups[0]["lr"])
    ...     optimizer.step()
    ...     scheduler.step()
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]

    As in PyTorch, each epoch multiplies the current lr by the ratio of this epoch's
    factor to the last one's: η ← η·(1 + (e − s)/(T·s + (t − 1)·(e − s))).
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):
        name = type(self).__name__
        if not 0.0 < start_factor <= 1.0:
            raise ValueError(f"{name}: start_factor must be in (0, 1], got {start_factor}")
        if not 0.0 <= end_factor <= 1.0:
            raise ValueError(f"{name}: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        s, e, T, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if t == 0:
            # η ← η·s
            return [lr * s for lr in self._current()]
        if self._is_initial or t > T:
            return self._current()
        # η ← η·(1 + (e − s)/(T·s + (t − 1)·(e − s)))
        ratio = 1.0 + (e - s) / (T * s + (t - 1) * (e - s))
        return [lr * ratio for lr in self._current()]

    def _closed_form(self):
        # η = η₀·(s + (e − s)·min(t, T)/T)
        s, e, T = self.start_factor, self.end_factor, self.total_iters
        return [base_lr * (s + (e - s) * min(T, self.last_epoch) / T) for base_lr in self.base_lrs]
