"""The Dirichlet distribution over the simplex of K classes: PyTorch's ``Dirichlet(concentration)``.

With α₀ = Σₖ αₖ and log B(α) = Σₖ log Γ(αₖ) − log Γ(α₀):

    log p(x) = Σₖ (αₖ − 1) log xₖ − log B(α)
    H        = log B(α) + (α₀ − K) ψ(α₀) − Σₖ (αₖ − 1) ψ(αₖ)
    mean αₖ/α₀,   variance αₖ(α₀ − αₖ)/(α₀²(α₀ + 1))

Samples are normalized gammas, xₖ = zₖ/Σⱼ zⱼ with zₖ ~ Gamma(αₖ, 1), differentiable in α.
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.draws import standard_gamma
from tinygrad_bn.distributions.exp_family import ExponentialFamily


class Dirichlet(ExponentialFamily):
    """Dirichlet distributions of ``concentration`` α, a tensor whose last axis holds the K
    classes (the event) and whose other axes are the batch; samples are reparameterized.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Dirichlet(torch.tensor([1.0, 2.0, 5.0]))
    >>> d.batch_shape, d.event_shape, d.mean.tolist()
    ((), (3,), [0.125, 0.25, 0.625])
    >>> round(d.sample((4,)).sum(-1)[0].item(), 5)
    1.0
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if not isinstance(concentration, Tensor):
            raise TypeError(f"Dirichlet expects concentration as a Tensor of shape (..., K), "
                            f"got {type(concentration).__name__}")
        if concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    @property
    def _total(self):
        """α₀ = Σₖ αₖ, keeping the class axis."""
        return self.concentration.sum(-1, keepdim=True)

    @property
    def mean(self):
        return self.concentration / self._total

    @property
    def mode(self):
        """(αₖ − 1)⁺/Σⱼ(αⱼ − 1)⁺; where every αₖ < 1 the density grows without bound toward
        every vertex, and the first vertex is given, as PyTorch gives it."""
        excess = (self.concentration - 1).clamp(min=0)
        all_below = (self.concentration < 1).all(-1, keepdim=True)
        first_vertex = ops.arange(self.event_shape[0], device=excess.device) == 0
        return ops.where(all_below, first_vertex.astype(excess.dtype), excess / excess.sum(-1, keepdim=True))

    @property
    def variance(self):
        alpha, total = self.concentration, self._total
        return alpha * (total - alpha) / (total.square() * (total + 1))

    def rsample(self, sample_shape=()):
        z = standard_gamma(self.concentration, self._extended_shape(sample_shape))
        return z / z.sum(-1, keepdim=True)

    def log_prob(self, value):
        self._validate_sample(value)
        alpha = self.concentration
        return (alpha - 1).xlogy(value).sum(-1) + alpha.sum(-1).lgamma() - alpha.lgamma().sum(-1)

    def entropy(self):
        alpha = self.concentration
        total = alpha.sum(-1)
        log_beta = alpha.lgamma().sum(-1) - total.lgamma()
        return log_beta + (total - alpha.shape[-1]) * total.digamma() - ((alpha - 1) * alpha.digamma()).sum(-1)

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        # A(θ) = Σₖ log Γ(θₖ) − log Γ(Σₖ θₖ)
        return x.lgamma().sum(-1) - x.sum(-1).lgamma()
