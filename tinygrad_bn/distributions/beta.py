"""The beta distribution on [0, 1]: PyTorch's ``Beta(concentration1, concentration0)``,
the Dirichlet of the two classes (x, 1 − x) with concentrations (a, b).

    log p(x) = (a − 1) log x + (b − 1) log(1 − x) − log B(a, b)
    mean a/(a + b),   variance ab/((a + b)²(a + b + 1))

Samples are X/(X + Y) of X ~ Gamma(a, 1), Y ~ Gamma(b, 1), differentiable in a and b.
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.dirichlet import Dirichlet
from tinygrad_bn.distributions.exp_family import ExponentialFamily
from tinygrad_bn.distributions.utils import broadcast_all


class Beta(ExponentialFamily):
    """Beta distributions of ``concentration1`` a (the weight of 1) and ``concentration0``
    b (the weight of 0); samples are reparameterized. The parameters live in a
    two-class :class:`Dirichlet`, as in PyTorch (so the repr shows none, and a bad
    parameter is reported by that Dirichlet).

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Beta(2.0, 2.0)
    >>> d.mean.item(), d.variance.item(), round(d.log_prob(torch.tensor(0.5)).exp().item(), 6)  # 6x(1 − x)
    (0.5, 0.05000000074505806, 1.5)
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        concentration1, concentration0 = broadcast_all(concentration1, concentration0)
        self._dirichlet = Dirichlet(ops.stack([concentration1, concentration0], -1), validate_args=validate_args)
        super().__init__(self._dirichlet.batch_shape, validate_args=validate_args)

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self):
        return self._dirichlet.mean[..., 0]

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        return self._dirichlet.variance[..., 0]

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value):
        self._validate_sample(value)
        return self._dirichlet.log_prob(ops.stack([value, 1 - value], -1))

    def entropy(self):
        return self._dirichlet.entropy()

    def _expanded_state(self, batch_shape):
        return {"_dirichlet": self._dirichlet.expand(batch_shape)}

    @property
    def _natural_params(self):
        return self.concentration1, self.concentration0

    def _log_normalizer(self, x, y):
        # A(θ) = log B(θ₁, θ₂)
        return x.lgamma() + y.lgamma() - (x + y).lgamma()
