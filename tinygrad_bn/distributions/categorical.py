"""The categorical distribution over K classes: PyTorch's ``Categorical(probs=None,
logits=None)``.

``probs`` are normalized to sum to 1 over the last axis, ``logits`` to log-probabilities
by log-sum-exp (ℓ − log Σ e^ℓ); the other is computed when first asked for (softmax of
the logits, or the log of the probabilities clamped to [ε, 1 − ε]). Then

    log p(k) = ℓₖ,    H = −Σₖ pₖ ℓₖ

Samples are drawn as PyTorch draws them, one ``multinomial`` draw with replacement
per row of probabilities, so they are PyTorch's classes after the same seed.
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.utils import check_one_of, lazy_property, logits_to_probs, probs_to_logits
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.ops.promotion import broadcast_shapes
from tinygrad_bn.ops.sampling import multinomial


class Categorical(Distribution):
    """Distributions over the classes 0 .. K − 1 of the last axis of ``probs`` (any
    non-negative weights) or ``logits`` (unnormalized log-probabilities); the other axes
    are the batch. Samples are int64 class indices, drawn outside the graph by
    :func:`~tinygrad_bn.multinomial` as PyTorch draws them: after the same
    ``manual_seed``, the same classes as PyTorch's ``Categorical.sample``.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Categorical(logits=torch.tensor([[0.0, 0.0], [1000.0, 0.0]]))
    >>> d.batch_shape, d.log_prob(torch.tensor([1, 1])).tolist(), d.sample((3,)).shape
    ((2,), [-0.6931471824645996, -1000.0], (3, 2))
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        check_one_of(probs, logits)
        name, given = ("probs", probs) if probs is not None else ("logits", logits)
        if not isinstance(given, Tensor):
            raise TypeError(f"{type(self).__name__} expects {name} as a Tensor of shape (..., K), "
                            f"got {type(given).__name__}")
        if given.ndim < 1:
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        if probs is not None:
            self.probs = probs / probs.sum(-1, keepdim=True)  # p / Σp
        else:
            self.logits = logits - logits.logsumexp(-1, keepdim=True)  # ℓ − log Σ e^ℓ
        super().__init__(given.shape[:-1], validate_args=validate_args)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @property
    def param_shape(self):
        """``batch_shape + (K,)``."""
        return self._param.shape

    @property
    def _num_events(self) -> int:
        return self.param_shape[-1]

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return ops.full(self.batch_shape, math.nan, dtype=self.probs.dtype, device=self.probs.device)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return self.mean

    def enumerate_support(self, expand=True):
        """The classes 0 .. K − 1 (int64) along a new first axis, of shape (K,) +
        ``batch_shape``, or (K,) + (1,) * len(batch_shape) when not ``expand``."""
        classes = ops.arange(self._num_events, dtype="int64", device=self._param.device)
        classes = classes.reshape(-1, *(1,) * len(self.batch_shape))
        return classes.broadcast_to((self._num_events, *self.batch_shape)) if expand else classes

    @property
    def _param(self):
        """The parameter given, ``probs`` or ``logits``."""
        return self.__dict__["probs"] if "probs" in self.__dict__ else self.__dict__["logits"]

    def sample(self, sample_shape=()):
        """As PyTorch draws them, so the same classes after the same ``manual_seed``: the
        probabilities as rows of K, one :func:`~tinygrad_bn.multinomial` draw with
        replacement of as many classes per row as ``sample_shape`` has elements, then
        the rows turned into the last axes."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            rows = self.probs.detach().reshape(-1, self._num_events)
            drawn = multinomial(rows, math.prod(shape[: len(shape) - len(self.batch_shape)]), True)
            return drawn.transpose(0, 1).reshape(shape)

    def log_prob(self, value):
        self._validate_sample(value)
        index = ops.as_tensor(value, device=self.logits.device).astype("int64")
        shape = broadcast_shapes(index.shape, self.batch_shape)
        if shape is None:
            raise ShapeError(f"log_prob: a value of shape {index.shape} does not broadcast with the batch "
                             f"shape {self.batch_shape}")
        log_pmf = self.logits.broadcast_to((*shape, self._num_events))
        return log_pmf.gather(-1, index.broadcast_to(shape).unsqueeze(-1)).squeeze(-1)

    def entropy(self):
        # a logit of −∞ (a class of probability 0) adds 0·(the most negative float), not 0·∞
        logits = self.logits.clamp(min=float(numpy.finfo(self.logits.dtype).min))
        return -(self.probs * logits).sum(-1)


class CategoricalParameters:
    """``probs``, ``logits`` and ``param_shape`` of a family built on a :class:`Categorical`
    it keeps as ``_categorical`` (OneHotCategorical, Multinomial, ExpRelaxedCategorical)."""

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape
