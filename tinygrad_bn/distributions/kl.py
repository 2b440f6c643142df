"""KL(p ‖ q) = E_p[log p(X) − log q(X)] in closed form: PyTorch's ``kl_divergence`` and
``register_kl``, with the pairs of the families here: each family with itself below (and
the two normal families over vectors with each other), and the pairs of two families in
:mod:`~.kl_cross`.

``kl_divergence(p, q)`` calls the function registered for the most specific pair of
classes that ``type(p)`` and ``type(q)`` derive from (the nearest in p's class order,
then q's); where two pairs are equally near, a warning asks for a registration that
settles it, as in PyTorch.

>>> import tinygrad_bn as torch
>>> from tinygrad_bn.distributions import Normal, kl_divergence
>>> kl_divergence(Normal(0.0, 1.0), Normal(1.0, 1.0)).item()  # (μ₁ − μ₂)²/2
0.5
"""

from __future__ import annotations

import math
import warnings

from tinygrad_bn import ops
from tinygrad_bn.distributions.bernoulli import Bernoulli
from tinygrad_bn.distributions.beta import Beta
from tinygrad_bn.distributions.binomial import Binomial
from tinygrad_bn.distributions.categorical import Categorical
from tinygrad_bn.distributions.cauchy import Cauchy
from tinygrad_bn.distributions.dirichlet import Dirichlet
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.exp_family import ExponentialFamily, bregman_kl
from tinygrad_bn.distributions.exponential import Exponential
from tinygrad_bn.distributions.gamma import Gamma
from tinygrad_bn.distributions.geometric import Geometric
from tinygrad_bn.distributions.half_normal import HalfNormal
from tinygrad_bn.distributions.independent import Independent
from tinygrad_bn.distributions.laplace import Laplace
from tinygrad_bn.distributions.low_rank_multivariate_normal import LowRankMultivariateNormal
from tinygrad_bn.distributions.multivariate_normal import MultivariateNormal, solve_lower
from tinygrad_bn.distributions.normal import Normal
from tinygrad_bn.distributions.one_hot_categorical import OneHotCategorical
from tinygrad_bn.distributions.poisson import Poisson
from tinygrad_bn.distributions.uniform import Uniform
from tinygrad_bn.distributions.utils import softplus, sum_rightmost

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY = {}  # (type of p, type of q) -> function(p, q)


def register_kl(type_p, type_q):
    """A decorator that registers ``function(p, q)`` as KL(p ‖ q) for distributions of
    the classes ``type_p`` and ``type_q`` (and of their subclasses, unless a nearer pair
    is registered).

    >>> from tinygrad_bn.distributions import Normal, kl_divergence
    >>> class Standard(Normal):
    ...     pass
    >>> @register_kl(Standard, Standard)
    ... def _kl_standard(p, q):
    ...     return p.loc * 0
    >>> p, q = Standard(0.0, 1.0), Standard(1.0, 1.0)
    >>> kl_divergence(p, q).item(), kl_divergence(p, Normal(1.0, 1.0)).item()  # the second is Normal's
    (0.0, 0.5)
    """
    for name, cls in (("type_p", type_p), ("type_q", type_q)):
        if not (isinstance(cls, type) and issubclass(cls, Distribution)):
            raise TypeError(f"register_kl expects {name} to be a Distribution subclass, got {cls!r}")

    def decorator(function):
        _KL_REGISTRY[type_p, type_q] = function
        return function

    return decorator


def _dispatch(type_p: type, type_q: type):
    """The function of the most specific registered pair for (type_p, type_q), or None."""
    matches = [(p, q) for p, q in _KL_REGISTRY if issubclass(type_p, p) and issubclass(type_q, q)]
    if not matches:
        return None

    def nearness(pair, first):  # how far up each class order the pair's classes sit
        distances = (type_p.__mro__.index(pair[0]), type_q.__mro__.index(pair[1]))
        return distances if first == "p" else distances[::-1]

    by_p = min(matches, key=lambda pair: nearness(pair, "p"))
    by_q = min(matches, key=lambda pair: nearness(pair, "q"))
    if _KL_REGISTRY[by_p] is not _KL_REGISTRY[by_q]:
        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}): "
                      f"({by_p[0].__name__}, {by_p[1].__name__}) and ({by_q[0].__name__}, {by_q[1].__name__}) "
                      f"both match; register_kl({type_p.__name__}, {type_q.__name__}) to choose", RuntimeWarning,
                      stacklevel=3)
    return _KL_REGISTRY[by_p]


def kl_divergence(p: Distribution, q: Distribution):
    """KL(p ‖ q), one per distribution of the batch, in closed form.

    Raises NotImplementedError for a pair of classes with no registered formula.
    """
    function = _dispatch(type(p), type(q))
    if function is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
                                  f"{type(q).__name__}; register one with register_kl")
    return function(p, q)


# The pairs ------------------------------------------------------------------------------


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    # (r + ((μp − μq)/σq)² − 1 − log r)/2, r = (σp/σq)²
    ratio = (p.scale / q.scale).square()
    shift = ((p.loc - q.loc) / q.scale).square()
    return 0.5 * (ratio + shift - 1 - ratio.log())


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariate_normal(p, q):
    # ½(log det Σq − log det Σp + tr(Σq⁻¹ Σp) + (μq − μp)ᵀ Σq⁻¹ (μq − μp) − n), which with Σ = L Lᵀ is
    # Σᵢ log Lq,ᵢᵢ − Σᵢ log Lp,ᵢᵢ + (‖Lq⁻¹ Lp‖²_F + ‖Lq⁻¹ (μq − μp)‖² − n)/2
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence of MultivariateNormal distributions needs events of one shape, got "
                         f"{p.event_shape} and {q.event_shape}")
    L_p, L_q = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    trace = solve_lower(L_q, L_p).square().sum((-2, -1))
    mahalanobis = solve_lower(L_q, (q.loc - p.loc).unsqueeze(-1)).square().sum((-2, -1))
    return q._half_log_det - p._half_log_det + 0.5 * (trace + mahalanobis - p.event_shape[0])


def _inverse_quadratic(d, X):
    """tr(Xᵀ Σ⁻¹ X) for a normal distribution over vectors d and X of shape (..., n, k)."""
    if isinstance(d, LowRankMultivariateNormal):
        return d._inverse_quadratic(X)
    return solve_lower(d._unbroadcasted_scale_tril, X).square().sum((-2, -1))


def _covariance_root(d):
    """A matrix S with S Sᵀ = Σ: [W, √D] for a low-rank one, L for a MultivariateNormal."""
    if isinstance(d, LowRankMultivariateNormal):
        return d._covariance_root
    return d._unbroadcasted_scale_tril


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
@register_kl(LowRankMultivariateNormal, MultivariateNormal)
@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_low_rank_multivariate_normal(p, q):
    # as for two MultivariateNormals, with tr(Σq⁻¹ Σp) = tr(Sᵀ Σq⁻¹ S) for S Sᵀ = Σp, and the
    # solves by Σq the Woodbury identity's where q is of low rank (see low_rank_multivariate_normal.py)
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence of {type(p).__name__} and {type(q).__name__} needs events of one "
                         f"shape, got {p.event_shape} and {q.event_shape}")
    trace = _inverse_quadratic(q, _covariance_root(p))
    mahalanobis = _inverse_quadratic(q, (q.loc - p.loc).unsqueeze(-1))
    return q._half_log_det - p._half_log_det + 0.5 * (trace + mahalanobis - p.event_shape[0])


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    # p·(log p − log q) + (1 − p)·(log(1 − p) − log(1 − q)), with log σ(ℓ) = −softplus(−ℓ);
    # ∞ where q puts 0 on an outcome p can take, 0 for an outcome p never takes
    ones = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    ones = ops.where(p.probs == 0, 0.0, ops.where(q.probs == 0, math.inf, ones))
    zeros = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    zeros = ops.where(p.probs == 1, 0.0, ops.where(q.probs == 1, math.inf, zeros))
    return ones + zeros


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    # Σₖ pₖ·(log pₖ − log qₖ), with the same conventions as for Bernoulli
    terms = p.probs * (p.logits - q.logits)
    terms = ops.where(p.probs == 0, 0.0, ops.where(q.probs == 0, math.inf, terms))
    return terms.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    # log((high_q − low_q)/(high_p − low_p)), ∞ unless q's interval holds p's
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return ops.where((q.low > p.low) | (q.high < p.high), math.inf, result)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    # r − 1 − log r, r = λq/λp
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    # −log r + |μp − μq|/bq + r·e^(−|μp − μq|/bp) − 1, r = bp/bq
    ratio = p.scale / q.scale
    distance = (p.loc - q.loc).abs()
    return -ratio.log() + distance / q.scale + ratio * (-distance / p.scale).exp() - 1


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    # αq log(βp/βq) + log Γ(αq) − log Γ(αp) + (αp − αq) ψ(αp) + (βq − βp) αp/βp
    alpha_p, alpha_q, beta_p, beta_q = p.concentration, q.concentration, p.rate, q.rate
    return (alpha_q * (beta_p / beta_q).log() + alpha_q.lgamma() - alpha_p.lgamma()
            + (alpha_p - alpha_q) * alpha_p.digamma() + (beta_q - beta_p) * alpha_p / beta_p)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    # log Γ(α₀p) − log Γ(α₀q) − Σₖ (log Γ(αp,ₖ) − log Γ(αq,ₖ)) + Σₖ (αp,ₖ − αq,ₖ)(ψ(αp,ₖ) − ψ(α₀p))
    alpha_p, alpha_q = p.concentration, q.concentration
    total_p = alpha_p.sum(-1, keepdim=True)
    log_normalizers = total_p.squeeze(-1).lgamma() - alpha_q.sum(-1).lgamma()
    return (log_normalizers - (alpha_p.lgamma() - alpha_q.lgamma()).sum(-1)
            + ((alpha_p - alpha_q) * (alpha_p.digamma() - total_p.digamma())).sum(-1))


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    return _kl_dirichlet_dirichlet(p._dirichlet, q._dirichlet)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    # λp log(λp/λq) − (λp − λq): λq where λp = 0 (PyTorch gives NaN there), ∞ where only λq = 0
    return p.rate.xlogy(p.rate) - p.rate.xlogy(q.rate) - (p.rate - q.rate)


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    # both fold a centred normal at 0, so the ratio of densities is the normals' one
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    # log(((γp + γq)² + (x₀p − x₀q)²) / (4 γp γq))
    return ((p.scale + q.scale).square() + (p.loc - q.loc).square()).log() - (4 * p.scale * q.scale).log()


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    # −H(p) − E_p[k]·log(1 − q) − log q, with E_p[k] + 1 = 1/p and log q = log(1 − q) + ℓq
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    # n·(p(ℓp − ℓq) + log(1 − p) − log(1 − q)) for equal n; ∞ where q has fewer trials
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p() - (-q.probs).log1p())
    return ops.where(p.total_count > q.total_count, math.inf, kl)


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p, q):
    # the Bregman divergence of the log-normalizer, for two members of one family
    return bregman_kl(p, q)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(
            "kl_divergence of Independent distributions needs the same reinterpreted_batch_ndims, "
            f"got {p.reinterpreted_batch_ndims} and {q.reinterpreted_batch_ndims}"
        )
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


# the pairs of two families register themselves with register_kl, defined above
from tinygrad_bn.distributions import kl_cross  # noqa: E402, F401
