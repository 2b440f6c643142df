"""The logistic-normal distribution on the simplex: PyTorch's ``LogisticNormal(loc,
scale)``, the law of the :class:`StickBreakingTransform` of a vector of K − 1 independent
normals, so a :class:`TransformedDistribution` of an ``Independent(Normal)`` as in PyTorch.

With x the stick-breaking preimage of a point y of the simplex of K classes,

    log p(y) = Σᵢ log N(xᵢ; μᵢ, σᵢ²) − log |det ∂y/∂x|
"""

from __future__ import annotations

from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.normal import Normal
from tinygrad_bn.distributions.transformed_distribution import TransformedDistribution
from tinygrad_bn.distributions.transforms import StickBreakingTransform

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    """Logistic-normal distributions over the simplex of K classes, from normals of
    ``loc`` μ and ``scale`` σ over the last axis (K − 1 of them); numbers give one
    normal, so points of the simplex of 2 classes. Samples are reparameterized.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.LogisticNormal(torch.zeros(3), torch.ones(3))
    >>> x = d.rsample((2,))
    >>> d.event_shape, x.shape, [round(total, 6) for total in x.sum(-1).tolist()]
    ((4,), (2, 4), [1.0, 1.0])
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand((1,))  # one normal: a vector of one
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale
