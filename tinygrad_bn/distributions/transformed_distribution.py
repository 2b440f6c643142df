"""PyTorch's ``TransformedDistribution(base_distribution, transforms)``: the distribution of
Y = f(X) for X from a base distribution and f the transforms applied in order. By the
change of variables, with x = f⁻¹(y),

    log p_Y(y) = log p_X(x) − log |det ∂f/∂x|(x)

where the log-Jacobian of each transform is summed over the axes of Y's event that the
transform itself reads as batch. Samples are the base's pushed through f, so they are
reparameterized when the base's are; for monotone maps of numbers,
F_Y(y) = F_X(f⁻¹(y)) when f increases and 1 − F_X(f⁻¹(y)) when it decreases.

The event of Y has as many axes as the larger of the transforms' codomain and the
base's event carried through them: ``StickBreakingTransform`` of a batch of Normals makes
vectors of the simplex, ``ExpTransform`` of a Dirichlet keeps its vectors.
"""

from __future__ import annotations

from tinygrad_bn.autograd import no_grad
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.independent import Independent
from tinygrad_bn.distributions.kl import kl_divergence, register_kl
from tinygrad_bn.distributions.transforms import ComposeTransform, Transform
from tinygrad_bn.distributions.utils import sum_rightmost

__all__ = ["TransformedDistribution"]


class TransformedDistribution(Distribution):
    """``base_distribution`` pushed through ``transforms``, a Transform or a list of them
    applied first to last. The base is broadcast to the shape the transforms' parameters
    ask for, and wrapped in :class:`Independent` when the transforms read more of its axes
    as one event than it does.

    The logistic distribution is the logit of a uniform, scaled and shifted:

    >>> import math
    >>> import tinygrad_bn as torch
    >>> from tinygrad_bn.distributions import AffineTransform, SigmoidTransform, TransformedDistribution, Uniform
    >>> loc = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    >>> logistic = TransformedDistribution(Uniform(torch.tensor(0.0, dtype=torch.float64), 1.0),
    ...                                    [SigmoidTransform().inv, AffineTransform(loc, 2.0)])
    >>> log_p = logistic.log_prob(torch.tensor(1.0, dtype=torch.float64))  # at its mode, 1/(4·2)
    >>> math.isclose(log_p.item(), -math.log(8)), logistic.cdf(torch.tensor(1.0, dtype=torch.float64)).item()
    (True, 0.5)
    >>> log_p.backward()
    >>> abs(loc.grad.item()) < 1e-12  # the density is flat at its mode
    True
    """

    arg_constraints = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            self.transforms = [transforms]
        elif isinstance(transforms, list):
            if not all(isinstance(t, Transform) for t in transforms):
                raise ValueError("transforms must be a Transform or a list of Transforms")
            self.transforms = transforms
        else:
            raise ValueError(f"transforms must be a Transform or list, but was {transforms}")
        base_shape = base_distribution.batch_shape + base_distribution.event_shape
        base_event_dim = len(base_distribution.event_shape)
        transform = ComposeTransform(self.transforms)
        domain_event_dim, codomain_event_dim = transform.domain.event_dim, transform.codomain.event_dim
        if len(base_shape) < domain_event_dim:
            raise ValueError(f"base_distribution needs to have shape with size at least {domain_event_dim}, "
                             f"but got torch.Size({list(base_shape)}).")
        # the base, broadcast to what the transforms' parameters need, with their event axes as its event
        forward_shape = transform.forward_shape(base_shape)
        expanded_shape = tuple(transform.inverse_shape(forward_shape))
        if tuple(base_shape) != expanded_shape:
            base_distribution = base_distribution.expand(expanded_shape[: len(expanded_shape) - base_event_dim])
        if domain_event_dim > base_event_dim:
            base_distribution = Independent(base_distribution, domain_event_dim - base_event_dim)
        self.base_dist = base_distribution
        event_dim = max(codomain_event_dim, base_event_dim + codomain_event_dim - domain_event_dim)
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:], validate_args=validate_args)

    def _expanded_state(self, batch_shape):
        shape = tuple(batch_shape) + tuple(self.event_shape)
        for transform in reversed(self.transforms):
            shape = transform.inverse_shape(shape)
        base_batch_shape = shape[: len(shape) - len(self.base_dist.event_shape)]
        return {"base_dist": self.base_dist.expand(base_batch_shape), "transforms": self.transforms}

    @property
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        if len(self.event_shape) > support.event_dim:
            support = constraints.independent(support, len(self.event_shape) - support.event_dim)
        return support

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    def sample(self, sample_shape=()):
        with no_grad():
            return self._pushed(self.base_dist.sample(sample_shape))

    def rsample(self, sample_shape=()):
        return self._pushed(self.base_dist.rsample(sample_shape))

    def _pushed(self, x):
        """f(x): ``x`` through the transforms, first to last."""
        for transform in self.transforms:
            x = transform(x)
        return x

    def log_prob(self, value):
        self._validate_sample(value)
        # walk back from y to x; event_dim counts the axes of one event of the current point
        event_dim = len(self.event_shape)
        log_prob = 0.0
        y = value
        for transform in reversed(self.transforms):
            x = transform.inv(y)
            event_dim += transform.domain.event_dim - transform.codomain.event_dim
            log_prob = log_prob - sum_rightmost(transform.log_abs_det_jacobian(x, y),
                                                event_dim - transform.domain.event_dim)
            y = x
        return log_prob + sum_rightmost(self.base_dist.log_prob(y), event_dim - len(self.base_dist.event_shape))

    def _monotonized(self, probability):
        """``probability``, or 1 − it where the transforms together decrease (sign −1)."""
        sign = 1
        for transform in self.transforms:
            sign = sign * transform.sign
        if isinstance(sign, int) and sign == 1:
            return probability
        return sign * (probability - 0.5) + 0.5

    def cdf(self, value):
        for transform in reversed(self.transforms):
            value = transform.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value, "cdf")
        return self._monotonized(self.base_dist.cdf(value))

    def icdf(self, value):
        return self._pushed(self.base_dist.icdf(self._monotonized(value)))


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    """KL(p ‖ q) = KL(p.base ‖ q.base) when one bijection carries both bases: a change
    of variables changes both densities by the same Jacobian."""
    if p.transforms != q.transforms:
        raise NotImplementedError("kl_divergence of TransformedDistributions needs the same transforms")
    if p.event_shape != q.event_shape:
        raise NotImplementedError("kl_divergence of TransformedDistributions needs events of one shape, got "
                                  f"{p.event_shape} and {q.event_shape}")
    return kl_divergence(p.base_dist, q.base_dist)
