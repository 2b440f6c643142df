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

As in PyTorch, :class:`StepLR`, :class:`MultiStepLR`, :class:`ExponentialLR`,
:class:`MultiplicativeLR`, :class:`PolynomialLR`, :class:`ConstantLR`, :class:`LinearLR` and
:class:`CosineAnnealingLR` work from each group's current ``lr``: a step multiplies
it (or anneals it) rather than computing it afresh, so a change made by hand
carries on, two schedulers on one optimizer compose (or chain, with
:class:`ChainedScheduler`), and a scheduler made for an optimizer whose state was
loaded starts from the loaded ``lr``. Their formulas below hold when nothing else
touches ``lr``. :class:`LambdaLR`, :class:`CosineAnnealingWarmRestarts`,
:class:`CyclicLR` and :class:`OneCycleLR` compute each epoch's ``lr`` afresh, from
the group's ``initial_lr`` η₀ (or their own bounds). :class:`SequentialLR` runs
schedules one after another. To resume, load the scheduler's and the optimizer's
state dicts, or pass ``last_epoch``, the last epoch already done, as in PyTorch (the
groups must then hold their ``initial_lr``). ``step(epoch)``, deprecated in PyTorch,
is offered only by :class:`CosineAnnealingWarmRestarts`, where PyTorch documents it
for fractional epochs. :class:`CyclicLR` and :class:`OneCycleLR` also cycle the
momentum; :class:`ReduceLROnPlateau` follows a metric instead of the epoch.

The modules: :mod:`~.base` (the base class), :mod:`~.decay`, :mod:`~.warmup`,
:mod:`~.cosine`, :mod:`~.cyclic`, :mod:`~.combine` and :mod:`~.plateau`.
"""

from tinygrad_bn.optim.lr_scheduler.base import LRScheduler
from tinygrad_bn.optim.lr_scheduler.combine import ChainedScheduler, SequentialLR
from tinygrad_bn.optim.lr_scheduler.cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from tinygrad_bn.optim.lr_scheduler.cyclic import CyclicLR, OneCycleLR
from tinygrad_bn.optim.lr_scheduler.decay import (
    ExponentialLR,
    LambdaLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from tinygrad_bn.optim.lr_scheduler.plateau import ReduceLROnPlateau
from tinygrad_bn.optim.lr_scheduler.warmup import ConstantLR, LinearLR

__all__ = [
    "ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
    "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR", "MultiplicativeLR", "OneCycleLR",
    "PolynomialLR", "ReduceLROnPlateau", "SequentialLR", "StepLR",
]


class _LRScheduler(LRScheduler):
    """PyTorch's older name for the base class, kept (as PyTorch keeps it) as a subclass of
    :class:`LRScheduler` that changes nothing, for schedulers written against it."""
