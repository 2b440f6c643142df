"""The base of every family: PyTorch's ``torch.distributions.Distribution``.

A distribution holds parameters for a batch of independent distributions
(``batch_shape``), each over events of ``event_shape``; a sample drawn with
``sample_shape`` has shape ``sample_shape + batch_shape + event_shape``.

As in PyTorch, arguments are validated by default: a parameter outside its constraint
(``arg_constraints``), or a value given to ``log_prob`` or ``cdf`` outside the
``support``, raises a ValueError naming it, the constraint and the values. Turn it off
per distribution with ``validate_args=False`` or everywhere with
:meth:`Distribution.set_default_validate_args`.

>>> from tinygrad_bn.distributions import Normal
>>> Normal(0.0, -1.0)
Traceback (most recent call last):
...
ValueError: Expected parameter scale (Tensor of shape ()) of distribution Normal(loc: 0.0, scale: -1.0) to ...
-1.0
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.autograd.tensor import Shape
from tinygrad_bn.ops.promotion import broadcast_shapes


class Distribution:
    """A batch of probability distributions; the families subclass it.

    A subclass sets its parameters as attributes before calling ``__init__`` and names
    them, with their constraints, in ``arg_constraints``: those held in its ``__dict__``
    are validated, printed by ``repr`` and broadcast by :meth:`expand`.
    """

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}
    _validate_args = __debug__  # on unless Python runs with -O, as PyTorch's

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Validate the arguments of every distribution made from now on (True, the
        default) or of none (False); ``validate_args=`` of one distribution overrides it."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args expects True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = Shape(batch_shape)
        self._event_shape = Shape(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._validate_parameters()

    def _parameters(self) -> dict:
        """The parameters this distribution holds (a parameter computed on demand from
        another, as ``probs`` from ``logits``, only once it has been asked for)."""
        return {name: self.__dict__[name] for name in self.arg_constraints if name in self.__dict__}

    def _validated_parameters(self) -> dict:
        """The parameters checked against ``arg_constraints``: those it holds, unless a
        family names parameters it computes from others (Chi2's ``df``)."""
        return self._parameters()

    def _validate_parameters(self):
        for name, value in self._validated_parameters().items():
            constraint = self.arg_constraints[name]
            if not bool(constraint.check(value).all()):
                raise ValueError(
                    f"Expected parameter {name} ({type(value).__name__} of shape {tuple(value.shape)}) "
                    f"of distribution {self!r} to satisfy the constraint {constraint!r}, "
                    f"but found invalid values:\n{value}"
                )

    @property
    def batch_shape(self) -> Shape:
        """The shape of the batch of distributions."""
        return self._batch_shape

    @property
    def event_shape(self) -> Shape:
        """The shape of one sample of one distribution of the batch."""
        return self._event_shape

    @property
    def support(self):
        """The :mod:`~tinygrad_bn.distributions.constraints` constraint every sample satisfies."""
        raise NotImplementedError(f"{type(self).__name__} does not define its support")

    def expand(self, batch_shape) -> Distribution:
        """This distribution with its batch broadcast to ``batch_shape``; the parameters
        are broadcast (their gradients flow back), not validated again.

        >>> from tinygrad_bn.distributions import Normal
        >>> Normal(0.0, 1.0).expand((2, 3)).batch_shape
        (2, 3)
        """
        batch_shape = Shape(batch_shape)
        new = object.__new__(type(self))
        new.__dict__.update(self._expanded_state(batch_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expanded_state(self, batch_shape: Shape) -> dict:
        """The attributes of the expanded distribution: each parameter broadcast to
        ``batch_shape`` followed by its own trailing axes (a Categorical's classes)."""
        kept = len(self.batch_shape)
        return {name: value.broadcast_to(batch_shape + value.shape[kept:])
                for name, value in self._parameters().items()}

    def _extended_shape(self, sample_shape=()) -> Shape:
        """``sample_shape + batch_shape + event_shape``."""
        if not isinstance(sample_shape, (tuple, list)) or not all(isinstance(n, int) for n in sample_shape):
            raise TypeError(f"sample_shape must be a tuple of ints such as (100,), got {sample_shape!r}")
        return Shape(tuple(sample_shape) + self._batch_shape + self._event_shape)

    # What a family defines ----------------------------------------------------------

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        """√variance."""
        return self.variance.sqrt()

    def sample(self, sample_shape=()) -> Tensor:
        """Samples of shape ``sample_shape + batch_shape + event_shape``, outside the graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        """Samples, as :meth:`sample`, that are differentiable functions of the parameters
        (the reparameterization trick): only where ``has_rsample`` is True."""
        raise NotImplementedError(
            f"{type(self).__name__} has no reparameterized sampler (has_rsample is False); use sample()"
        )

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a discrete support, along a new first axis: only where
        ``has_enumerate_support`` is True."""
        raise NotImplementedError(f"{type(self).__name__} cannot enumerate its support (has_enumerate_support "
                                  "is False)")

    def log_prob(self, value) -> Tensor:
        """log p(value), the log density or log mass, of shape broadcast(value, batch)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value) -> Tensor:
        """P(X ≤ value)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value) -> Tensor:
        """The inverse of :meth:`cdf`: the value below which a fraction ``value`` of the mass lies."""
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def entropy(self) -> Tensor:
        """−E[log p(X)], one per distribution of the batch."""
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def perplexity(self) -> Tensor:
        """exp(entropy)."""
        return self.entropy().exp()

    # Checking a value ------------------------------------------------------------------

    def _validate_sample(self, value, method: str = "log_prob") -> None:
        """When validating: ``value`` must be a Tensor whose shape broadcasts with
        ``batch_shape + event_shape`` and whose elements lie in the support."""
        if not self._validate_args:
            return
        if not isinstance(value, Tensor):
            raise ValueError(f"The value argument to {method} must be a Tensor, got {type(value).__name__}")
        events = len(self._event_shape)
        if value.ndim < events or value.shape[value.ndim - events:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: {value.shape} vs "
                             f"{self._event_shape}.")
        expected = self._batch_shape + self._event_shape
        if broadcast_shapes(value.shape, expected) is None:
            raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {value.shape} vs {expected}.")
        support = self.support
        if not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) "
                f"to be within the support ({support!r}) of the distribution {self!r}, "
                f"but found invalid values:\n{value}"
            )

    def __repr__(self):
        shown = ", ".join(f"{name}: {_summary(value)}" for name, value in self._parameters().items())
        return f"{type(self).__name__}({shown})"


def _summary(parameter: Tensor) -> str:
    """A parameter as PyTorch prints it in a distribution: its value when it has one
    element, else its shape, written ``torch.Size([...])`` so that logs read alike."""
    if parameter.numel() == 1:
        return f"{parameter}"
    return f"torch.Size({list(parameter.shape)})"
