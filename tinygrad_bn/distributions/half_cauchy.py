"""The half-Cauchy distribution, of |Y| with Y ~ Cauchy(0, γ): PyTorch's ``HalfCauchy(scale)``
(see :mod:`~tinygrad_bn.distributions.folded`).

    F(x) = 2F_Cauchy(x) − 1,   mean ∞,   variance ∞
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.distributions.cauchy import Cauchy
from tinygrad_bn.distributions.folded import FoldedAtZero


class HalfCauchy(FoldedAtZero):
    """Half-Cauchy distributions of ``scale`` γ; samples are reparameterized, x = |γ tan(π(u − 1/2))|.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.HalfCauchy(torch.tensor(2.0))
    >>> round(d.cdf(torch.tensor(2.0)).item(), 6), d.mean.item(), d.mode.item()
    (0.5, inf, 0.0)
    """

    base_family = Cauchy

    @property
    def mean(self):
        return ops.full_like(self.scale.detach(), math.inf)

    @property
    def variance(self):
        return ops.full_like(self.scale.detach(), math.inf)
