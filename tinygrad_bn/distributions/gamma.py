"""The gamma distribution of concentration α and rate β: PyTorch's ``Gamma(concentration, rate)``.

    log p(x) = α log β + (α − 1) log x − βx − log Γ(α)  (x ≥ 0)
    F(x)     = P(α, βx), the regularized lower incomplete gamma function
    H        = α − log β + log Γ(α) + (1 − α) ψ(α)

Samples are z/β, z ~ Gamma(α, 1); z is differentiable in α by the implicit gradient
dz/dα = −(∂P/∂α)/p (see :mod:`~tinygrad_bn.distributions.incomplete_gamma`).
"""

from __future__ import annotations

from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.draws import standard_gamma
from tinygrad_bn.distributions.exp_family import ExponentialFamily
from tinygrad_bn.distributions.incomplete_gamma import regularized_gamma_p
from tinygrad_bn.distributions.utils import broadcast_all


class Gamma(ExponentialFamily):
    """Gamma distributions of ``concentration`` α and ``rate`` β (mean α/β); samples are
    reparameterized, differentiable in both.

    >>> import tinygrad_bn as torch
    >>> alpha = torch.tensor([1.0, 3.0], requires_grad=True)
    >>> d = torch.distributions.Gamma(alpha, 2.0)
    >>> d.mean.tolist(), d.mode.tolist()
    ([0.5, 1.5], [0.0, 1.0])
    >>> round(d.cdf(torch.tensor([1.0, 1.0]))[0].item(), 6)  # 1 − e⁻²
    0.864665
    >>> d.rsample((2,)).sum().backward()
    >>> alpha.grad.shape
    (2,)
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0  # E[log h(X)], h = 1

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        # (α − 1)/β, or 0 for α < 1
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.square()

    def rsample(self, sample_shape=()):
        return standard_gamma(self.concentration, self._extended_shape(sample_shape)) / self.rate

    def log_prob(self, value):
        self._validate_sample(value)
        alpha, beta = self.concentration, self.rate
        return alpha.xlogy(beta) + (alpha - 1).xlogy(value) - beta * value - alpha.lgamma()

    def cdf(self, value):
        self._validate_sample(value, "cdf")
        return regularized_gamma_p(self.concentration, self.rate * value)

    def entropy(self):
        alpha = self.concentration
        return alpha - self.rate.log() + alpha.lgamma() + (1 - alpha) * alpha.digamma()

    @property
    def _natural_params(self):
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x, y):
        # A(θ) = log Γ(θ₁ + 1) + (θ₁ + 1) log(−1/θ₂)
        return (x + 1).lgamma() + (x + 1) * (-y.reciprocal()).log()
