"""The Bernoulli distribution: PyTorch's ``Bernoulli(probs=None, logits=None)``.

Given one of p and its log-odds ℓ = log p − log(1 − p), the other is computed when
first asked for (p = σ(ℓ); ℓ from p clamped to [ε, 1 − ε]). In terms of ℓ, with
softplus(ℓ) = log(1 + e^ℓ):

    log p(x) = xℓ − softplus(ℓ)        (the negative of BCE with logits)
    H        = softplus(ℓ) − pℓ
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.autograd import no_grad
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.draws import uniform
from tinygrad_bn.distributions.exp_family import ExponentialFamily
from tinygrad_bn.distributions.utils import (
    BinaryProbabilities,
    broadcast_all,
    check_one_of,
    softplus,
)


class Bernoulli(BinaryProbabilities, ExponentialFamily):
    """Distributions of 0 or 1, 1 with probability ``probs`` (or σ(``logits``)); samples
    are floats in the parameter's dtype, drawn outside the graph.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Bernoulli(logits=torch.tensor([0.0, 2.0]))
    >>> [round(p, 4) for p in d.probs.tolist()], d.log_prob(torch.tensor([1.0, 1.0])).exp()[0].item()
    ([0.5, 0.8808], 0.5)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0  # E[log h(X)], h = 1

    def __init__(self, probs=None, logits=None, validate_args=None):
        check_one_of(probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            shape = self.probs.shape
        else:
            (self.logits,) = broadcast_all(logits)
            shape = self.logits.shape
        super().__init__(shape, validate_args=validate_args)

    @property
    def param_shape(self):
        return self.batch_shape

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return (self.probs >= 0.5).astype(self.probs.dtype).masked_fill(self.probs == 0.5, math.nan)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def enumerate_support(self, expand=True):
        """0 and 1 in the dtype of the parameter, along a new first axis: of shape
        (2,) + ``batch_shape``, or (2,) + (1,) * len(batch_shape) when not ``expand``."""
        given = self.__dict__["probs"] if "probs" in self.__dict__ else self.__dict__["logits"]
        values = ops.arange(2, dtype=given.dtype, device=given.device).reshape(-1, *(1,) * len(self.batch_shape))
        return values.broadcast_to((2, *self.batch_shape)) if expand else values

    def sample(self, sample_shape=()):
        with no_grad():
            probs = self.probs.detach()
            return (uniform(self._extended_shape(sample_shape), probs) < probs).astype(probs.dtype)

    def log_prob(self, value):
        self._validate_sample(value)
        return value * self.logits - softplus(self.logits)

    def entropy(self):
        return softplus(self.logits) - self.probs * self.logits

    @property
    def _natural_params(self):
        return (ops.logit(self.probs),)

    def _log_normalizer(self, x):
        # A(θ) = log(1 + e^θ)
        return x.exp().log1p()
