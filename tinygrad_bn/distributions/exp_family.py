"""Exponential families: PyTorch's ``ExponentialFamily``, the base of the families whose
densities have the form

    p(x; θ) = h(x) exp(⟨θ, T(x)⟩ − A(θ))

with natural parameters θ, sufficient statistics T, carrier measure h and log-normalizer
A. Since ∇A(θ) = E[T(X)], the entropy and the KL divergence between two members of one
family follow from A alone, as a Bregman divergence:

    H(θ)         = A(θ) − ⟨θ, ∇A(θ)⟩ − E[log h(X)]
    KL(θp ‖ θq)  = A(θq) − A(θp) − ⟨θq − θp, ∇A(θp)⟩

∇A is taken by the library's autograd, at detached copies of θ, as in PyTorch.
"""

from __future__ import annotations

from tinygrad_bn.autograd import enable_grad, grad
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.utils import sum_rightmost

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """A family of the form h(x) exp(⟨θ, T(x)⟩ − A(θ)): a subclass gives ``_natural_params``
    (the tuple θ), ``_log_normalizer(*θ)`` (A) and ``_mean_carrier_measure`` (E[log h(X)])
    and gets :meth:`entropy`, and the KL divergence to another member of its own family
    from :func:`~tinygrad_bn.distributions.kl_divergence`.

    >>> import math
    >>> import tinygrad_bn as torch
    >>> from tinygrad_bn.distributions import ExponentialFamily, Exponential
    >>> d = Exponential(torch.tensor([0.5, 2.0], dtype=torch.float64))
    >>> [round(h, 12) for h in ExponentialFamily.entropy(d).tolist()] == [round(1 - math.log(r), 12) for r in (0.5, 2)]
    True
    """

    @property
    def _natural_params(self) -> tuple:
        """θ, one tensor per natural parameter."""
        raise NotImplementedError(f"{type(self).__name__} does not give its natural parameters")

    def _log_normalizer(self, *natural_params):
        """A(θ), the log of the integral that normalizes the density."""
        raise NotImplementedError(f"{type(self).__name__} does not give its log-normalizer")

    @property
    def _mean_carrier_measure(self):
        """E[log h(X)]."""
        raise NotImplementedError(f"{type(self).__name__} does not give its mean carrier measure")

    def entropy(self):
        # A(θ) − ⟨θ, ∇A(θ)⟩ − E[log h(X)]
        thetas, log_normalizer, gradients = log_normalizer_and_gradients(self)
        result = log_normalizer - self._mean_carrier_measure
        for theta, gradient in zip(thetas, gradients):
            result = result - (theta * gradient).reshape(*self.batch_shape, -1).sum(-1)
        return result


def log_normalizer_and_gradients(dist: ExponentialFamily) -> tuple:
    """θ (detached copies of ``dist``'s natural parameters), A(θ) and ∇A(θ), the last two
    in a graph that is kept, so that a result built from them can be differentiated (in
    the parameters of another distribution, as a KL divergence's q)."""
    thetas = [theta.detach().requires_grad_() for theta in dist._natural_params]
    with enable_grad():
        log_normalizer = dist._log_normalizer(*thetas)
        gradients = grad(log_normalizer.sum(), thetas, create_graph=True)
    return thetas, log_normalizer, gradients


def bregman_kl(p: ExponentialFamily, q: ExponentialFamily):
    """KL(p ‖ q) = A(θq) − A(θp) − ⟨θq − θp, ∇A(θp)⟩ for two members of one family."""
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential families cannot be "
                                  "computed using Bregman divergences")
    thetas_p, log_normalizer_p, gradients = log_normalizer_and_gradients(p)
    result = q._log_normalizer(*q._natural_params) - log_normalizer_p
    for theta_p, theta_q, gradient in zip(thetas_p, q._natural_params, gradients):
        result = result - sum_rightmost((theta_q - theta_p) * gradient, len(q.event_shape))
    return result
