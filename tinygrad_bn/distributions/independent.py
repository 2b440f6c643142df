"""PyTorch's ``Independent(base_distribution, reinterpreted_batch_ndims)``: the last
``reinterpreted_batch_ndims`` axes of a distribution's batch read as axes of one event,
so log-probabilities and entropies are summed over them (a diagonal Normal over vectors
is ``Independent(Normal(loc, scale), 1)``).
"""

from __future__ import annotations

from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.utils import sum_rightmost


class Independent(Distribution):
    """``base_distribution`` with the last ``reinterpreted_batch_ndims`` batch axes moved
    into the event.

    >>> import tinygrad_bn as torch
    >>> from tinygrad_bn.distributions import Independent, Normal
    >>> d = Independent(Normal(torch.zeros(4, 3), 1.0), 1)
    >>> d.batch_shape, d.event_shape, d.log_prob(torch.zeros(4, 3)).shape
    ((4,), (3,), (4,))
    """

    arg_constraints = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims: int, validate_args=None):
        batch_ndims = len(base_distribution.batch_shape)
        if reinterpreted_batch_ndims > batch_ndims:
            raise ValueError("Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), "
                             f"actual {reinterpreted_batch_ndims} vs {batch_ndims}")
        shape = base_distribution.batch_shape + base_distribution.event_shape
        event_dims = reinterpreted_batch_ndims + len(base_distribution.event_shape)
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        super().__init__(shape[: len(shape) - event_dims], shape[len(shape) - event_dims:], validate_args)

    def _expanded_state(self, batch_shape):
        moved = self.event_shape[: self.reinterpreted_batch_ndims]
        return {"base_dist": self.base_dist.expand(batch_shape + moved),
                "reinterpreted_batch_ndims": self.reinterpreted_batch_ndims}

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self):
        """The base's, when no batch axis is read as an event axis (PyTorch enumerates no
        cartesian products of supports)."""
        return not self.reinterpreted_batch_ndims and self.base_dist.has_enumerate_support

    def enumerate_support(self, expand=True):
        if self.reinterpreted_batch_ndims:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    @property
    def support(self):
        support = self.base_dist.support
        if self.reinterpreted_batch_ndims:
            support = constraints.independent(support, self.reinterpreted_batch_ndims)
        return support

    @property
    def mean(self):
        return self.base_dist.mean

    @property
    def mode(self):
        return self.base_dist.mode

    @property
    def variance(self):
        return self.base_dist.variance

    def sample(self, sample_shape=()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def __repr__(self):
        return f"{type(self).__name__}({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
