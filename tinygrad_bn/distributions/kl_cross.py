"""KL(p ‖ q) between two families, the pairs PyTorch 2.13 registers among the families
here (and Uniform against Laplace, which it does not), registered with
:func:`~tinygrad_bn.distributions.kl.register_kl` when :mod:`~.kl` is imported.

Each finite pair is written KL(p ‖ q) = −H(p) + C(p, q), with C(p, q) = −E_p[log q(X)]
the cross-entropy, which needs only a few expectations under p:

    q = Normal(μ, σ):        C = log σ + ½·log 2π + (Var_p X + (E_p X − μ)²)/(2σ²)
    q = Exponential(λ):      C = −log λ + λ·E_p X
    q = Gamma(k, r):         C = −k·log r + log Γ(k) − (k − 1)·E_p log X + r·E_p X
    q = Gumbel(m, s):        C = log s + (E_p X − m)/s + e^(m/s)·E_p e^(−X/s)
    q = Laplace(m, b):       C = log 2b + E_p|X − m|/b
    q = Uniform(a, b):       C = log(b − a)
    q = Beta(α, β):          C = log B(α, β) − (α − 1)·E_p log X − (β − 1)·E_p log(1 − X)
    q = Poisson(λ):          C = λ − E_p X·log λ + E_p log X!

Where p gives weight to values q cannot produce, KL = ∞: always, for the pairs PyTorch
registers as infinite (a Normal against an Exponential, ...), and where the parameters
say so for the others (a Uniform against an Exponential with low < 0, ...).

>>> from tinygrad_bn.distributions import Exponential, Normal, Uniform, kl_divergence
>>> round(kl_divergence(Uniform(0.0, 2.0), Exponential(1.0)).item(), 6)  # −log 2 + 1
0.306853
>>> kl_divergence(Normal(0.0, 1.0), Exponential(1.0)).item()
inf
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn import ops
from tinygrad_bn.distributions.bernoulli import Bernoulli
from tinygrad_bn.distributions.beta import Beta
from tinygrad_bn.distributions.exponential import Exponential
from tinygrad_bn.distributions.gamma import Gamma
from tinygrad_bn.distributions.gumbel import Gumbel
from tinygrad_bn.distributions.kl import _kl_normal_normal, register_kl
from tinygrad_bn.distributions.laplace import Laplace
from tinygrad_bn.distributions.log_normal import LogNormal
from tinygrad_bn.distributions.normal import Normal
from tinygrad_bn.distributions.poisson import Poisson
from tinygrad_bn.distributions.uniform import Uniform
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.ops.promotion import broadcast_shapes

EULER = float(numpy.euler_gamma)
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


# Cross-entropies C(p, q) = −E_p[log q(X)], from the expectations under p they need ----------


def _to_normal(q: Normal, mean, variance):
    return q.scale.log() + HALF_LOG_2PI + (variance + (mean - q.loc).square()) / (2 * q.scale.square())


def _to_exponential(q: Exponential, mean):
    return -q.rate.log() + q.rate * mean


def _to_gamma(q: Gamma, mean, mean_log):
    k, r = q.concentration, q.rate
    return -k * r.log() + k.lgamma() - (k - 1) * mean_log + r * mean


def _to_gumbel(q: Gumbel, mean, log_mean_exp):
    # log_mean_exp = log E_p[e^(−X/s)], so that e^(m/s)·E_p[e^(−X/s)] is one exponential
    return q.scale.log() + (mean - q.loc) / q.scale + (q.loc / q.scale + log_mean_exp).exp()


def _to_laplace(q: Laplace, mean_distance):
    return (2 * q.scale).log() + mean_distance / q.scale


def _to_beta(q: Beta, mean_log, mean_log_complement):
    a, b = q.concentration1, q.concentration0
    log_beta = a.lgamma() + b.lgamma() - (a + b).lgamma()
    return log_beta - (a - 1) * mean_log - (b - 1) * mean_log_complement


# Expectations under a uniform p on [l, h] ------------------------------------------------


def _uniform_mean_log(low, high):
    # E log X = (h·log h − l·log l)/(h − l) − 1, for 0 ≤ l < h
    return (high.xlogy(high) - low.xlogy(low)) / (high - low) - 1


def _uniform_log_mean_exp(low, high, t):
    # log E e^(−X/t) = log(t·(e^(−l/t) − e^(−h/t))/(h − l)) = −l/t + log(−expm1(−(h − l)/t)) + log(t/(h − l))
    width = high - low
    return -low / t + (-(-width / t).expm1()).log() + (t / width).log()


def _uniform_mean_distance(low, high, m):
    # E|X − m| = ((c − l)(2m − l − c) + (h − c)(h + c − 2m)) / (2(h − l)), c = m held within [l, h]
    c = m.clamp(low, high)
    return ((c - low) * (2 * m - low - c) + (high - c) * (high + c - 2 * m)) / (2 * (high - low))


# p = Uniform(l, h) -----------------------------------------------------------------------


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    return -p.entropy() + _to_normal(q, p.mean, p.variance)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    return ops.where(p.low < 0, math.inf, -p.entropy() + _to_exponential(q, p.mean))


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    negative = p.low < 0
    low = ops.where(negative, 0.0, p.low)  # a finite stand-in where the KL is ∞: no log of a negative number
    result = -p.entropy() + _to_gamma(q, p.mean, _uniform_mean_log(low, p.high))
    return ops.where(negative, math.inf, result)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    return -p.entropy() + _to_gumbel(q, p.mean, _uniform_log_mean_exp(p.low, p.high, q.scale))


@register_kl(Uniform, Laplace)
def _kl_uniform_laplace(p, q):
    # not in PyTorch 2.13 (which raises NotImplementedError)
    return -p.entropy() + _to_laplace(q, _uniform_mean_distance(p.low, p.high, q.loc))


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    outside = (p.low < 0) | (p.high > 1)
    low, high = ops.where(outside, 0.0, p.low), ops.where(outside, 1.0, p.high)  # finite stand-ins where ∞
    mean_log = _uniform_mean_log(low, high)
    mean_log_complement = _uniform_mean_log(1 - high, 1 - low)  # 1 − X is uniform on [1 − h, 1 − l]
    result = -p.entropy() + _to_beta(q, mean_log, mean_log_complement)
    return ops.where(outside, math.inf, result)


# p = Exponential(λ): E X = 1/λ, E log X = −γ − log λ, log E e^(−X/s) = −log(1 + 1/(λs)) -------


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    return -p.entropy() + _to_normal(q, p.mean, p.variance)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    return -p.entropy() + _to_gamma(q, p.mean, -EULER - p.rate.log())


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    return -p.entropy() + _to_gumbel(q, p.mean, -(1 / (p.rate * q.scale)).log1p())


# p = Gamma(α, r): E X = α/r, log E e^(−X/s) = −α·log(1 + 1/(rs)) ------------------------------


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    return -p.entropy() + _to_normal(q, p.mean, p.variance)


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    return -p.entropy() + _to_exponential(q, p.mean)


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    return -p.entropy() + _to_gumbel(q, p.mean, -p.concentration * (1 / (p.rate * q.scale)).log1p())


# p = Beta(a, b): E log X = ψ(a) − ψ(a + b) ----------------------------------------------------


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    return -p.entropy() + _to_normal(q, p.mean, p.variance)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    return -p.entropy() + _to_exponential(q, p.mean)


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    mean_log = p.concentration1.digamma() - (p.concentration1 + p.concentration0).digamma()
    return -p.entropy() + _to_gamma(q, p.mean, mean_log)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    # −H(p) + log(b − a), ∞ unless [a, b] holds [0, 1]
    result = -p.entropy() + (q.high - q.low).log()
    return ops.where((q.low > 0) | (q.high < 1), math.inf, result)


# p = Normal(μ, σ): E|X − m| = σ·√(2/π)·e^(−d²/2σ²) + d·erf(d/(σ√2)), d = μ − m;
# log E e^(−X/s) = −μ/s + σ²/(2s²) -----------------------------------------------------------


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    d = p.loc - q.loc
    mean_distance = p.scale * math.sqrt(2 / math.pi) * (-(d / p.scale).square() / 2).exp() \
        + d * (d / (p.scale * math.sqrt(2))).erf()
    return -p.entropy() + _to_laplace(q, mean_distance)


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    log_mean_exp = -p.loc / q.scale + (p.scale / q.scale).square() / 2
    return -p.entropy() + _to_gumbel(q, p.mean, log_mean_exp)


# p = Laplace(μ, b), Gumbel(μ, s) --------------------------------------------------------------


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    return -p.entropy() + _to_normal(q, p.mean, p.variance)


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    return -p.entropy() + _to_normal(q, p.mean, p.variance)


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    # X = μ + s'·G with G standard Gumbel: log E e^(−X/s) = −μ/s + log Γ(1 + s'/s)
    log_mean_exp = -p.loc / q.scale + (1 + p.scale / q.scale).lgamma()
    return -p.entropy() + _to_gumbel(q, p.mean, log_mean_exp)


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p, q):
    # the KL of the logs: exp is one-to-one (PyTorch's, through its TransformedDistribution)
    return _kl_normal_normal(p.base_dist, q.base_dist)


# p = Bernoulli(π) against a Poisson: E log X! = 0 --------------------------------------------


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    # −H(p) + λ − π·log λ (π·log λ = 0 at π = 0, where PyTorch gives NaN for λ = 0)
    return -p.entropy() + q.rate - p.probs.xlogy(q.rate)


# Infinite pairs: p has weight where q has none, whatever the parameters -----------------------

INFINITE = {
    Normal: (Beta, Exponential, Gamma, Uniform),
    Laplace: (Beta, Exponential, Gamma, Uniform),
    Gumbel: (Beta, Exponential, Gamma, Uniform),
    Exponential: (Beta, Uniform),
    Gamma: (Beta, Uniform),
    Poisson: (Bernoulli,),
}


def _kl_infinite(p, q):
    """∞ for each distribution of the batch (the broadcast of p's and q's), in p's dtype, with no gradient."""
    like = p.mean
    shape = broadcast_shapes(p.batch_shape, q.batch_shape)
    if shape is None:
        raise ShapeError(f"kl_divergence: batch shapes {p.batch_shape} and {q.batch_shape} do not broadcast together")
    return ops.full(shape, math.inf, dtype=like.dtype, device=like.device)


for _type_p, _types_q in INFINITE.items():
    for _type_q in _types_q:
        register_kl(_type_p, _type_q)(_kl_infinite)
