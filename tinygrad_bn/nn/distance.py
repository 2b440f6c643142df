"""Distances and similarities of vectors, with PyTorch's names: ``cosine_similarity``,
``pairwise_distance`` and ``cdist`` (also ``torch.cdist``), and the modules
``CosineSimilarity`` and ``PairwiseDistance``.

Where two points coincide their distance has the gradient 0, PyTorch's subgradient,
for every p (a root or a power of 0 is guarded, so no ∞·0 reaches a gradient).

>>> from tinygrad_bn import Tensor
>>> cdist(Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0], [0.0, 1.0]])).tolist()
[[5.0, 1.0]]
>>> round(cosine_similarity(Tensor([[1.0, 0.0]]), Tensor([[1.0, 1.0]])).item(), 4)  # cos 45°
0.7071
"""

from __future__ import annotations

import math

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.loss_helpers import broadcast_together, clamp_value_only
from tinygrad_bn.nn.module import Module
from tinygrad_bn.ops import where
from tinygrad_bn.ops.axes import normalize_axis
from tinygrad_bn.ops.promotion import broadcast_shapes

#: cdist's ``compute_mode`` values; each computes the differences directly here.
COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cos θ = Σ (x1 / max(‖x1‖, ε))·(x2 / max(‖x2‖, ε)) along ``dim`` of x1 and x2
    broadcast together; that axis is removed. As in PyTorch each norm is held at ε
    in value only, its gradient is the norm's own (0 for a zero vector), so a zero
    x1 still gets the gradient x2 / (ε·‖x2‖) of the product.

    >>> from tinygrad_bn import Tensor
    >>> similarity = cosine_similarity(Tensor([[3.0, 4.0], [0.0, 0.0]]), Tensor([[4.0, 3.0], [1.0, 0.0]]))
    >>> [round(value, 4) for value in similarity.tolist()]  # (12 + 12) / 25, and 0 for the zero vector
    [0.96, 0.0]
    """
    shape = broadcast_together("cosine_similarity", x1=x1, x2=x2)
    dim = normalize_axis(dim, len(shape), "dim")
    x1, x2 = x1.broadcast_to(shape), x2.broadcast_to(shape)
    x1_unit = x1 / clamp_value_only(x1.norm(dim=dim, keepdim=True), eps)
    x2_unit = x2 / clamp_value_only(x2.norm(dim=dim, keepdim=True), eps)
    return (x1_unit * x2_unit).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """‖x1 − x2 + ε‖_p over the last axis of x1 and x2 broadcast together (a row of
    each, or a row against each row of the other); ε is added to every difference,
    as PyTorch does, so coinciding points are ε·n^(1/p) apart. p ≥ 0 or ∞ (see
    :func:`p_norm`).

    >>> from tinygrad_bn import Tensor
    >>> pairwise_distance(Tensor([[0.0, 0.0], [3.0, 0.0]]), Tensor([3.0, 4.0]), eps=0.0).tolist()
    [5.0, 4.0]
    """
    _check_p("pairwise_distance", p)
    broadcast_together("pairwise_distance", x1=x1, x2=x2)
    difference = x1 - x2 + eps
    return p_norm(difference, p, dim=-1 if difference.ndim else None, keepdim=keepdim)


def cdist(x1, x2, p=2.0, compute_mode=COMPUTE_MODES[0]):
    """The p-norm distance ‖x1[..., i, :] − x2[..., j, :]‖_p of every row i of x1
    (..., P, M) to every row j of x2 (..., R, M): a (..., P, R) tensor, the leading
    (batch) axes broadcast. p ≥ 0 or ∞ (see :func:`p_norm`).

    Every ``compute_mode`` takes the differences directly, exact but with the
    (..., P, R, M) differences in memory; PyTorch may use ‖a‖² + ‖b‖² − 2a·b for
    p = 2 instead, faster and less accurate for close points.

    >>> from tinygrad_bn import Tensor
    >>> cdist(Tensor([[0.0, 0.0], [1.0, 1.0]]), Tensor([[1.0, 1.0]]), p=1).tolist()
    [[2.0], [0.0]]
    """
    if compute_mode not in COMPUTE_MODES:
        raise ValueError(f"cdist: compute_mode must be one of {COMPUTE_MODES}, got {compute_mode!r}")
    _check_p("cdist", p)
    if (x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]
            or broadcast_shapes(x1.shape[:-2], x2.shape[:-2]) is None):
        raise ShapeError(f"cdist expects x1 of shape (..., P, M) and x2 of shape (..., R, M) whose leading axes "
                         f"broadcast together, got {x1.shape} and {x2.shape}")
    differences = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M)
    return p_norm(differences, p, dim=-1)


def p_norm(x, p, dim, keepdim=False):
    """(Σ|x|^p)^(1/p) over ``dim``: for p = 0 the number of non-zero entries, for
    p = ∞ the largest |x| (ties share its gradient). Where x = 0 the gradient is 0,
    as in PyTorch, also for p < 1 where |x|^p is infinitely steep."""
    if p in (1, 2, math.inf):
        return x.norm(p, dim=dim, keepdim=keepdim)
    if p == 0:
        return x.abs().sign().sum(dim, keepdim=keepdim)  # Σ [x ≠ 0], with the gradient 0
    # (Σ|x|^p)^(1/p)
    return _power_flat_at_zero(_power_flat_at_zero(x.abs(), p).sum(dim, keepdim=keepdim), 1.0 / p)


def _power_flat_at_zero(a, exponent: float):
    """a^exponent for a ≥ 0, with the slope 0 at a = 0 (instead of ∞ for exponents
    below 1); where a = 0 the power sees 1, so no ∞·0 reaches the gradient."""
    at_zero = a == 0
    return where(at_zero, 0.0, where(at_zero, 1.0, a) ** exponent)


def _check_p(function: str, p):
    if not p >= 0:
        raise ArgumentError(f"{function} expects p >= 0 (or math.inf), got p={p!r}")


class CosineSimilarity(Module):
    """:func:`cosine_similarity` along ``dim``.

    >>> CosineSimilarity(dim=0)
    CosineSimilarity()
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """:func:`pairwise_distance` with ``p`` (kept as ``norm``, as in PyTorch).

    >>> PairwiseDistance(p=1.0).norm
    1.0
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
