"""The relaxed one-hot categorical (Concrete, or Gumbel-softmax) distribution of Maddison
et al. and Jang et al. (2017): PyTorch's ``RelaxedOneHotCategorical(temperature,
probs=None, logits=None)``, a :class:`TransformedDistribution` by exp of the log of a
point of the simplex, ``ExpRelaxedCategorical``.

With ℓ the normalized logits of K classes, τ > 0 the temperature and gₖ = −log(−log uₖ)
Gumbel noise, the log of a sample is

    Y = s − log Σₖ e^(sₖ),   s = (ℓ + g)/τ
    log p(y) = log Γ(K) + (K − 1) log τ + Σₖ (ℓₖ − τyₖ) − K log Σₖ e^(ℓₖ − τyₖ)

and e^Y is on the simplex, near a one-hot vector for small τ. Samples are
reparameterized, differentiable in ℓ and τ.
"""

from __future__ import annotations

import math

from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.categorical import Categorical, CategoricalParameters
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import uniform
from tinygrad_bn.distributions.relaxed_bernoulli import RelaxedParameters, as_temperature
from tinygrad_bn.distributions.transformed_distribution import TransformedDistribution
from tinygrad_bn.distributions.transforms import ExpTransform


class ExpRelaxedCategorical(CategoricalParameters, Distribution):
    """The logs of relaxed one-hot samples over the classes of the last axis of ``probs``
    or ``logits``, of ``temperature`` τ (not broadcast into the batch). Found, as in
    PyTorch, in this module rather than in ``distributions``.

    >>> import tinygrad_bn as torch
    >>> from tinygrad_bn.distributions.relaxed_categorical import ExpRelaxedCategorical
    >>> d = ExpRelaxedCategorical(torch.tensor(1.0), torch.tensor([0.25, 0.75]))
    >>> y = d.rsample((3,))
    >>> d.event_shape, y.shape, [round(total, 6) for total in y.exp().sum(-1).tolist()]
    ((2,), (3, 2), [1.0, 1.0, 1.0])
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        self.temperature = as_temperature(temperature, self._categorical._param)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    def _expanded_state(self, batch_shape):
        return {"_categorical": self._categorical.expand(batch_shape), "temperature": self.temperature}

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        u = uniform(shape, self.logits)
        gumbels = -(-u.log()).log()
        scores = (self.logits + gumbels) / self.temperature  # s = (ℓ + g)/τ
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value):
        self._validate_sample(value)
        classes = self.event_shape[0]
        tau = self.temperature
        log_scale = math.lgamma(classes) + (classes - 1) * tau.log()  # log Γ(K) + (K − 1) log τ
        score = self.logits - tau * value  # ℓ − τy
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(RelaxedParameters, TransformedDistribution):
    """Relaxed one-hot categorical distributions over the simplex of the classes of the
    last axis of ``probs`` or ``logits``, of ``temperature`` τ: exp of an
    :class:`ExpRelaxedCategorical` sample.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.RelaxedOneHotCategorical(torch.tensor(0.1), logits=torch.zeros(3))
    >>> x = d.sample((2,))
    >>> x.shape, [round(total, 6) for total in x.sum(-1).tolist()]
    ((2, 3), [1.0, 1.0])
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

