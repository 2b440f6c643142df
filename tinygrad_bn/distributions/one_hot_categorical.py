"""The categorical distribution over one-hot vectors: PyTorch's
``OneHotCategorical(probs=None, logits=None)``, a :class:`Categorical` whose samples
are the rows of the K × K identity (event shape (K,)) instead of class indices.
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.categorical import Categorical, CategoricalParameters
from tinygrad_bn.distributions.distribution import Distribution


class OneHotCategorical(CategoricalParameters, Distribution):
    """One-hot vectors of the classes of the last axis of ``probs`` or ``logits``, drawn
    as a :class:`Categorical` draws the classes.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.OneHotCategorical(torch.tensor([0.25, 0.75]))
    >>> d.event_shape, d.sample((4,)).sum(-1).tolist(), d.log_prob(torch.tensor([0.0, 1.0])).exp().item()
    ((2,), [1.0, 1.0, 1.0, 1.0], 0.75)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    def _expanded_state(self, batch_shape):
        return {"_categorical": self._categorical.expand(batch_shape)}

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return self._one_hot(self.probs.argmax(-1))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def enumerate_support(self, expand=True):
        """The K one-hot vectors, the rows of the identity in the dtype of the parameters,
        along a new first axis: of shape (K,) + ``batch_shape`` + (K,), or with ones for
        the batch axes when not ``expand``."""
        classes = self.event_shape[0]
        given = self._categorical._param
        rows = ops.eye(classes, dtype=given.dtype, device=given.device)
        rows = rows.reshape(classes, *(1,) * len(self.batch_shape), classes)
        return rows.broadcast_to((classes, *self.batch_shape, classes)) if expand else rows

    def sample(self, sample_shape=()):
        """The classes :class:`Categorical` draws (PyTorch's after the same seed), one-hot."""
        return self._one_hot(self._categorical.sample(sample_shape))

    def log_prob(self, value):
        self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def _one_hot(self, index):
        """Class indices as one-hot vectors in the dtype of the probabilities."""
        classes = ops.arange(self.event_shape[0], device=index.device)
        return (index.unsqueeze(-1) == classes).astype(self.probs.dtype)


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A :class:`OneHotCategorical` with the straight-through estimator of Bengio et al.
    (2013) as its ``rsample``: the one-hot sample s itself, with the gradient of the
    probabilities, s + (p − stop_gradient(p)), p the normalized ``probs``.

    >>> import tinygrad_bn as torch
    >>> probs = torch.tensor([0.25, 0.75], requires_grad=True)
    >>> s = torch.distributions.OneHotCategoricalStraightThrough(probs).rsample()
    >>> (s * torch.tensor([1.0, 2.0])).sum().backward()  # ∂/∂p of w·p/Σp = (w − w·p)/Σp
    >>> s.sum().item(), probs.grad.tolist()
    (1.0, [-0.75, 0.25])
    """

    has_rsample = True

    def rsample(self, sample_shape=()):
        probs = self.probs
        return self.sample(sample_shape) + (probs - probs.detach())
