"""Adaptive softmax (Grave et al., 2017): a log-softmax over many classes, cheap when a
few of them are frequent. The classes, sorted by frequency, are split at ``cutoffs``
c₀ < c₁ < … into a shortlist [0, c₀) and clusters [cᵢ, cᵢ₊₁). A head scores the
shortlist and one token per cluster; cluster i has its own small tail, a projection
to in_features // div_valueⁱ⁺¹ features and then to its classes. For class y of
cluster i,

    log p(y | x) = log softmax(head(x))[c₀ + i] + log softmax(tailᵢ(x))[y − cᵢ]

and for y in the shortlist log softmax(head(x))[y]. The layers are made in PyTorch's
order with its initialisation, so after the same seed the weights are PyTorch's.
"""

from __future__ import annotations

from collections import namedtuple

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.container import ModuleList, Sequential
from tinygrad_bn.nn.layers import Linear
from tinygrad_bn.nn.module import Module

# what forward returns: each sample's log-probability of its target, and the mean negative of them
_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])  # noqa: PYI024 - PyTorch's plain namedtuple


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax over ``n_classes`` classes of (N, in_features) input, split at
    ``cutoffs``. ``forward(input, target)`` gives (output, loss): each sample's log-probability
    of its target and their mean negative; :meth:`log_prob` every class' log-probability,
    :meth:`predict` the most probable class.

    >>> from tinygrad_bn import manual_seed, ones, tensor
    >>> _ = manual_seed(0)
    >>> asm = AdaptiveLogSoftmaxWithLoss(8, 10, [2, 6], div_value=2.0)
    >>> output, loss = asm(ones(3, 8), tensor([0, 4, 9]))
    >>> output.shape, loss.shape, [round(p, 5) for p in asm.log_prob(ones(3, 8)).exp().sum(1).tolist()]
    ((3,), (), [1.0, 1.0, 1.0])
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        _check_cutoffs(cutoffs, n_classes)
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = [*cutoffs, n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = cutoffs[0]
        self.n_clusters = len(cutoffs)
        self.head_size = self.shortlist_size + self.n_clusters
        factory = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **factory)
        self.tail = ModuleList()
        for i, (start, stop) in enumerate(zip(self.cutoffs, self.cutoffs[1:])):
            hidden = int(in_features // div_value ** (i + 1))
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, **factory),
                                        Linear(hidden, stop - start, bias=False, **factory)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for projection in self.tail:
            for layer in projection:
                layer.reset_parameters()

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        """(output, loss) for (N, in_features) input and (N,) targets, or (in_features,) and a 0-d target."""
        batched = _check_input_and_target(input, target)
        x, y = (input, target) if batched else (input.unsqueeze(0), target.unsqueeze(0))
        clusters = self._clusters(y)
        head_logprob = ops.log_softmax(self.head(x), 1)
        head_column = ops.where(clusters == 0, y, self.shortlist_size + clusters - 1)
        output = head_logprob.gather(1, head_column.unsqueeze(1)).squeeze(1)
        for i, projection in enumerate(self.tail):
            rows = (clusters == i + 1).nonzero().reshape(-1)
            if rows.numel() == 0:
                continue
            tail_logprob = ops.log_softmax(projection(x[rows]), 1)
            within = (y[rows] - self.cutoffs[i]).unsqueeze(1)
            output = output.index_add(0, rows, tail_logprob.gather(1, within).squeeze(1))
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _clusters(self, target) -> Tensor:
        """Each target's cluster, 0 for the shortlist and i + 1 for [cᵢ, cᵢ₊₁); refuses
        targets outside [0, n_classes)."""
        low, high = int(target.min().item()), int(target.max().item())
        if low < 0 or high >= self.n_classes:
            raise ArgumentError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                             f"[{low}, {high}] were found")
        clusters = ops.zeros_like(target)
        for cutoff in self.cutoffs[:-1]:
            clusters = clusters + (target >= cutoff).long()
        return clusters

    def log_prob(self, input):  # noqa: A002 - PyTorch's argument name
        """log p(y | x) for every class y: (N, n_classes) for (N, in_features) input.

        >>> from tinygrad_bn import ones
        >>> AdaptiveLogSoftmaxWithLoss(4, 6, [3]).log_prob(ones(2, 4)).shape
        (2, 6)
        """
        _check_rows(input, self.in_features, "log_prob")
        head_logprob = ops.log_softmax(self.head(input), 1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i, projection in enumerate(self.tail):
            cluster = head_logprob[:, self.shortlist_size + i:self.shortlist_size + i + 1]
            parts.append(ops.log_softmax(projection(input), 1) + cluster)
        return ops.cat(parts, 1)

    def predict(self, input):  # noqa: A002 - PyTorch's argument name
        """The most probable class of each row of (N, in_features) input (int64): the head's
        choice when it is a shortlist class, else the argmax of :meth:`log_prob`.

        >>> from tinygrad_bn import ones
        >>> AdaptiveLogSoftmaxWithLoss(4, 6, [3]).predict(ones(2, 4)).shape
        (2,)
        """
        _check_rows(input, self.in_features, "predict")
        head_choice = self.head(input).argmax(1)
        in_shortlist = head_choice < self.shortlist_size
        if bool(in_shortlist.all().item()):
            return head_choice
        return ops.where(in_shortlist, head_choice, self.log_prob(input).argmax(1))


def _check_cutoffs(cutoffs: list, n_classes: int):
    """Refuse cutoffs that are not unique increasing ints within [1, n_classes − 1]."""
    if not cutoffs:
        raise ValueError("cutoffs should be a sequence of length larger than 0")
    ints = all(isinstance(c, int) or (isinstance(c, float) and c.is_integer()) for c in cutoffs)
    increasing = all(a < b for a, b in zip(cutoffs, cutoffs[1:]))
    if not (ints and increasing and cutoffs[0] >= 1 and cutoffs[-1] <= n_classes - 1):
        raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing order, "
                         f"where each value is between 1 and n_classes-1={n_classes - 1}, got {cutoffs}")


def _check_input_and_target(input, target) -> bool:  # noqa: A002 - PyTorch's argument name
    """Whether (input, target) is a batch, (N, in_features) and (N,), or one sample,
    (in_features,) and a 0-d target; refuses any other pair."""
    if target.ndim == 1:
        if input.ndim != 2:
            raise ShapeError(f"1D target tensor expects 2D input tensors, but found inputs with size {input.shape}")
        if input.shape[0] != target.shape[0]:
            raise ShapeError(f"Input and target should have the same size in the batch dimension, "
                             f"got {input.shape[0]} and {target.shape[0]}")
        return True
    if target.ndim == 0:
        if input.ndim != 1:
            raise ShapeError(f"0D target tensor expects 1D input tensors, but found inputs with size {input.shape}")
        return False
    raise ShapeError(f"0D or 1D target tensor expected, multi-target not supported, got shape {target.shape}")


def _check_rows(input, in_features: int, method: str):  # noqa: A002 - PyTorch's argument name
    if input.ndim != 2 or input.shape[1] != in_features:
        raise ShapeError(f"AdaptiveLogSoftmaxWithLoss.{method} expects input of shape (N, {in_features}), "
                         f"got {input.shape}")
