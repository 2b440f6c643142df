"""``ReduceLROnPlateau``: a schedule that follows a metric instead of the epoch count."""

from __future__ import annotations

import math

from tinygrad_bn.optim.lr_scheduler.base import LRScheduler, per_group
from tinygrad_bn.optim.optimizer import Optimizer

MODES = ("min", "max")
THRESHOLD_MODES = ("rel", "abs")


class ReduceLROnPlateau(LRScheduler):
    """PyTorch's ``ReduceLROnPlateau``: the learning rate times ``factor`` once a metric
    has not improved for ``patience`` epochs.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
    >>> for loss in [1.0, 0.9, 0.95, 0.95, 0.95]:
    ...     scheduler.step(loss)
    >>> scheduler.get_last_lr()
    [0.5]

    After each epoch, ``step(metric)``. A metric better than the best so far by more
    than ``threshold`` (relative: best·(1 ∓ threshold); absolute: best ∓ threshold;
    lower is better in ``mode="min"``) resets the count of bad epochs; when the count
    passes ``patience``, every group's lr becomes max(lr·factor, min_lr) (unless that
    changes it by at most ``eps``), then ``cooldown`` epochs pass before counting again.

    The state dict has PyTorch's keys, ``default_min_lr`` (``min_lr`` when one number was
    given, for groups added later; else None) and ``mode_worse`` (the worst metric: ±inf)
    among them; a state dict without those two, from an older version, still loads.
    """

    def __init__(self, optimizer: Optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        name = type(self).__name__
        self._take(optimizer)
        if factor >= 1.0:
            raise ValueError(f"{name}: factor must be < 1.0, got {factor}")
        if mode not in MODES or threshold_mode not in THRESHOLD_MODES:
            raise ValueError(f"{name}: mode must be one of {MODES} and threshold_mode one of {THRESHOLD_MODES}, "
                             f"got {mode!r} and {threshold_mode!r}")
        self.min_lrs = per_group(min_lr, optimizer.param_groups, "min_lr", name)
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.mode, self.factor, self.patience, self.threshold = mode, factor, patience, threshold
        self.threshold_mode, self.cooldown, self.eps = threshold_mode, cooldown, eps
        self.mode_worse = _worst(mode)
        self.best = self.mode_worse
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self._last_lr = self._current()

    def is_better(self, a: float, best: float) -> bool:
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            # a < best·(1 − threshold) in min mode, a > best·(1 + threshold) in max mode
            return sign * a < sign * best * (1.0 - sign * self.threshold)
        return sign * a < sign * best - self.threshold

    def step(self, metrics):
        """Record this epoch's metric (a number or a one-element tensor); lower the lr on a plateau."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current()

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(self.min_lrs) != len(groups):  # groups were added since
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"{type(self).__name__}: the optimizer has {len(groups)} parameter groups, but min_lr was given "
                    f"for {len(self.min_lrs)}; set the scheduler's min_lrs to one value per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            new_lr = max(group["lr"] * self.factor, min_lr)
            if group["lr"] - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict: dict):
        """Take back the attributes :meth:`state_dict` returned; ``mode_worse`` follows the
        loaded mode, and a state dict without ``default_min_lr`` keeps the constructor's."""
        super().load_state_dict(state_dict)
        self.mode_worse = _worst(self.mode)


def _worst(mode: str) -> float:
    """The worst value of the metric: +inf when lower is better, −inf when higher is."""
    return math.inf if mode == "min" else -math.inf
