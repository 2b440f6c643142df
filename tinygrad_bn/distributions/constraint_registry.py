"""From the reals onto a constraint: PyTorch's ``biject_to`` and ``transform_to``.

``biject_to(constraint)`` is a bijective transform from unconstrained space onto the
constraint, with a log-Jacobian: for samplers that move in unconstrained space and need
the density there, log p(f(u)) + log|J_f(u)|. ``transform_to(constraint)`` may be
many-to-one (onto the simplex it is the softmax, where ``biject_to`` breaks a stick of
one coordinate fewer): for optimizing a constrained parameter through an unconstrained one.

    real, independent(real, n)           the identity (per event)
    positive, greater_than(c), ≥ c       y = c + eˣ      (exp, then shift)
    less_than(c)                         y = c − eˣ
    unit_interval                        y = σ(x)
    interval(a, b), half_open_interval   y = a + (b − a)·σ(x)
    simplex                              stick breaking (biject_to), softmax (transform_to)
    lower_cholesky, positive_definite    transform_to only

A constraint is looked up by its class, so ``greater_than(0.5)`` and ``positive`` share a
rule; :meth:`ConstraintRegistry.register` adds rules for other classes.

>>> import tinygrad_bn as torch
>>> from tinygrad_bn.distributions import constraints
>>> unconstrained = torch.zeros(2, requires_grad=True)
>>> scale = transform_to(constraints.positive)(unconstrained)  # 0 + e⁰
>>> scale.tolist(), biject_to(constraints.interval(-1.0, 3.0))(torch.tensor([0.0])).tolist()
([1.0, 1.0], [1.0])
"""

from __future__ import annotations

from tinygrad_bn.autograd.tensor import is_scalar
from tinygrad_bn.distributions import constraints, transforms

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """Rules from constraint classes to transforms: ``registry(constraint)`` calls the
    factory registered for ``type(constraint)`` with the constraint.

    >>> import tinygrad_bn as torch
    >>> from tinygrad_bn.distributions import constraints
    >>> registry = ConstraintRegistry()
    >>> @registry.register(constraints.GreaterThan)
    ... def _shifted_exp(constraint):
    ...     return transforms.ComposeTransform([transforms.ExpTransform(),
    ...                                         transforms.AffineTransform(constraint.lower_bound, 1.0)])
    >>> registry(constraints.greater_than(2.0)).inv(torch.tensor([3.0])).tolist()
    [0.0]
    >>> registry(constraints.real)
    Traceback (most recent call last):
    ...
    NotImplementedError: Cannot transform Real constraints
    """

    def __init__(self):
        self._registry = {}

    def register(self, constraint, factory=None):
        """Register ``factory(constraint) -> Transform`` for a Constraint subclass, or for
        the class of a constraint object (``constraints.positive`` stands for GreaterThan);
        without ``factory``, a decorator that registers the function it decorates."""
        if factory is None:
            return lambda function: self.register(constraint, function)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not (isinstance(constraint, type) and issubclass(constraint, constraints.Constraint)):
            raise TypeError(f"Expected constraint to be either a Constraint subclass or instance, but got "
                            f"{constraint}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint) -> transforms.Transform:
        """The transform onto ``constraint``; NotImplementedError for a class with no rule."""
        factory = self._registry.get(type(constraint))
        if factory is None:
            raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints")
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _identity(constraint):
    return transforms.identity_transform


def _above(constraint):  # positive, nonnegative, greater_than(c), greater_than_eq(c): c + eˣ
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.lower_bound, 1)])


def _below(constraint):  # c − eˣ
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.upper_bound, -1)])


def _between(constraint):  # a + (b − a)σ(x), or σ(x) alone for the numbers 0 and 1
    low, high = constraint.lower_bound, constraint.upper_bound
    if is_scalar(low) and is_scalar(high) and low == 0 and high == 1:
        return transforms.SigmoidTransform()
    return transforms.ComposeTransform([transforms.SigmoidTransform(), transforms.AffineTransform(low, high - low)])


for _registry in (biject_to, transform_to):
    _registry.register(constraints.real, _identity)
    _registry.register(constraints.GreaterThan, _above)
    _registry.register(constraints.GreaterThanEq, _above)
    _registry.register(constraints.LessThan, _below)
    _registry.register(constraints.Interval, _between)
    _registry.register(constraints.HalfOpenInterval, _between)


@biject_to.register(constraints.IndependentConstraint)
def _biject_to_independent(constraint):
    return transforms.IndependentTransform(biject_to(constraint.base_constraint), constraint.reinterpreted_batch_ndims)


@transform_to.register(constraints.IndependentConstraint)
def _transform_to_independent(constraint):
    return transforms.IndependentTransform(transform_to(constraint.base_constraint),
                                           constraint.reinterpreted_batch_ndims)


biject_to.register(constraints.simplex, lambda constraint: transforms.StickBreakingTransform())
transform_to.register(constraints.simplex, lambda constraint: transforms.SoftmaxTransform())
transform_to.register(constraints.lower_cholesky, lambda constraint: transforms.LowerCholeskyTransform())
transform_to.register(constraints.positive_definite, lambda constraint: transforms.PositiveDefiniteTransform())


def _joined(registry):
    """The factories of ``cat`` and ``stack`` for ``registry``: the parts' transforms, joined."""

    def cat(constraint):
        return transforms.CatTransform([registry(c) for c in constraint.cseq], constraint.dim, constraint.lengths)

    def stack(constraint):
        return transforms.StackTransform([registry(c) for c in constraint.cseq], constraint.dim)

    registry.register(constraints.Cat, cat)
    registry.register(constraints.Stack, stack)


for _registry in (biject_to, transform_to):
    _joined(_registry)
    _registry.register(constraints.corr_cholesky, lambda constraint: transforms.CorrCholeskyTransform())
