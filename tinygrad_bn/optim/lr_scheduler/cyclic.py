"""Schedules stepped after every batch that cycle the learning rate, and the momentum
the other way: one cycle (``OneCycleLR``, Smith & Topin) or repeated triangles
(``CyclicLR``, Smith)."""

from __future__ import annotations

import math

from tinygrad_bn.optim.lr_scheduler.base import (
    LRScheduler,
    check_callable,
    check_momentum,
    function_state,
    per_group,
    set_momentum,
)
from tinygrad_bn.optim.optimizer import Optimizer, check_at_least


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
        self.use_beta1 = check_momentum(optimizer, name) if cycle_momentum else "betas" in optimizer.defaults
        for group, top, low, high in zip(groups, per_group(max_lr, groups, "max_lr", name),
                                         per_group(base_momentum, groups, "base_momentum", name),
                                         per_group(max_momentum, groups, "max_momentum", name)):
            if last_epoch == -1:
                group.update(initial_lr=top / div_factor, max_lr=top, min_lr=top / div_factor / final_div_factor)
                if cycle_momentum:
                    set_momentum(group, high, self.use_beta1)
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

    def get_lr(self):
        (lr_from, lr_to, _, _), fraction = self._phase()
        return [self._anneal(group[lr_from], group[lr_to], fraction) for group in self.optimizer.param_groups]

    def _apply(self, lrs: list):
        """Set every group's ``lr``, and its momentum when cycled."""
        super()._apply(lrs)
        if self.cycle_momentum:
            (_, _, m_from, m_to), fraction = self._phase()
            for group in self.optimizer.param_groups:
                set_momentum(group, self._anneal(group[m_from], group[m_to], fraction), self.use_beta1)


MODES = ("triangular", "triangular2", "exp_range")
SCALE_MODES = ("cycle", "iterations")


class CyclicLR(LRScheduler):
    """Cyclical learning rates, stepped after every batch: triangles from ``base_lr`` up to
    ``max_lr`` in ``step_size_up`` steps and back down in ``step_size_down`` (by default
    the same), their height scaled by ``mode``: the same every cycle ("triangular"),
    halved every cycle ("triangular2"), or times ``gamma`` every step ("exp_range"), or
    by ``scale_fn`` of the cycle (counted from 1) or of the step (``scale_mode``). The
    momentum (or Adam's β₁) goes the other way between ``max_momentum`` and
    ``base_momentum``.

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
    >>> scheduler = CyclicLR(optimizer, base_lr=0.1, max_lr=0.5, step_size_up=2, mode="triangular2")
    >>> lrs = []
    >>> for step in range(9):
    ...     lrs.append(round(optimizer.param_groups[0]["lr"], 4))
    ...     optimizer.step()
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.3, 0.5, 0.3, 0.1, 0.2, 0.3, 0.2, 0.1]

    With x the fraction of the cycle done and r = step_size_up/(step_size_up + step_size_down),
    the height is x/r going up and (1 − x)/(1 − r) going down, and
    η = η_base + (η_max − η_base)·height·scale, m = m_max − (m_max − m_base)·height·scale.
    """

    def __init__(self, optimizer: Optimizer, base_lr, max_lr, step_size_up: int = 2000, step_size_down=None,
                 mode: str = "triangular", gamma: float = 1.0, scale_fn=None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum=0.8, max_momentum=0.9, last_epoch: int = -1):
        name = type(self).__name__
        self._take(optimizer)
        groups = optimizer.param_groups
        if scale_fn is None and mode not in MODES:
            raise ValueError(f"{name}: mode must be one of {MODES}, or scale_fn given, got mode={mode!r}")
        if scale_fn is not None:
            check_callable(scale_fn, "scale_fn", name)
            if scale_mode not in SCALE_MODES:
                raise ValueError(f"{name}: scale_mode must be one of {SCALE_MODES}, got {scale_mode!r}")
        base_lrs = per_group(base_lr, groups, "base_lr", name)
        if last_epoch == -1:
            for group, lr in zip(groups, base_lrs):
                group["lr"] = lr
        self.max_lrs = per_group(max_lr, groups, "max_lr", name)
        up = float(step_size_up)
        down = up if step_size_down is None else float(step_size_down)
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode, self.gamma, self._scale_fn_custom = mode, gamma, scale_fn
        if scale_fn is None:  # the mode decides: per cycle, but exp_range per step
            scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.scale_mode = scale_mode
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._start_momentum(optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _start_momentum(self, optimizer: Optimizer, base_momentum, max_momentum, last_epoch: int):
        name = type(self).__name__
        groups = optimizer.param_groups
        self.use_beta1 = check_momentum(optimizer, name)
        self.base_momentums = per_group(base_momentum, groups, "base_momentum", name)
        self.max_momentums = per_group(max_momentum, groups, "max_momentum", name)
        if last_epoch == -1:
            for group, low, high in zip(groups, self.base_momentums, self.max_momentums):
                set_momentum(group, high, self.use_beta1)
                group.update(max_momentum=high, base_momentum=low)

    def _height(self) -> tuple[float, float]:
        """How far up the triangle step ``last_epoch`` is, times the scale: 0 at the ends
        of a cycle, the scale at its peak."""
        # the cycle, from 1, and the fraction x of it done
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        rise = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        return rise, self._scale(cycle if self.scale_mode == "cycle" else self.last_epoch)

    def _scale(self, x) -> float:
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            # 1/2^(cycle − 1)
            return 1 / (2.0 ** (x - 1))
        # γ^step
        return self.gamma**x

    def get_lr(self):
        rise, scale = self._height()
        # η = η_base + (η_max − η_base)·rise·scale
        return [base + (top - base) * rise * scale for base, top in zip(self.base_lrs, self.max_lrs, strict=True)]

    def _apply(self, lrs: list):
        """Set every group's ``lr``, and its momentum when cycled."""
        super()._apply(lrs)
        if self.cycle_momentum:
            rise, scale = self._height()
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                # m = m_max − (m_max − m_base)·rise·scale
                set_momentum(group, high - (high - low) * rise * scale, self.use_beta1)

    def state_dict(self) -> dict:
        """Every attribute but the optimizer; of ``scale_fn``, as in PyTorch, nothing (a
        function) or its attributes (a callable object)."""
        state = super().state_dict()
        function = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None if function is None else function_state(function)
        return state

    def load_state_dict(self, state_dict: dict):
        saved = state_dict.get("_scale_fn_custom")
        super().load_state_dict({key: value for key, value in state_dict.items() if key != "_scale_fn_custom"})
        if saved is not None:
            self._scale_fn_custom.__dict__.update(saved)
