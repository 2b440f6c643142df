"""The connectionist temporal classification loss, ``F.ctc_loss`` and ``nn.CTCLoss``
(Graves et al., 2006), as PyTorch computes them.

A sequence of T frames of class log-probabilities y_t(c) is scored against a target
l of length L by summing the probabilities of every alignment, a path of T classes
that reads l once blanks and repeats are removed. The sum runs over the extended
target l′ = (b, l₁, b, l₂, …, l_L, b) of 2L + 1 symbols (b the blank) with the forward
variables, in log space,

    α_0(0) = y_0(b),  α_0(1) = y_0(l′₁),
    α_t(s) = y_t(l′_s) + log(e^α_{t−1}(s) + e^α_{t−1}(s−1) + [l′_s ≠ l′_{s−2}]·e^α_{t−1}(s−2)),

and the loss is −log p(l | y) = −log(e^α_{T−1}(2L) + e^α_{T−1}(2L−1)), ∞ when no
alignment fits (a target too long for its frames).

>>> from tinygrad_bn import Tensor
>>> log_probs = Tensor([[[0.5, 0.5]], [[0.5, 0.5]]]).log()  # T = 2 frames, N = 1, C = 2
>>> round(ctc_loss(log_probs, [[1]], [2], [1], reduction="sum").item(), 4)  # -log 3/4: "1b", "b1", "11"
0.2877
"""

from __future__ import annotations

import math
import numbers

from tinygrad_bn.annotations import in_own_region
from tinygrad_bn.autograd import Function, Tensor, once_differentiable
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.nn.loss_helpers import check_reduction
from tinygrad_bn.nn.module import Module
from tinygrad_bn.ops.promotion import constant

NEG_INF = -math.inf


@in_own_region
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The CTC loss −log p(l | y) of each sequence (see the module docstring).

    ``log_probs`` (T, N, C) (or (T, C), one sequence) are log-probabilities of C classes,
    usually ``log_softmax`` outputs; ``targets`` are integer classes, padded (N, S) or
    the N targets concatenated (ΣL_n,) (one sequence: its (L,) labels, or (1, S) padded);
    ``input_lengths`` and ``target_lengths`` are the N frame counts T_n ≤ T and target
    lengths L_n, as Tensors (() for one sequence) or tuples/lists of ints.
    ``"mean"`` divides each loss by max(L_n, 1), then averages over the batch; ``"sum"``
    adds them; ``"none"`` gives the (N,) losses. An impossible alignment costs ∞, or 0
    with ``zero_infinity``, where its gradient is 0 too.

    The forward variables α run in log space over all N sequences and 2·max L + 1
    extended positions at once, a loop over time only; the gradient is hand-derived
    from α and the backward variables β (one more loop), as PyTorch's kernel does:

        ∂/∂y_t(c) = e^{y_t(c)} − Σ_{s: l′_s = c} e^{α_t(s) + β_t(s) − y_t(c) + loss}

    for t < T_n (0 after), with β_t(s) = y_t(l′_s) + log Σ e^β_{t+1}(s′) over the same
    steps taken backwards. This is the gradient of the loss taken through
    ``log_softmax``: for log-probabilities that sum to 1 over the classes it differs from
    the loss's own derivative only by e^{y_t(c)}, which ``log_softmax``'s backward
    removes; for other inputs it is still PyTorch's gradient, not the loss's derivative.
    The backward cannot be differentiated again (PyTorch's neither).

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[[0.0, 0.0]], [[0.0, 0.0]]], requires_grad=True)
    >>> ctc_loss(x.log_softmax(2), [1], (2,), (1,)).backward()
    >>> [round(g, 6) for g in x.grad.reshape(-1).tolist()]  # paths 1b, b1, 11: y_t(1) gets 2/3 of the mass
    [0.166667, -0.166667, 0.166667, -0.166667]
    """
    check_reduction(reduction, "ctc_loss")
    batched = _check_log_probs(log_probs)
    if not batched:
        log_probs = log_probs.unsqueeze(1)
    steps, batch, classes = log_probs.shape
    if not 0 <= blank < classes:
        raise ArgumentError(f"ctc_loss expects blank in [0, {classes}) (the classes of log_probs), got {blank}")
    input_lengths = _lengths(input_lengths, "input_lengths", batch)
    target_lengths = _lengths(target_lengths, "target_lengths", batch)
    if not all(0 <= n <= steps for n in input_lengths):
        raise ArgumentError(f"ctc_loss expects input_lengths in [0, {steps}] (the frames of log_probs), "
                            f"got {input_lengths}")
    if not all(n >= 0 for n in target_lengths):
        raise ArgumentError(f"ctc_loss expects target_lengths of at least 0, got {target_lengths}")
    labels = _padded_labels(targets, target_lengths, log_probs, blank)
    losses = _CTCNegLogLikelihood.apply(log_probs, labels=labels, input_lengths=tuple(input_lengths),
                                        target_lengths=tuple(target_lengths), blank=blank,
                                        zero_infinity=bool(zero_infinity))
    if reduction == "mean":
        divisors = [max(length, 1) for length in target_lengths]
        return (losses / Tensor(divisors, dtype=losses.dtype, device=losses.device)).mean()
    if reduction == "sum":
        return losses.sum()
    return losses if batched else losses.reshape(())


def _check_log_probs(log_probs) -> bool:
    """Whether ``log_probs`` is batched (T, N, C) rather than (T, C); refuses others."""
    if not isinstance(log_probs, Tensor):
        raise TypeError(f"ctc_loss expects log_probs as a Tensor, got {type(log_probs).__name__}")
    if log_probs.dtype.kind != "f":
        raise DtypeError(f"ctc_loss expects floating log_probs, got dtype {log_probs.dtype}")
    if log_probs.ndim not in (2, 3):
        raise ShapeError(f"ctc_loss expects log_probs of shape (T, N, C) or (T, C), got {log_probs.shape}")
    return log_probs.ndim == 3


def _lengths(lengths, name: str, batch: int) -> list:
    """``lengths`` (a Tensor or array of integers, or a tuple/list of ints) as a list of
    ``batch`` Python ints."""
    if isinstance(lengths, (tuple, list)):
        if not all(isinstance(n, numbers.Integral) for n in lengths):
            raise TypeError(f"ctc_loss expects {name} as a tuple or list of ints, got {lengths!r}")
        values = [int(n) for n in lengths]
    elif isinstance(lengths, (numbers.Number, str)):
        raise TypeError(f"ctc_loss expects {name} as a Tensor or a tuple or list of ints, "
                        f"got {type(lengths).__name__}")
    else:
        lengths = lengths if isinstance(lengths, Tensor) else Tensor(lengths)
        if lengths.dtype.kind not in "iu":
            raise DtypeError(f"ctc_loss expects integer {name}, got dtype {lengths.dtype}")
        if lengths.ndim > 1:
            raise ShapeError(f"ctc_loss expects {name} of shape (N,) or (), got {lengths.shape}")
        values = [int(n) for n in lengths.reshape(-1).tolist()]
    if len(values) != batch:
        raise ShapeError(f"ctc_loss expects {name} of size {batch} (the batch size), got {len(values)} values")
    return values


def _padded_labels(targets, target_lengths: list, log_probs: Tensor, blank: int):
    """The targets as an (N, max L) integer array on ``log_probs``' device, each row
    padded with the blank after its L_n labels, from padded (N, S) or concatenated
    (ΣL_n,) targets (one sequence: its L labels, or (1, S) padded)."""
    targets = targets if isinstance(targets, Tensor) else Tensor(targets, device=log_probs.device)
    targets = targets.to(log_probs.device)
    if targets.dtype.kind not in "iu":
        raise DtypeError(f"ctc_loss expects targets that are integer classes, got dtype {targets.dtype}")
    xp, batch, longest = log_probs.xp, len(target_lengths), max(target_lengths, default=0)
    data = targets._data.astype("int64")
    positions = xp.arange(longest)
    if targets.ndim == 2:
        if targets.shape[0] != batch or targets.shape[1] < longest:
            raise ShapeError(f"ctc_loss expects padded targets of shape ({batch}, S) with S ≥ {longest} (the "
                             f"longest target), got {targets.shape}")
        labels = data[:, :longest]
    elif targets.ndim == 1:
        if targets.shape[0] != sum(target_lengths):
            raise ShapeError(f"ctc_loss expects concatenated targets of size {sum(target_lengths)} (the sum of "
                             f"target_lengths), got {targets.shape[0]}")
        starts = [sum(target_lengths[:n]) for n in range(batch)]
        index = xp.asarray(starts)[:, None] + positions[None, :]
        labels = data[xp.minimum(index, max(targets.shape[0] - 1, 0))] if longest else data[index]
    else:
        raise ShapeError(f"ctc_loss expects targets of shape (N, S) or (sum of target_lengths,), "
                         f"got {targets.shape}")
    labels = xp.where(positions[None, :] < xp.asarray(target_lengths)[:, None], labels, blank)
    _check_classes(xp, labels, log_probs.shape[-1])
    return labels


def _check_classes(xp, labels, classes: int):
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise ArgumentError(f"ctc_loss expects target classes in [0, {classes}), got values from "
                            f"{int(labels.min())} to {int(labels.max())}")


class _CTCNegLogLikelihood(Function):
    """−log p(l_n | y_n) for each sequence n, (N,) from (T, N, C) log-probabilities;
    the gradient as in :func:`ctc_loss`. ``labels`` are the padded (N, max L) targets."""

    def forward(self, log_probs, *, labels, input_lengths, target_lengths, blank, zero_infinity):
        xp = log_probs.xp
        lp = log_probs._data
        steps, batch, _ = lp.shape
        extended = xp.full((batch, 2 * labels.shape[1] + 1), blank, dtype=labels.dtype)
        extended[:, 1::2] = labels
        skip = xp.zeros(extended.shape, dtype=bool)
        skip[:, 2:] = extended[:, 2:] != extended[:, :-2]  # never at blanks, whose s − 2 is a blank
        emitted = lp[:, xp.arange(batch)[:, None], extended]  # y_t(l′_s), (T, N, 2L + 1)
        frames, target = xp.asarray(input_lengths), xp.asarray(target_lengths)
        alpha = _forward_variables(xp, emitted, skip)
        last = alpha[xp.maximum(frames - 1, 0), xp.arange(batch)]  # α_{T_n − 1}, (N, 2L + 1)
        ends = _end_positions(xp, extended.shape, target)
        log_likelihood = _logsumexp(xp, xp.where(ends, last, NEG_INF), axis=1)
        log_likelihood = xp.where(frames == 0, xp.where(target == 0, 0.0, NEG_INF), log_likelihood)
        nll = -log_likelihood.astype(lp.dtype)
        self.zero_infinity = zero_infinity
        self.save_for_backward(log_probs, *(constant(a, log_probs) for a in (emitted, alpha, nll, extended, skip,
                                                                              frames, ends)))
        return xp.where(xp.isinf(nll), 0.0, nll).astype(lp.dtype) if zero_infinity else nll

    @once_differentiable
    def backward(self, grad):
        log_probs, emitted, alpha, nll, extended, skip, frames, ends = (t._data for t in self.saved_tensors)
        xp = grad.xp
        beta = _backward_variables(xp, emitted, skip, frames, ends)
        steps, batch, classes = log_probs.shape
        impossible = xp.isinf(nll)
        # Σ_{s: l′_s = c} e^{α + β − y}, summed per class with a one-hot product, each
        # frame shifted by its largest term (the terms of a frame sum to p(l))
        terms = alpha + beta - emitted
        largest = terms.max(axis=2, keepdims=True)
        reached = xp.isfinite(largest)  # False past T_n and for impossible sequences
        shift = xp.where(reached, largest, 0.0)
        one_hot = (extended[:, :, None] == xp.arange(classes)).astype(log_probs.dtype)
        per_class = xp.matmul(xp.exp(terms - shift).transpose(1, 0, 2), one_hot).transpose(1, 0, 2)
        scale = xp.where(reached, shift + xp.where(impossible, 0.0, nll)[None, :, None], NEG_INF)
        gradient = xp.exp(log_probs) - per_class * xp.exp(scale)
        bad = xp.where(impossible, 0.0 if self.zero_infinity else math.nan, 1.0)
        gradient = xp.where(impossible[None, :, None], bad[None, :, None], gradient)
        counted = xp.arange(steps)[:, None, None] < frames[None, :, None]
        gradient = xp.where(counted, gradient, 0.0).astype(log_probs.dtype)
        return constant(gradient * grad._data[None, :, None], grad)


def _logsumexp(xp, values, axis):
    """log Σ e^values over ``axis``, −∞ where every value is −∞ (and no warnings)."""
    top = values.max(axis=axis, keepdims=True)
    top = xp.where(xp.isfinite(top), top, 0.0)
    total = xp.exp(values - top).sum(axis=axis, keepdims=True)
    result = xp.where(total > 0, xp.log(xp.where(total > 0, total, 1.0)) + top, NEG_INF)
    return result.squeeze(axis)


def _shifted(xp, values, by: int):
    """``values`` moved ``by`` positions along the last axis (right for by > 0), −∞ coming in."""
    width = values.shape[1]
    moved = min(abs(by), width)
    pad = xp.full((values.shape[0], moved), NEG_INF, dtype=values.dtype)
    if by > 0:
        return xp.concatenate([pad, values[:, :width - moved]], axis=1)
    return xp.concatenate([values[:, moved:], pad], axis=1)


def _forward_variables(xp, emitted, skip):
    """α_t(s) for every frame t (rows of (T, N, 2L + 1)); −∞ past a sequence's end
    positions only where no path reaches them."""
    steps, batch, positions = emitted.shape
    alpha = xp.full((max(steps, 1), batch, positions), NEG_INF, dtype=emitted.dtype)
    if steps == 0:
        return alpha
    start = xp.full((batch, positions), NEG_INF, dtype=emitted.dtype)
    start[:, :2] = emitted[0, :, :2]
    alpha[0] = start
    for t in range(1, steps):
        previous = alpha[t - 1]
        jump = xp.where(skip, _shifted(xp, previous, 2), NEG_INF)
        alpha[t] = emitted[t] + _logsumexp(xp, xp.stack([previous, _shifted(xp, previous, 1), jump]), axis=0)
    return alpha


def _end_positions(xp, shape, target_lengths):
    """The positions 2L_n and 2L_n − 1 (when L_n ≥ 1) where a path ends, as an (N, 2L + 1) mask."""
    positions = xp.arange(shape[1])[None, :]
    twice = 2 * target_lengths[:, None]
    return (positions == twice) | ((positions == twice - 1) & (twice > 0))


def _backward_variables(xp, emitted, skip, frames, ends):
    """β_t(s), the log-probability of finishing from position s at frame t, emitting
    y_t(l′_s) (so α + β counts y_t twice): β_{T_n − 1} is y at the end positions, and
    each earlier frame takes s, s + 1 and (where allowed) s + 2 of the next one."""
    steps, batch, positions = emitted.shape
    beta = xp.full(emitted.shape, NEG_INF, dtype=emitted.dtype)
    jump_allowed = xp.concatenate([skip[:, 2:], xp.zeros((batch, 2), dtype=bool)], axis=1)
    following = xp.full((batch, positions), NEG_INF, dtype=emitted.dtype)
    for t in range(steps - 1, -1, -1):
        jump = xp.where(jump_allowed, _shifted(xp, following, -2), NEG_INF)
        step = emitted[t] + _logsumexp(xp, xp.stack([following, _shifted(xp, following, -1), jump]), axis=0)
        final = (frames - 1 == t)[:, None]
        inside = (t < frames - 1)[:, None]
        following = xp.where(final, xp.where(ends, emitted[t], NEG_INF), xp.where(inside, step, NEG_INF))
        beta[t] = following
    return beta


class CTCLoss(Module):
    """:func:`~tinygrad_bn.nn.functional.ctc_loss` as a module; called as
    ``(log_probs, targets, input_lengths, target_lengths)``.

    >>> CTCLoss(blank=3, zero_infinity=True)
    CTCLoss()
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__()
        check_reduction(reduction, "CTCLoss")
        self.reduction = reduction
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                        self.zero_infinity)
