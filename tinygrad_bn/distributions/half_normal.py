"""The half-normal distribution, of |Y| with Y ~ N(0, σ²): PyTorch's ``HalfNormal(scale)``
(see :mod:`~tinygrad_bn.distributions.folded`).

    F(x) = 2Φ(x/σ) − 1,   mean σ√(2/π),   variance σ²(1 − 2/π)
"""

from __future__ import annotations

import math

from tinygrad_bn.distributions.folded import FoldedAtZero
from tinygrad_bn.distributions.normal import Normal


class HalfNormal(FoldedAtZero):
    """Half-normal distributions of ``scale`` σ; samples are reparameterized, x = σ|ε|.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.HalfNormal(torch.tensor(2.0))
    >>> round(d.mean.item(), 6), d.mode.item(), round(d.cdf(torch.tensor(0.0)).item(), 6)
    (1.595769, 0.0, 0.0)
    """

    base_family = Normal

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale.square() * (1 - 2 / math.pi)
