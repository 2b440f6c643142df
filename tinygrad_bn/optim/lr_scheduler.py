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

As in PyTorch, :class:`StepLR`, :class:`MultiStepLR`, :class:`ExponentialLR` and
:class:`CosineAnnealingLR` work from each group's current ``lr``: a step multiplies
it (or anneals it) rather than computing it afresh, so a change made by hand
carries on, two schedulers on one optimizer compose, and a scheduler made for an
optimizer whose state was loaded starts from the loaded ``lr``. Their formulas
below hold when nothing else touches ``lr``. :class:`LambdaLR` and
:class:`OneCycleLR` compute each epoch's ``lr`` from the group's ``initial_lr`` η₀.
To resume, load the scheduler's and the optimizer's state dicts, or pass
``last_epoch``, the last epoch already done, as in PyTorch (the groups must then
hold their ``initial_lr``). ``step(epoch)``, deprecated in PyTorch, is not offered.
:class:`OneCycleLR` also cycles the momentum; :class:`ReduceLROnPlateau` follows a
metric instead of the epoch.
"""

from __future__ import annotations

import math
import types

from tinygrad_bn.optim.optimizer import Optimizer, check_at_least


class LRScheduler:
    """Base class: a subclass writes :meth:`get_lr`, the learning rate of each group
    at epoch ``last_epoch``. The constructor records each group's ``initial_lr``
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
        self._is_initial = True  # the constructor's step: ExponentialLR and CosineAnnealingLR keep lr, as PyTorch's
        self.step()
        del self._is_initial  # back to the class's False, and out of the state dict (older checkpoints load)

    def _take(self, optimizer):
        """Keep ``optimizer`` as the one this scheduler drives; refuse anything else."""
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer

    def get_lr(self) -> list:
        """The learning rate of each parameter group at epoch ``last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def _current(self) -> list:
        """Each group's ``lr`` as it stands."""
        return [group["lr"] for group in self.optimizer.param_groups]

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
        milestones = list(milestones)
        if not all(a < b for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"{type(self).__name__}: milestones must be increasing, got {milestones}")
        self.milestones = milestones
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # η ← η·γ at each milestone, so η = η₀·γ^|{m ∈ milestones : m ≤ t}|
        if self.last_epoch not in self.milestones:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


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

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1):
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
        super().__init__(optimizer, last_epoch)

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


class OneCycleLR(LRScheduler):
    """The 1cycle policy, stepped after every batch: from ``max_lr / div_factor`` up to
    ``max_lr`` over the first ``pct_start`` of ``total_steps``, then down to
    ``max_lr / (div_factor · final_div_factor)`` (with ``three_phase``, back to the start
    first), each phase a half cosine (or a line); the momentum (or Adam's β₁) moves the
    other way between ``max_momentum`` and ``base_momentum``. PyTorch's numbers.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
    >>> scheduler = OneCycleLR(optimizer, max_lr=1.0, total_steps=4, pct_start=0.5)
    >>> lrs = []
    >>> for step in range(4):
    ...     lrs.append(round(optimizer.param_groups[0]["lr"], 4))
    ...     optimizer.step()
    ...     scheduler.step()
    >>> lrs, optimizer.param_groups[0]["momentum"]
    ([0.04, 1.0, 0.5, 0.0], 0.9)
    """

    def __init__(self, optimizer: Optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        name = type(self).__name__
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(f"{name} needs total_steps, or epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        check_at_least("total_steps", total_steps, 1, name)
        if not 0.0 <= pct_start <= 1.0:
            raise ValueError(f"{name}: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.total_steps, self.anneal_strategy, self.cycle_momentum = total_steps, anneal_strategy, cycle_momentum
        up = float(pct_start * total_steps) - 1
        # (last step of the phase, lr from, lr to, momentum from, momentum to)
        self.phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                       (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        if three_phase:
            self.phases[1:] = [(2 * up, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                               (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        groups = optimizer.param_groups
        if cycle_momentum and not {"momentum", "betas"} & set(optimizer.defaults):
            raise ValueError(f"{name}: cycle_momentum needs an optimizer with momentum or betas")
        self.use_beta1 = "betas" in optimizer.defaults
        for group, top, low, high in zip(groups, _per_group(max_lr, groups, "max_lr", name),
                                         _per_group(base_momentum, groups, "base_momentum", name),
                                         _per_group(max_momentum, groups, "max_momentum", name)):
            if last_epoch == -1:
                group.update(initial_lr=top / div_factor, max_lr=top, min_lr=top / div_factor / final_div_factor)
                if cycle_momentum:
                    self._set_momentum(group, high)
            group.update(max_momentum=high, base_momentum=low)
        super().__init__(optimizer, last_epoch)

    def _phase(self):
        """The keys of the phase step ``last_epoch`` is in, and the fraction of it done."""
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"{type(self).__name__}: tried to step {t} times, but total_steps is {self.total_steps}")
        start = 0
        for i, (end, *keys) in enumerate(self.phases):
            if t <= end or i == len(self.phases) - 1:
                return keys, (t - start) / (end - start)
            start = end

    def _anneal(self, start: float, end: float, fraction: float) -> float:
        if self.anneal_strategy == "linear":
            return start + (end - start) * fraction
        # end + (start − end)·(1 + cos(π·fraction))/2
        return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)

    def _set_momentum(self, group: dict, momentum: float):
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self):
        (lr_from, lr_to, _, _), fraction = self._phase()
        return [self._anneal(group[lr_from], group[lr_to], fraction) for group in self.optimizer.param_groups]

    def step(self):
        """Go to the next step: set every group's ``lr``, and its momentum when cycled."""
        super().step()
        if self.cycle_momentum:
            (_, _, m_from, m_to), fraction = self._phase()
            for group in self.optimizer.param_groups:
                self._set_momentum(group, self._anneal(group[m_from], group[m_to], fraction))


def _per_group(value, groups: list, name: str, scheduler: str) -> list:
    """One number for every group, or a list of them, one per group."""
    values = list(value) if isinstance(value, (list, tuple)) else [value] * len(groups)
    if len(values) != len(groups):
        raise ValueError(f"{scheduler}: expected {len(groups)} values of {name}, one per group, got {len(values)}")
    return values


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
    changes it by at most ``eps``), then ``cooldown`` epochs pass before counting again."""

    def __init__(self, optimizer: Optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        name = type(self).__name__
        self._take(optimizer)
        if factor >= 1.0:
            raise ValueError(f"{name}: factor must be < 1.0, got {factor}")
        if mode not in MODES or threshold_mode not in THRESHOLD_MODES:
            raise ValueError(f"{name}: mode must be one of {MODES} and threshold_mode one of {THRESHOLD_MODES}, "
                             f"got {mode!r} and {threshold_mode!r}")
        self.min_lrs = _per_group(min_lr, optimizer.param_groups, "min_lr", name)
        self.mode, self.factor, self.patience, self.threshold = mode, factor, patience, threshold
        self.threshold_mode, self.cooldown, self.eps = threshold_mode, cooldown, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

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
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            new_lr = max(group["lr"] * self.factor, min_lr)
            if group["lr"] - new_lr > self.eps:
                group["lr"] = new_lr
