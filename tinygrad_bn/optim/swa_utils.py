"""Weight averaging, as PyTorch's ``torch.optim.swa_utils``: :class:`AveragedModel` keeps a
running average of a model's parameters (stochastic weight averaging, SWA, or an
exponential moving average, EMA), :func:`update_bn` recomputes the BatchNorm statistics
of the averaged weights, and :class:`SWALR` anneals the learning rate to a constant.

The averages, for the n-th model W_n (n counted from 0), of the averaged W̄:

    W̄_0 = W_0
    SWA:  W̄_n = W̄_{n−1} + (W_n − W̄_{n−1}) / (n + 1)      (the mean of W_0 … W_n)
    EMA:  W̄_n = decay · W̄_{n−1} + (1 − decay) · W_n

>>> from tinygrad_bn import nn, optim, randn
>>> model = nn.Linear(3, 1)
>>> swa_model = optim.swa_utils.AveragedModel(model)
>>> optimizer = optim.SGD(model.parameters(), lr=0.1)
>>> scheduler = optim.swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=2)
>>> for epoch in range(3):
...     loss = (model(randn(8, 3)) ** 2).mean()
...     loss.backward()
...     optimizer.step()
...     optimizer.zero_grad()
...     swa_model.update_parameters(model)
...     scheduler.step()
>>> int(swa_model.n_averaged), round(optimizer.param_groups[0]["lr"], 6)
(3, 0.05)
>>> sorted(swa_model.state_dict())
['module.bias', 'module.weight', 'n_averaged']
"""

from __future__ import annotations

import copy
import itertools
import math

from tinygrad_bn.autograd.function import no_grad
from tinygrad_bn.autograd.tensor import Tensor
from tinygrad_bn.nn.batchnorm import _BatchNorm
from tinygrad_bn.nn.module import Module
from tinygrad_bn.optim.lr_scheduler.base import LRScheduler, per_group
from tinygrad_bn.optim.optimizer import Optimizer


def _check_decay(decay: float):
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay must be in [0, 1], got {decay}")


def get_ema_avg_fn(decay: float = 0.999):
    """The EMA of one tensor: ``fn(averaged, current, n_averaged)`` returns
    decay · averaged + (1 − decay) · current.

    >>> from tinygrad_bn import tensor
    >>> get_ema_avg_fn(0.75)(tensor([4.0]), tensor([8.0]), 1).tolist()
    [5.0]
    """
    _check_decay(decay)

    def ema_update(averaged: Tensor, current: Tensor, n_averaged):
        with no_grad():
            return decay * averaged + (1 - decay) * current

    return ema_update


def get_swa_avg_fn():
    """The SWA of one tensor: ``fn(averaged, current, n)`` returns the mean of the n
    models already averaged and the current one, averaged + (current − averaged) / (n + 1).

    >>> from tinygrad_bn import tensor
    >>> get_swa_avg_fn()(tensor([4.0]), tensor([8.0]), 3).tolist()
    [5.0]
    """

    def swa_update(averaged: Tensor, current: Tensor, n_averaged):
        with no_grad():
            return averaged + (current - averaged) / (n_averaged + 1)

    return swa_update


def _in_place(update, weight):
    """A function over lists of tensors that moves each averaged float tensor towards the
    current one by ``weight(n_averaged)`` (a lerp, as PyTorch's), and sets any other to
    ``update(averaged, current, n_averaged)``."""

    def multi_update(averaged_list: list, current_list: list, n_averaged):
        with no_grad():
            for averaged, current in zip(averaged_list, current_list, strict=True):
                if averaged.is_floating_point():
                    averaged.lerp_(current, weight(n_averaged))
                else:
                    averaged.copy_(update(averaged, current, n_averaged))

    return multi_update


def get_ema_multi_avg_fn(decay: float = 0.999):
    """The EMA of lists of tensors, in place: ``fn(averaged_list, current_list, n_averaged)``
    sets each averaged tensor to decay · averaged + (1 − decay) · current."""
    return _in_place(get_ema_avg_fn(decay), lambda n_averaged: 1 - decay)


def get_swa_multi_avg_fn():
    """The SWA of lists of tensors, in place: ``fn(averaged_list, current_list, n)`` sets
    each averaged tensor to averaged + (current − averaged) / (n + 1). As in PyTorch, the
    weight 1 / (n + 1) of an int64 ``n`` is a float32 number."""
    return _in_place(get_swa_avg_fn(), lambda n_averaged: float(1 / (n_averaged + 1)))


class AveragedModel(Module):
    """A copy of ``model`` whose parameters :meth:`update_parameters` averages with those
    of ``model``; calling it runs the copy. ``n_averaged`` (a buffer, int64) counts the
    models averaged so far; the first is copied as it is.

    The average is SWA's unless ``avg_fn`` (per tensor: ``fn(averaged, current,
    n_averaged)`` returns the new average) or ``multi_avg_fn`` (per list of tensors,
    updating the averaged ones in place) says otherwise: :func:`get_ema_avg_fn` and
    :func:`get_ema_multi_avg_fn` give an EMA. With ``use_buffers`` the buffers (the
    BatchNorm statistics) are averaged too; without, they are copied from ``model``.
    ``device`` moves the copy there.
    """

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None, use_buffers: bool = False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel takes avg_fn or multi_avg_fn, not both")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", Tensor(0, dtype="int64", device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _averaged(self, model: Module) -> tuple:
        """The tensors averaged: the copy's and ``model``'s, in the same order."""
        if self.use_buffers:
            return (list(itertools.chain(self.module.parameters(), self.module.buffers())),
                    list(itertools.chain(model.parameters(), model.buffers())))
        return list(self.module.parameters()), list(model.parameters())

    def update_parameters(self, model: Module):
        """Average ``model``'s parameters into the copy's (copy them, the first time)."""
        averaged, current = self._averaged(model)
        with no_grad():
            current = [c.detach().to(a.device) for a, c in zip(averaged, current, strict=False)]
            averaged = [a.detach() for a in averaged[:len(current)]]
            n_averaged = int(self.n_averaged)
            if n_averaged == 0:
                for a, c in zip(averaged, current, strict=True):
                    a.copy_(c)
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(averaged, current, self.n_averaged)
            else:
                update = self.avg_fn or get_swa_avg_fn()
                for a, c in zip(averaged, current, strict=True):
                    a.copy_(update(a, c, self.n_averaged))
            if not self.use_buffers:
                for mine, theirs in zip(self.module.buffers(), model.buffers(), strict=True):
                    mine.copy_(theirs.detach().to(mine.device))
            self.n_averaged.add_(1)


def update_bn(loader, model: Module, device=None):
    """Recompute the running statistics of every BatchNorm layer of ``model`` in one pass
    over ``loader``: each layer's statistics are reset and, with its momentum set to None
    for the pass, become the plain mean over the batches (put back afterwards, with the
    model's training mode). A batch is a tensor or a list or tuple whose first element is
    the input; ``device`` moves it there first.

    >>> from tinygrad_bn import nn, randn
    >>> model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    >>> update_bn([randn(4, 2), randn(4, 2)], model)
    >>> int(model[1].num_batches_tracked), model[1].momentum
    (2, 0.1)
    """
    momenta = {layer: layer.momentum for layer in model.modules() if isinstance(layer, _BatchNorm)}
    if not momenta:
        return
    was_training = model.training
    model.train()
    for layer in momenta:
        layer.reset_running_stats()
        layer.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for layer, momentum in momenta.items():
        layer.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate from its current value to ``swa_lr`` (a number,
    or one per group) over ``anneal_epochs`` steps, then hold it there. At step s after
    the scheduler is made, with t = clip(s / anneal_epochs, 0, 1) and α(t) = (1 − cos πt)/2
    (``anneal_strategy="cos"``) or t (``"linear"``):

        η_s = α(t) · swa_lr + (1 − α(t)) · η₀

    where η₀, the rate the annealing started from, is recovered each step from the
    group's current ``lr`` (so a rate changed by hand carries on, as in PyTorch).

    >>> from tinygrad_bn import nn, optim
    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = SWALR(optimizer, swa_lr=0.5, anneal_epochs=2, anneal_strategy="linear")
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(optimizer.param_groups[0]["lr"])
    ...     optimizer.step()
    ...     scheduler.step()
    >>> lrs
    [1.0, 0.75, 0.5, 0.5]
    """

    def __init__(self, optimizer: Optimizer, swa_lr, anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1):
        self._take(optimizer)
        groups = optimizer.param_groups
        for group, lr in zip(groups, per_group(swa_lr, groups, "swa_lr", "SWALR"), strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"SWALR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"SWALR: anneal_epochs must be an int ≥ 0, got {anneal_epochs!r}")
        self.anneal_strategy = anneal_strategy
        self.anneal_epochs = anneal_epochs
        self._first_epoch = last_epoch + 1  # the epoch of the constructor's step: step s = 0
        super().__init__(optimizer, last_epoch)

    def _alpha(self, step: int) -> float:
        """α(t), the weight of ``swa_lr``, at ``step``."""
        t = max(0.0, min(1.0, step / max(1, self.anneal_epochs)))
        return t if self.anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    def get_lr(self) -> list:
        step = self.last_epoch - self._first_epoch
        if self.anneal_epochs == 0:
            step = max(1, step)
        previous, alpha = self._alpha(step - 1), self._alpha(step)
        lrs = []
        for group in self.optimizer.param_groups:
            swa_lr = group["swa_lr"]
            # η₀ from the last step's η = α' · swa_lr + (1 − α') · η₀
            start = swa_lr if previous == 1 else (group["lr"] - previous * swa_lr) / (1 - previous)
            lrs.append(alpha * swa_lr + (1 - alpha) * start)
        return lrs
