"""Loss modules: PyTorch's ``nn.CrossEntropyLoss``, ``nn.NLLLoss``, ``nn.BCELoss``,
``nn.BCEWithLogitsLoss``, ``nn.MSELoss``, ``nn.L1Loss``, ``nn.SmoothL1Loss`` and
``nn.HuberLoss``, each a thin Module over its function in ``nn.functional``.

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


def _buffer(value):
    """``value`` as a Tensor for :meth:`~Module.register_buffer` (None stays None)."""
    return value if value is None or isinstance(value, Tensor) else Tensor(value)


class _WeightedLoss(_Loss):
    """A loss with an optional ``weight``, kept as a buffer (in the state dict under
    ``weight``, as in PyTorch)."""

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))


class _ClassLoss(_WeightedLoss):
    """A loss of class indices: a per-class ``weight``, and an ``ignore_index``."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index


class CrossEntropyLoss(_ClassLoss):
    """:func:`~tinygrad_bn.nn.functional.cross_entropy` of (N, C) logits and (N,) class indices."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(weight, ignore_index, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_ClassLoss):
    """:func:`~tinygrad_bn.nn.functional.nll_loss` of (N, C) log-probabilities and (N,) class indices."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """:func:`~tinygrad_bn.nn.functional.mse_loss`: (input − target)², reduced."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """:func:`~tinygrad_bn.nn.functional.l1_loss`: |input − target|, reduced."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """:func:`~tinygrad_bn.nn.functional.smooth_l1_loss`: quadratic below ``beta``, linear above."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """:func:`~tinygrad_bn.nn.functional.huber_loss`: quadratic below ``delta``, linear above."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """:func:`~tinygrad_bn.nn.functional.binary_cross_entropy` of probabilities; a
    ``weight`` broadcasts to the input's shape."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """:func:`~tinygrad_bn.nn.functional.binary_cross_entropy_with_logits`; ``weight``
    and ``pos_weight`` are buffers (in the state dict under those names, as in PyTorch).

    >>> from tinygrad_bn import Tensor
    >>> criterion = BCEWithLogitsLoss(pos_weight=[3.0])
    >>> list(criterion.state_dict()), round(criterion(Tensor([0.0]), [1.0]).item(), 4)  # 3·log 2
    (['pos_weight'], 2.0794)
    """

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", _buffer(pos_weight))

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
