"""Loss modules: PyTorch's ``nn.CrossEntropyLoss``, ``nn.NLLLoss`` and ``nn.MSELoss``,
each a thin Module over the function of the same name in ``nn.functional``.

>>> from tinygrad_bn import Tensor
>>> criterion = CrossEntropyLoss(label_smoothing=0.1)
>>> criterion
CrossEntropyLoss()
>>> criterion(Tensor([[2.0, 0.0], [0.0, 2.0]]), [0, 1]).shape
()
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.nn import functional as F
from tinygrad_bn.nn.module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in F.REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {F.REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight``, kept as a buffer (in the state
    dict under ``weight``, as in PyTorch)."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        if weight is not None and not isinstance(weight, Tensor):
            weight = Tensor(weight)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index


class CrossEntropyLoss(_WeightedLoss):
    """:func:`~tinygrad_bn.nn.functional.cross_entropy` of (N, C) logits and (N,) class indices."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(weight, ignore_index, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """:func:`~tinygrad_bn.nn.functional.nll_loss` of (N, C) log-probabilities and (N,) class indices."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """:func:`~tinygrad_bn.nn.functional.mse_loss`: (input − target)², reduced."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.mse_loss(input, target, self.reduction)
