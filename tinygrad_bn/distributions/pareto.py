"""The Pareto (type I) distribution of scale s and shape α: PyTorch's ``Pareto(scale,
alpha)``, the law of s·e^E for E ~ Exponential(α), so a :class:`TransformedDistribution`
of it as in PyTorch.

    log p(x) = log α + α log s − (α + 1) log x   (x ≥ s)
    F(x)     = 1 − (s/x)^α
    H        = log(s/α) + 1 + 1/α
    mean αs/(α − 1) (∞ for α ≤ 1),   mode s,   variance s²α/((α − 1)²(α − 2)) (∞ for α ≤ 2)

Its KL divergences, the pairs PyTorch registers, use E log X = log s + 1/α and the
cross-entropies of :mod:`~.kl_cross`.
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.beta import Beta
from tinygrad_bn.distributions.exponential import Exponential
from tinygrad_bn.distributions.gamma import Gamma
from tinygrad_bn.distributions.gumbel import Gumbel
from tinygrad_bn.distributions.kl import register_kl
from tinygrad_bn.distributions.kl_cross import (
    _kl_infinite,
    _to_exponential,
    _to_gamma,
    _to_normal,
    _uniform_mean_log,
)
from tinygrad_bn.distributions.laplace import Laplace
from tinygrad_bn.distributions.normal import Normal
from tinygrad_bn.distributions.transformed_distribution import TransformedDistribution
from tinygrad_bn.distributions.transforms import AffineTransform, ExpTransform
from tinygrad_bn.distributions.uniform import Uniform
from tinygrad_bn.distributions.utils import broadcast_all

__all__ = ["Pareto"]


class Pareto(TransformedDistribution):
    """Pareto distributions of ``scale`` s (the least value) and ``alpha`` α (the tail's
    exponent); samples are reparameterized, x = s·e^E, E ~ Exponential(α).

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Pareto(torch.tensor([1.0, 2.0]), torch.tensor([0.5, 3.0]))
    >>> d.mean.tolist(), d.mode.tolist(), d.cdf(torch.tensor([4.0, 4.0])).tolist()  # 1 − (s/x)^α
    ([inf, 3.0], [1.0, 2.0], [0.5, 0.875])
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base = Exponential(self.alpha, validate_args=validate_args)
        super().__init__(base, _transforms(self.scale), validate_args=validate_args)

    def _expanded_state(self, batch_shape):
        scale, alpha = self.scale.broadcast_to(batch_shape), self.alpha.broadcast_to(batch_shape)
        return {"scale": scale, "alpha": alpha, "base_dist": self.base_dist.expand(batch_shape),
                "transforms": _transforms(scale)}

    @property
    def support(self):
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self):
        finite = self.alpha > 1
        a = ops.where(finite, self.alpha, 2.0)  # a stand-in where the mean is ∞
        return ops.where(finite, a * self.scale / (a - 1), math.inf)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        finite = self.alpha > 2
        a = ops.where(finite, self.alpha, 3.0)  # a stand-in where the variance is ∞
        return ops.where(finite, self.scale.square() * a / ((a - 1).square() * (a - 2)), math.inf)

    def entropy(self):
        return (self.scale / self.alpha).log() + 1 + self.alpha.reciprocal()


def _transforms(scale):
    # E ↦ e^E ↦ s·e^E
    return [ExpTransform(), AffineTransform(0.0, scale)]


# KL divergences ---------------------------------------------------------------------------


def _mean_log(p: Pareto):
    """E_p log X = log s + 1/α."""
    return p.scale.log() + p.alpha.reciprocal()


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    # αq log(sp/sq) − log r + r − 1, r = αq/αp; ∞ where p reaches below q's scale
    ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - ratio.log() + ratio - 1
    return ops.where(p.scale < q.scale, math.inf, result)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    # ∞ where E_p X is (α ≤ 1)
    return ops.where(p.alpha <= 1, math.inf, -p.entropy() + _to_exponential(q, p.mean))


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    return ops.where(p.alpha <= 1, math.inf, -p.entropy() + _to_gamma(q, p.mean, _mean_log(p)))


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    # ∞ where Var_p X is (α ≤ 2)
    return ops.where(p.alpha <= 2, math.inf, -p.entropy() + _to_normal(q, p.mean, p.variance))


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    # C = −log α − α log s + (α + 1)·E_p log X; ∞ where p reaches below q's scale
    below = p.low < q.scale
    low = ops.where(below, q.scale, p.low)  # a finite stand-in where the KL is ∞
    cross = -q.alpha.log() - q.alpha * q.scale.log() + (q.alpha + 1) * _uniform_mean_log(low, p.high)
    return ops.where(below, math.inf, -p.entropy() + cross)


for _type_p, _type_q in ((Pareto, Beta), (Pareto, Uniform), (Beta, Pareto), (Exponential, Pareto),
                         (Gamma, Pareto), (Gumbel, Pareto), (Laplace, Pareto), (Normal, Pareto)):
    register_kl(_type_p, _type_q)(_kl_infinite)
