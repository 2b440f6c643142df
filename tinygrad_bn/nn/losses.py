"""Loss modules: PyTorch's ``nn.CrossEntropyLoss``, ``nn.NLLLoss``, ``nn.BCELoss``,
``nn.BCEWithLogitsLoss``, ``nn.MSELoss``, ``nn.L1Loss``, ``nn.SmoothL1Loss`` and
``nn.HuberLoss``; the losses of distributions ``nn.KLDivLoss``, ``nn.PoissonNLLLoss``
and ``nn.GaussianNLLLoss``; and the margin losses ``nn.CosineEmbeddingLoss``,
``nn.MarginRankingLoss``, ``nn.HingeEmbeddingLoss``, ``nn.SoftMarginLoss``,
``nn.MultiLabelSoftMarginLoss``, ``nn.MultiMarginLoss``, ``nn.MultiLabelMarginLoss``,
``nn.TripletMarginLoss`` and ``nn.TripletMarginWithDistanceLoss``. Each is a thin
Module over its function in ``nn.functional``; the options are attributes named as
PyTorch's, and a ``weight`` is a buffer.

>>> from tinygrad_bn import Tensor
>>> criterion = CrossEntropyLoss(label_smoothing=0.1)
>>> criterion
CrossEntropyLoss()
>>> criterion(Tensor([[2.0, 0.0], [0.0, 2.0]]), [0, 1]).shape
()
"""

from __future__ import annotations

import warnings

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.nn import functional as F
from tinygrad_bn.nn.distance import PairwiseDistance
from tinygrad_bn.nn.loss_helpers import REDUCTIONS
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.probabilistic_losses import KL_REDUCTIONS


class _Loss(Module):
    reductions = REDUCTIONS

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in self.reductions:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {self.reductions}, got {reduction!r}")
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


class NLLLoss2d(NLLLoss):
    """PyTorch's deprecated name of :class:`NLLLoss`, which takes (N, C, H, W) log-probabilities
    and (N, H, W) targets itself; making one warns, as PyTorch's does."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement and "
                      "see https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.",
                      FutureWarning, stacklevel=2)
        super().__init__(weight, ignore_index, reduction)


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



# Losses of distributions -------------------------------------------------------------------


class KLDivLoss(_Loss):
    """:func:`~tinygrad_bn.nn.functional.kl_div` of log-probabilities and a target
    distribution; ``reduction="batchmean"`` gives the divergence per sample."""

    reductions = KL_REDUCTIONS

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """:func:`~tinygrad_bn.nn.functional.poisson_nll_loss` of (log-)rates and counts."""

    def __init__(self, log_input: bool = True, full: bool = False, eps: float = 1e-8, reduction: str = "mean"):
        super().__init__(reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps,
                                  reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """:func:`~tinygrad_bn.nn.functional.gaussian_nll_loss` of means, targets and variances."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):  # noqa: A002 - PyTorch's argument name
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


# Margin losses -----------------------------------------------------------------------------


class _MarginLoss(_Loss):
    def __init__(self, margin: float, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin


class CosineEmbeddingLoss(_MarginLoss):
    """:func:`~tinygrad_bn.nn.functional.cosine_embedding_loss` of pairs labelled 1 (alike) or −1."""

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(margin, reduction)

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class MarginRankingLoss(_MarginLoss):
    """:func:`~tinygrad_bn.nn.functional.margin_ranking_loss` of pairs of scores and ±1 orders."""

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(margin, reduction)

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """:func:`~tinygrad_bn.nn.functional.hinge_embedding_loss` of distances and ±1 labels."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__(margin, reduction)

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """:func:`~tinygrad_bn.nn.functional.soft_margin_loss`: the logistic loss of scores and ±1 labels."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """:func:`~tinygrad_bn.nn.functional.multilabel_soft_margin_loss` of class scores
    and 0/1 targets; ``weight`` (C,) weighs each class."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """:func:`~tinygrad_bn.nn.functional.multi_margin_loss` of (N, C) scores and class
    indices; ``weight`` (C,) weighs each target class.

    >>> MultiMarginLoss(p=3)
    Traceback (most recent call last):
    ...
    ValueError: MultiMarginLoss supports p = 1 or p = 2, got p=3
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, reduction: str = "mean"):
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss supports p = 1 or p = 2, got p={p!r}")
        super().__init__(weight, reduction)
        if self.weight is not None and self.weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss expects a weight of one number per class, got shape {self.weight.shape}")
        self.p, self.margin = p, margin

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """:func:`~tinygrad_bn.nn.functional.multilabel_margin_loss` of (N, C) scores and
    rows of target classes ended by −1."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class _TripletLoss(_MarginLoss):
    def __init__(self, margin: float, swap: bool, reduction: str):
        if margin <= 0:
            raise ValueError(f"{type(self).__name__} expects a margin greater than 0, got {margin}")
        super().__init__(margin, reduction)
        self.swap = swap


class TripletMarginLoss(_TripletLoss):
    """:func:`~tinygrad_bn.nn.functional.triplet_margin_loss` of anchors, positives and negatives."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 reduction: str = "mean"):
        super().__init__(margin, swap, reduction)
        self.p, self.eps = p, eps

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
                                     reduction=self.reduction)


class TripletMarginWithDistanceLoss(_TripletLoss):
    """:func:`~tinygrad_bn.nn.functional.triplet_margin_with_distance_loss` with a
    ``distance_function`` (a :class:`~tinygrad_bn.nn.PairwiseDistance` by default,
    shown in the repr as PyTorch's is).

    >>> TripletMarginWithDistanceLoss(margin=0.5)
    TripletMarginWithDistanceLoss(
      (distance_function): PairwiseDistance()
    )
    """

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean"):
        super().__init__(margin, swap, reduction)
        self.distance_function = PairwiseDistance() if distance_function is None else distance_function

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap, reduction=self.reduction)
