"""PyTorch's ``CumulativeDistributionTransform(distribution)``: y = F(x), the CDF of a
distribution over numbers, from its support onto the unit interval; the inverse is its
inverse CDF and dy/dx = p(x), so log|J| = log p(x). Pushing a distribution through its
own CDF gives the uniform one (the probability integral transform).
"""

from __future__ import annotations

from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.transforms import Transform

__all__ = ["CumulativeDistributionTransform"]


class CumulativeDistributionTransform(Transform):
    """y = F(x) for the CDF F of ``distribution``, increasing, so ``sign`` is +1.

    >>> import tinygrad_bn as torch
    >>> from tinygrad_bn.distributions import Normal
    >>> t = CumulativeDistributionTransform(Normal(0.0, 1.0))
    >>> x = torch.tensor([0.0])
    >>> t(x).tolist(), t.inv(torch.tensor([0.5])).tolist(), round(t.log_abs_det_jacobian(x, t(x)).item(), 6)
    ([0.5], [0.0], -0.918939)
    """

    bijective = True
    codomain = constraints.unit_interval
    sign = 1

    def __init__(self, distribution, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)
