"""Mixtures of K distributions of one family: PyTorch's
``MixtureSameFamily(mixture_distribution, component_distribution)``.

The last batch axis of ``component_distribution`` holds the K components; the
:class:`Categorical` ``mixture_distribution`` (batch ``batch_shape``, K classes) holds
their weights w. With the components' means μₖ, variances σₖ² and densities pₖ:

    log p(x) = log Σₖ wₖ pₖ(x)   (computed as logsumexp of log wₖ + log pₖ(x))
    mean     = Σₖ wₖ μₖ
    variance = Σₖ wₖ σₖ² + Σₖ wₖ (μₖ − mean)²      (the law of total variance)
    cdf(x)   = Σₖ wₖ Fₖ(x)                          (univariate components)

A sample picks a component from the mixture, then takes that component's sample;
the pick is discrete, so there is no ``rsample``.
"""

from __future__ import annotations

from tinygrad_bn.autograd import no_grad
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.categorical import Categorical
from tinygrad_bn.distributions.distribution import Distribution


class MixtureSameFamilyConstraint(constraints.Constraint):
    """The support of a mixture: a value lies in it where it lies in the support of
    every component (the components' support read with the component axis put back)."""

    def __init__(self, base_constraint):
        if not isinstance(base_constraint, constraints.Constraint):
            raise TypeError(f"base_constraint must be a Constraint, got {type(base_constraint).__name__}")
        self.base_constraint = base_constraint

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim

    def check(self, value):
        if value.ndim < self.event_dim:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {value.ndim}")
        result = self.base_constraint.check(value.unsqueeze(-1 - self.event_dim))
        kept = value.ndim - self.event_dim
        return result.reshape(*result.shape[:kept], -1).all(-1)

    def __repr__(self):
        return f"{type(self).__name__}({self.base_constraint!r})"


class MixtureSameFamily(Distribution):
    """A batch of mixtures: ``mixture_distribution`` a :class:`Categorical` over the K
    components, ``component_distribution`` any distribution whose last batch axis has
    size K (the rest broadcasting with the mixture's batch). The batch shape is the
    components' without that axis, the event shape theirs.

    >>> import tinygrad_bn as torch
    >>> from tinygrad_bn.distributions import Categorical, MixtureSameFamily, Normal
    >>> mix = MixtureSameFamily(Categorical(torch.tensor([0.25, 0.75])),
    ...                         Normal(torch.tensor([-1.0, 1.0]), torch.tensor([1.0, 2.0])))
    >>> mix.batch_shape, mix.mean.item(), mix.variance.item()
    ((), 0.5, 4.0)
    >>> mix.log_prob(torch.zeros(4)).shape, mix.sample((5,)).shape
    ((4,), (5,))
    """

    arg_constraints = {}
    has_rsample = False
    has_enumerate_support = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(" The Mixture distribution needs to be an  instance of torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution needs to be an instance of "
                             "torch.distributions.Distribution")
        if not component_distribution.batch_shape:
            raise ValueError("`component_distribution.batch_shape` must have an axis of the components, "
                             "got ()")
        mixture_batch = mixture_distribution.batch_shape
        component_batch = component_distribution.batch_shape[:-1]
        for one, other in zip(reversed(mixture_batch), reversed(component_batch)):
            if one != 1 and other != 1 and one != other:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mixture_batch}) is not compatible with "
                                 f"`component_distribution.batch_shape`({component_batch})")
        # the logits, as PyTorch reads them here (so that both print in the repr)
        in_mixture = mixture_distribution.logits.shape[-1]
        in_components = component_distribution.batch_shape[-1]
        if in_mixture != in_components:
            raise ValueError(f"`mixture_distribution component` ({in_mixture}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({in_components})")
        self._num_component = in_mixture
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(component_batch, component_distribution.event_shape, validate_args)

    def _expanded_state(self, batch_shape):
        return {"_mixture_distribution": self._mixture_distribution.expand(batch_shape),
                "_component_distribution": self._component_distribution.expand((*batch_shape, self._num_component)),
                "_num_component": self._num_component, "_event_ndims": self._event_ndims}

    @property
    def mixture_distribution(self):
        return self._mixture_distribution

    @property
    def component_distribution(self):
        return self._component_distribution

    @property
    def support(self):
        return MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mean(self):
        weights = self._weights_per_event(self.mixture_distribution.probs)
        return (weights * self.component_distribution.mean).sum(-1 - self._event_ndims)  # Σₖ wₖ μₖ

    @property
    def variance(self):
        weights = self._weights_per_event(self.mixture_distribution.probs)
        components = self.component_distribution
        within = (weights * components.variance).sum(-1 - self._event_ndims)  # E[Var(X | k)]
        spread = components.mean - self._pad(self.mean)
        between = (weights * spread.pow(2.0)).sum(-1 - self._event_ndims)  # Var(E[X | k])
        return within + between

    def cdf(self, value):
        """Σₖ wₖ Fₖ(value), for components over numbers (event shape ())."""
        return (self.component_distribution.cdf(self._pad(value)) * self.mixture_distribution.probs).sum(-1)

    def log_prob(self, value):
        self._validate_sample(value)
        by_component = self.component_distribution.log_prob(self._pad(value))  # sample + batch + (K,)
        log_weights = self.mixture_distribution.logits.log_softmax(-1)
        return (by_component + log_weights).logsumexp(-1)

    def sample(self, sample_shape=()):
        """Outside the graph: a component index from the mixture (drawn first, as in
        PyTorch, so the same indices after the same seed), then every component's sample,
        and of those the one of the drawn component. A mixture whose batch broadcasts
        to the components' is expanded first, so each mixture of the batch picks its own."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            mixture = self.mixture_distribution
            if mixture.batch_shape != self.batch_shape:  # one pick per mixture of the batch
                mixture = mixture.expand(self.batch_shape)
            picked = mixture.sample(sample_shape)  # sample + batch
            drawn = self.component_distribution.sample(sample_shape)  # sample + batch + (K,) + event
            axis = len(shape) - self._event_ndims
            index = picked.reshape(*picked.shape, *(1,) * (self._event_ndims + 1))
            index = index.broadcast_to((*shape[:axis], 1, *self.event_shape))
            return drawn.gather(axis, index).squeeze(axis)

    def _pad(self, value):
        """``value`` with an axis of size 1 for the components before its event axes."""
        return value.unsqueeze(-1 - self._event_ndims)

    def _weights_per_event(self, probs):
        """The mixture's weights (batch + (K,)) with a 1 for each event axis."""
        return probs.reshape(*probs.shape, *(1,) * self._event_ndims)

    def __repr__(self):
        return f"{type(self).__name__}(\n  {self.mixture_distribution!r},\n  {self.component_distribution!r})"
