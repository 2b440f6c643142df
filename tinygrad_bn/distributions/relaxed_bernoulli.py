"""The relaxed Bernoulli (binary Concrete) distribution of Maddison et al. and Jang et al.
(2017): PyTorch's ``RelaxedBernoulli(temperature, probs=None, logits=None)``, a
:class:`TransformedDistribution` of its logit, ``LogitRelaxedBernoulli``, by the sigmoid.

With ℓ the log-odds of p and τ > 0 the temperature, the logit Y of a sample is

    Y = (ℓ + log u − log(1 − u))/τ,   u ~ Uniform(0, 1)
    log p(y) = log τ + (ℓ − τy) − 2 log(1 + e^(ℓ − τy))

and σ(Y) lies in (0, 1), near 0 or 1 for small τ (near a Bernoulli(p) draw) and near
1/2 for large τ. Samples are reparameterized, differentiable in ℓ and τ.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import uniform
from tinygrad_bn.distributions.transformed_distribution import TransformedDistribution
from tinygrad_bn.distributions.transforms import SigmoidTransform
from tinygrad_bn.distributions.utils import BinaryProbabilities, broadcast_all, check_one_of, clamp_probs


def as_temperature(temperature, like: Tensor) -> Tensor:
    """The temperature as a tensor: itself when a Tensor, else in the dtype and on the
    device of the parameter ``like``."""
    if isinstance(temperature, Tensor):
        return temperature
    return Tensor(temperature, dtype=like.dtype, device=like.device)


class LogitRelaxedBernoulli(BinaryProbabilities, Distribution):
    """The logits of relaxed Bernoulli samples, of ``temperature`` τ and ``probs`` (or
    ``logits`` ℓ); τ is not broadcast into the batch, which is the parameter's. Found, as
    in PyTorch, in this module rather than in ``distributions``.

    >>> import tinygrad_bn as torch
    >>> from tinygrad_bn.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
    >>> d = LogitRelaxedBernoulli(torch.tensor(1.0), logits=torch.tensor([0.0, 2.0]))
    >>> d.batch_shape, round(d.log_prob(torch.tensor([0.0, 2.0]))[1].item(), 6)  # log τ − 2 log 2 at y = ℓ/τ
    ((2,), -1.386294)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        check_one_of(probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            given = self.__dict__["probs"]
        else:
            (self.logits,) = broadcast_all(logits)
            given = self.__dict__["logits"]
        self.temperature = as_temperature(temperature, given)
        super().__init__(given.shape, validate_args=validate_args)

    def _expanded_state(self, batch_shape):
        return {**super()._expanded_state(batch_shape), "temperature": self.temperature}

    @property
    def param_shape(self):
        return self.batch_shape

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.broadcast_to(shape))
        u = uniform(shape, probs)
        # (log u − log(1 − u) + log p − log(1 − p))/τ
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        self._validate_sample(value)
        tau = self.temperature
        diff = self.logits - tau * value  # ℓ − τy
        return tau.log() + diff - 2 * diff.exp().log1p()


class RelaxedParameters:
    """The temperature, logits and probabilities of a relaxed family, read from its base
    distribution (the one the transform pushes forward)."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class RelaxedBernoulli(RelaxedParameters, TransformedDistribution):
    """Relaxed Bernoulli distributions over (0, 1) of ``temperature`` τ and ``probs`` (or
    ``logits``): σ of a :class:`LogitRelaxedBernoulli` sample.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.RelaxedBernoulli(torch.tensor(0.5), torch.tensor([0.1, 0.9]))
    >>> x = d.rsample((1000,))
    >>> x.shape, bool(((x > 0) & (x < 1)).all()), x.mean(0).tolist()[0] < 0.5 < x.mean(0).tolist()[1]
    ((1000, 2), True, True)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

