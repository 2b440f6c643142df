"""Cosine annealing: half a cosine from η₀ down to η_min over T_max epochs
(``CosineAnnealingLR``), or over periods that restart at η₀ and may grow
(``CosineAnnealingWarmRestarts``, SGDR: Loshchilov & Hutter)."""

from __future__ import annotations

import math

from tinygrad_bn.optim.lr_scheduler.base import LRScheduler
from tinygrad_bn.optim.optimizer import Optimizer, check_at_least


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

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        check_at_least("T_max", T_max, 1, type(self).__name__)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current()
        return [self._anneal(base_lr, lr) for base_lr, lr in zip(self.base_lrs, self._current(), strict=True)]

    def _anneal(self, base_lr: float, lr: float) -> float:
        """Epoch ``last_epoch``'s learning rate from the previous epoch's ``lr``."""
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:
            # η ← η + (η₀ − η_min)·(1 − cos(π/T))/2
            return lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
        # η ← η_min + (η − η_min)·(1 + cos(πt/T)) / (1 + cos(π(t−1)/T))
        return (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - eta_min) + eta_min

    def _closed_form(self):
        # η = η_min + (η₀ − η_min)·(1 + cos(πt / T_max))/2
        return [cosine(base_lr, self.eta_min, self.last_epoch, self.T_max) for base_lr in self.base_lrs]


def cosine(base_lr: float, eta_min: float, t: float, T: float) -> float:
    # η = η_min + (η₀ − η_min)·(1 + cos(πt/T))/2
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T)) / 2


class CosineAnnealingWarmRestarts(LRScheduler):
    """η_min + (η₀ − η_min)·(1 + cos(π·T_cur/T_i))/2, with T_cur the epochs since the last
    restart and T_i the length of the current period: ``T_0`` epochs at first, each
    next one ``T_mult`` times longer; at each restart the lr is back at η₀.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2)
    >>> lrs = []
    >>> for epoch in range(7):
    ...     lrs.append(round(optimizer.param_groups[0]["lr"], 4))
    ...     optimizer.step()
    ...     scheduler.step()
    >>> lrs
    [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0]

    ``step(epoch)`` sets the epoch, which may be fractional, to step within an epoch as
    PyTorch documents: ``scheduler.step(epoch + i / iterations)`` after batch i.
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1):
        name = type(self).__name__
        if not isinstance(T_0, int) or T_0 < 1:
            raise ValueError(f"{name}: T_0 must be an integer >= 1, got {T_0!r}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"{name}: T_mult must be an integer >= 1, got {T_mult!r}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"{name}: eta_min must be a number, got {type(eta_min).__name__}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [cosine(base_lr, self.eta_min, self.T_cur, self.T_i) for base_lr in self.base_lrs]

    def step(self, epoch=None):
        """Go to the next epoch, or to ``epoch`` (a number >= 0, fractional allowed), and set
        every group's ``lr`` there."""
        if epoch is None and self.last_epoch >= 0:
            self._next_epoch()
        else:
            self._go_to(0 if epoch is None else epoch)
        self._apply(self.get_lr())

    def _next_epoch(self):
        self.last_epoch += 1
        self.T_cur += 1
        if self.T_cur >= self.T_i:  # a restart
            self.T_cur = self.T_cur % self.T_i
            self.T_i = self.T_i * self.T_mult

    def _go_to(self, epoch):
        if epoch < 0:
            raise ValueError(f"{type(self).__name__}.step: epoch must be >= 0, got {epoch}")
        T_0, T_mult = self.T_0, self.T_mult
        if epoch < T_0:
            self.T_i, self.T_cur = T_0, epoch
        elif T_mult == 1:
            self.T_cur = epoch % T_0
        else:
            # the restarts so far: n with T_0·(T_multⁿ − 1)/(T_mult − 1) ≤ epoch
            n = int(math.log(epoch / T_0 * (T_mult - 1) + 1, T_mult))
            self.T_cur = epoch - T_0 * (T_mult**n - 1) / (T_mult - 1)
            self.T_i = T_0 * T_mult**n
        self.last_epoch = math.floor(epoch)
