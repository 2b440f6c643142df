"""The Poisson distribution of rate λ over the counts 0, 1, 2, ...: PyTorch's ``Poisson(rate)``.

    log p(k) = k log λ − λ − log Γ(k + 1)
    mean = variance = λ,   mode ⌊λ⌋
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.autograd import no_grad
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.exp_family import ExponentialFamily
from tinygrad_bn.distributions.utils import broadcast_all


class Poisson(ExponentialFamily):
    """Poisson distributions of ``rate`` λ ≥ 0; samples are counts in the rate's float
    dtype, drawn outside the graph (no ``rsample``).

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Poisson(torch.tensor([0.5, 4.0]))
    >>> d.mode.tolist(), round(d.log_prob(torch.tensor([0.0, 0.0]))[0].item(), 6)  # e^(−λ) at 0
    ([0.0, 4.0], -0.5)
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        with no_grad():
            return ops.poisson(self.rate.detach().broadcast_to(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        self._validate_sample(value)
        return value.xlogy(self.rate) - self.rate - (value + 1).lgamma()

    @property
    def _natural_params(self):
        return (self.rate.log(),)

    def _log_normalizer(self, x):
        # A(θ) = e^θ
        return x.exp()
