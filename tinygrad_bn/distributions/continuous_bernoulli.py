"""The continuous Bernoulli distribution of Loaiza-Ganem and Cunningham (2019): PyTorch's
``ContinuousBernoulli(probs=None, logits=None, lims=(0.499, 0.501))``, the density on
[0, 1] proportional to λˣ(1 − λ)¹⁻ˣ, an exponential family with natural parameter the
logit ℓ of λ. With C(λ) its normalizer,

    log p(x) = xℓ − softplus(ℓ) + log C(λ),   log C(λ) = log|log(1 − λ) − log λ| − log|1 − 2λ|
    F(x)     = (λˣ(1 − λ)¹⁻ˣ + λ − 1)/(2λ − 1),   F⁻¹(u) = log(1 + u(2λ − 1)/(1 − λ))/(log λ − log(1 − λ))
    mean     λ/(2λ − 1) + 1/(log(1 − λ) − log λ)
    variance λ(λ − 1)/(1 − 2λ)² + 1/(log(1 − λ) − log λ)²

For λ within ``lims`` of ½ these formulas divide 0 by 0, so there, as in PyTorch, they
are the Taylor polynomials about ½ in x = λ − ½: log C ≈ log 2 + (4/3 + 104/45·x²)x²,
mean ≈ ½ + (1/3 + 16/45·x²)x, variance ≈ 1/12 − (1/15 − 128/945·x²)x², and F(x) = x.
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.autograd import no_grad
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.beta import Beta
from tinygrad_bn.distributions.draws import uniform
from tinygrad_bn.distributions.exp_family import ExponentialFamily
from tinygrad_bn.distributions.exponential import Exponential
from tinygrad_bn.distributions.gamma import Gamma
from tinygrad_bn.distributions.gumbel import Gumbel
from tinygrad_bn.distributions.kl import register_kl
from tinygrad_bn.distributions.kl_cross import _kl_infinite, _to_exponential, _to_normal
from tinygrad_bn.distributions.laplace import Laplace
from tinygrad_bn.distributions.normal import Normal
from tinygrad_bn.distributions.pareto import Pareto
from tinygrad_bn.distributions.uniform import Uniform
from tinygrad_bn.distributions.utils import (
    broadcast_all,
    check_one_of,
    clamp_probs,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
    softplus,
)

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ExponentialFamily):
    """Continuous Bernoulli distributions on [0, 1] of shape parameter ``probs`` λ, or
    ``logits`` ℓ = logit λ (not a probability nor log-odds: λ weighs 1 against 0 in the
    density). λ is held within [ε, 1 − ε]. Samples are reparameterized through F⁻¹.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.ContinuousBernoulli(torch.tensor([0.2, 0.5], dtype=torch.float64))
    >>> [round(m, 6) for m in d.mean.tolist()], d.cdf(torch.tensor([1.0, 0.25], dtype=torch.float64)).tolist()
    ([0.388014, 0.5], [1.0, 0.25])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        check_one_of(probs, logits)
        if probs is not None:
            (probs,) = broadcast_all(probs)
            if validate_args is not None and not bool(self.arg_constraints["probs"].check(probs).all()):
                raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(probs)
            self._given = "probs"
        else:
            (self.logits,) = broadcast_all(logits)
            self._given = "logits"
        self._lims = lims
        super().__init__(self._param.shape, validate_args=validate_args)

    @property
    def _param(self):
        """The parameter given, ``probs`` or ``logits``."""
        return getattr(self, self._given)

    @property
    def param_shape(self):
        return self._param.shape

    def _expanded_state(self, batch_shape):
        return {**super()._expanded_state(batch_shape), "_given": self._given, "_lims": self._lims}

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    # Away from ½ the closed forms, near it the Taylor polynomials -------------------------

    def _outside_unstable_region(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        """λ, or the lower limit where λ is near ½ (a finite stand-in for the closed forms)."""
        return ops.where(self._outside_unstable_region(), self.probs, self._lims[0])

    def _log_odds_against(self, lam):
        """log(1 − λ) − log λ = −ℓ."""
        return (-lam).log1p() - lam.log()

    def _cont_bern_log_norm(self):
        """log C(λ)."""
        lam = self._cut_probs()
        below = lam <= 0.5
        # log|1 − 2λ|, as log(1 − 2λ) below ½ and log(2λ − 1) above
        log_gap = ops.where(below, (-2.0 * ops.where(below, lam, 0.0)).log1p(),
                            (2.0 * ops.where(below, 1.0, lam) - 1.0).log())
        log_norm = self._log_odds_against(lam).abs().log() - log_gap
        x2 = (self.probs - 0.5).square()
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x2) * x2
        return ops.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        lam = self._cut_probs()
        closed = lam / (2.0 * lam - 1.0) + 1.0 / self._log_odds_against(lam)
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.square()) * x
        return ops.where(self._outside_unstable_region(), closed, taylor)

    @property
    def variance(self):
        lam = self._cut_probs()
        closed = lam * (lam - 1.0) / (1.0 - 2.0 * lam).square() + 1.0 / self._log_odds_against(lam).square()
        x2 = (self.probs - 0.5).square()
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x2) * x2
        return ops.where(self._outside_unstable_region(), closed, taylor)

    def sample(self, sample_shape=()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        return self.icdf(uniform(self._extended_shape(sample_shape), self.probs))

    def log_prob(self, value):
        self._validate_sample(value)
        logits = self.logits
        return value * logits - softplus(logits) + self._cont_bern_log_norm()

    def cdf(self, value):
        self._validate_sample(value, "cdf")
        lam = self._cut_probs()
        closed = (lam ** value * (1.0 - lam) ** (1.0 - value) + lam - 1.0) / (2.0 * lam - 1.0)
        inside = ops.where(self._outside_unstable_region(), closed, value)
        return ops.where(value <= 0.0, 0.0, ops.where(value >= 1.0, 1.0, inside))

    def icdf(self, value):
        lam = self._cut_probs()
        closed = ((-lam + value * (2.0 * lam - 1.0)).log1p() - (-lam).log1p()) / -self._log_odds_against(lam)
        return ops.where(self._outside_unstable_region(), closed, value)

    def entropy(self):
        log_probs0, log_probs1 = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        # log((eˣ − 1)/x), and near 0 its Taylor polynomial x/2 + x²/24 − x⁴/2880
        outside = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut = ops.where(outside, x, self._lims[0] - 0.5)
        log_norm = cut.expm1().abs().log() - cut.abs().log()
        taylor = 0.5 * x + x.square() / 24.0 - x.square().square() / 2880.0
        return ops.where(outside, log_norm, taylor)


# KL divergences, the pairs PyTorch registers --------------------------------------------------


def _cross_entropy(q: ContinuousBernoulli, mean):
    """C(p, q) = −E_p log q(X) = −E_p X·ℓ + softplus(ℓ) − log C(λ), from E_p X."""
    return -mean * q.logits - (-q.probs).log1p() - q._cont_bern_log_norm()


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    return -p.entropy() + _cross_entropy(q, p.mean)


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_continuous_bernoulli(p, q):
    return -p.entropy() + _cross_entropy(q, p.mean)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p, q):
    # ∞ where p reaches outside [0, 1] (PyTorch's also where p reaches 0 or 1 itself)
    return ops.where((p.low < 0) | (p.high > 1), math.inf, -p.entropy() + _cross_entropy(q, p.mean))


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p, q):
    return -p.entropy() + _to_exponential(q, p.mean)


@register_kl(ContinuousBernoulli, Normal)
def _kl_continuous_bernoulli_normal(p, q):
    return -p.entropy() + _to_normal(q, p.mean, p.variance)


@register_kl(ContinuousBernoulli, Uniform)
def _kl_continuous_bernoulli_uniform(p, q):
    # −H(p) + log(b − a), ∞ unless [a, b] holds [0, 1] (PyTorch's also where a = 0 or b = 1)
    return ops.where((q.low > 0) | (q.high < 1), math.inf, -p.entropy() + (q.high - q.low).log())


for _type_p, _type_q in ((ContinuousBernoulli, Pareto), (Exponential, ContinuousBernoulli),
                         (Gamma, ContinuousBernoulli), (Gumbel, ContinuousBernoulli), (Laplace, ContinuousBernoulli),
                         (Normal, ContinuousBernoulli), (Pareto, ContinuousBernoulli)):
    register_kl(_type_p, _type_q)(_kl_infinite)
