"""Constraints: the sets a parameter or a value must lie in, with PyTorch's names
(``constraints.positive``, ``constraints.interval(0, 1)`` ...) and printed forms.

``check(value)`` is a boolean tensor, true where ``value`` satisfies the constraint;
a constraint on events of ``event_dim`` axes (the simplex: one; a matrix: two) gives
one answer per event, so its result has ``event_dim`` fewer axes than ``value``.

>>> from tinygrad_bn import tensor
>>> positive.check(tensor([1.0, 0.0])).tolist(), interval(0.0, 1.0)
([True, False], Interval(lower_bound=0.0, upper_bound=1.0))
>>> independent(real, 1).check(tensor([[0.0, float("nan")], [1.0, 2.0]])).tolist()
[False, True]
>>> positive_definite.check(tensor([[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]]])).tolist()  # λ = 3, 1; 3, −1
[True, False]
"""

from __future__ import annotations

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.linalg import eigvalsh
from tinygrad_bn.ops import cat as concatenate
from tinygrad_bn.ops import eye, full, isclose, where
from tinygrad_bn.ops import stack as stacked

__all__ = [
    "Constraint", "boolean", "cat", "corr_cholesky", "greater_than", "greater_than_eq", "half_open_interval",
    "independent", "integer_interval", "interval", "less_than", "lower_cholesky", "lower_triangular", "nonnegative",
    "nonnegative_integer", "one_hot", "positive", "positive_definite", "real", "real_vector", "simplex", "square",
    "stack", "symmetric", "unit_interval",
]


class Constraint:
    """A set of values; ``is_discrete`` for integer-valued sets, ``event_dim`` the number
    of rightmost axes that form one event."""

    is_discrete = False
    event_dim = 0

    def check(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class Real(Constraint):
    """Every number but NaN."""

    def check(self, value):
        return value == value


class Boolean(Constraint):
    """{0, 1}."""

    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _Bounded(Constraint):
    """A set given by its bounds, printed as ``Name(lower_bound=..., upper_bound=...)``
    (a 0-d tensor bound prints as its number, as in PyTorch)."""

    def __init__(self, lower_bound=None, upper_bound=None):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def __repr__(self):
        bounds = [f"{name}={bound}" for name, bound in (("lower_bound", self.lower_bound),
                                                         ("upper_bound", self.upper_bound)) if bound is not None]
        return f"{type(self).__name__}({', '.join(bounds)})"


class GreaterThan(_Bounded):
    """(lower_bound, ∞)."""

    def __init__(self, lower_bound):
        super().__init__(lower_bound=lower_bound)

    def check(self, value):
        return value > self.lower_bound


class GreaterThanEq(_Bounded):
    """[lower_bound, ∞)."""

    def __init__(self, lower_bound):
        super().__init__(lower_bound=lower_bound)

    def check(self, value):
        return value >= self.lower_bound


class LessThan(_Bounded):
    """(−∞, upper_bound)."""

    def __init__(self, upper_bound):
        super().__init__(upper_bound=upper_bound)

    def check(self, value):
        return value < self.upper_bound


class Interval(_Bounded):
    """[lower_bound, upper_bound], both ends included."""

    def check(self, value):
        return (value >= self.lower_bound) & (value <= self.upper_bound)


class HalfOpenInterval(_Bounded):
    """[lower_bound, upper_bound): the lower end included, the upper one not."""

    def check(self, value):
        return (value >= self.lower_bound) & (value < self.upper_bound)


class IntegerInterval(_Bounded):
    """The integers in [lower_bound, upper_bound]."""

    is_discrete = True

    def check(self, value):
        return (value.floor() == value) & (value >= self.lower_bound) & (value <= self.upper_bound)


class IntegerGreaterThan(_Bounded):
    """The integers from lower_bound up."""

    is_discrete = True

    def __init__(self, lower_bound):
        super().__init__(lower_bound=lower_bound)

    def check(self, value):
        return (value.floor() == value) & (value >= self.lower_bound)


class Simplex(Constraint):
    """Vectors along the last axis of non-negative entries that sum to 1 (within 1e-6)."""

    event_dim = 1

    def check(self, value):
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class OneHot(Constraint):
    """Vectors along the last axis of 0s and 1s with exactly one 1."""

    is_discrete = True
    event_dim = 1

    def check(self, value):
        return ((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1)


class Square(Constraint):
    """Matrices over the last two axes with as many rows as columns (a property of the
    shape, so one answer for the whole batch)."""

    event_dim = 2

    def check(self, value):
        return full(value.shape[:-2], value.shape[-2] == value.shape[-1], dtype="bool", device=value.device)


class Symmetric(Square):
    """Square matrices equal to their transpose, within ``isclose`` with atol 1e-6."""

    def check(self, value):
        square = super().check(value)
        if value.shape[-2] != value.shape[-1]:
            return square
        return isclose(value, value.swapaxes(-1, -2), atol=1e-6).all(-1).all(-1)


class PositiveDefinite(Symmetric):
    """Symmetric matrices of finite entries whose eigenvalues are all positive: those
    with a Cholesky factor."""

    def check(self, value):
        symmetric = super().check(value)
        if value.shape[-2] != value.shape[-1]:
            return symmetric
        finite = value.isfinite().all(-1).all(-1)
        # a matrix with ±∞ or NaN is replaced by I, so that the eigenvalue solver sees finite numbers only
        identity = eye(value.shape[-1], dtype=value.dtype, device=value.device)
        safe = where(finite.unsqueeze(-1).unsqueeze(-1), value.detach(), identity)
        return symmetric & finite & (eigvalsh(safe) > 0).all(-1)


class LowerTriangular(Constraint):
    """Matrices with zeros above the diagonal."""

    event_dim = 2

    def check(self, value):
        return (value.tril() == value).all(-1).all(-1)


class LowerCholesky(LowerTriangular):
    """Lower-triangular matrices with a positive diagonal: the Cholesky factors L of
    the positive-definite matrices L Lᵀ."""

    def check(self, value):
        return super().check(value) & (value.diagonal(dim1=-2, dim2=-1) > 0).all(-1)


class CorrCholesky(LowerCholesky):
    """Cholesky factors of correlation matrices: lower-triangular with a positive diagonal
    and rows of unit length (within 10·n·ε, ε the machine epsilon of the dtype)."""

    def check(self, value):
        tolerance = float(numpy.finfo(value.dtype).eps) * value.shape[-1] * 10
        row_norm = value.detach().square().sum(-1).sqrt()
        return super().check(value) & ((row_norm - 1.0).abs() <= tolerance).all(-1)


class _Joined(Constraint):
    """Constraints ``cseq`` on slices of axis ``dim``: discrete if any of them is."""

    def __init__(self, cseq, dim: int = 0):
        self.cseq = list(cseq)
        self.dim = dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)


class Cat(_Joined):
    """The constraints ``cseq`` on consecutive slices of ``lengths`` (ones by default)
    along axis ``dim``, as ``cat`` joins them."""

    def __init__(self, cseq, dim: int = 0, lengths=None):
        super().__init__(cseq, dim)
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise ValueError(f"cat expects one length per constraint, got {len(self.lengths)} lengths for "
                             f"{len(self.cseq)} constraints")

    @property
    def event_dim(self):
        return max(c.event_dim for c in self.cseq)

    def check(self, value):
        checks, start = [], 0
        for constraint, length in zip(self.cseq, self.lengths):
            checks.append(constraint.check(value.narrow(self.dim, start, length)))
            start += length
        return concatenate(checks, self.dim)


class Stack(_Joined):
    """The constraints ``cseq`` on the slices of axis ``dim``, one each, as ``stack`` joins them."""

    @property
    def event_dim(self):
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim  # the stacked axis is an event axis when inside the events

    def check(self, value):
        slices = [value.select(self.dim, i) for i in range(value.shape[self.dim])]
        return stacked([constraint.check(v) for v, constraint in zip(slices, self.cseq)], self.dim)


class IndependentConstraint(Constraint):
    """``base`` on each element, read as one event over the last ``reinterpreted_batch_ndims``
    axes: true where it holds for all of them."""

    def __init__(self, base: Constraint, reinterpreted_batch_ndims: int):
        self.base_constraint = base
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value):
        result = self.base_constraint.check(value)
        dims = self.reinterpreted_batch_ndims
        if result.ndim < dims:
            raise ShapeError(f"{self!r} expects a value of at least {self.event_dim} dimensions, got shape "
                             f"{value.shape}")
        return result.reshape(*result.shape[: result.ndim - dims], -1).all(-1)

    def __repr__(self):
        return f"{type(self).__name__}({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


real = Real()
boolean = Boolean()
positive = GreaterThan(0.0)
nonnegative = GreaterThanEq(0.0)
nonnegative_integer = IntegerGreaterThan(0)
unit_interval = Interval(0.0, 1.0)
simplex = Simplex()
one_hot = OneHot()
greater_than = GreaterThan
greater_than_eq = GreaterThanEq
less_than = LessThan
interval = Interval
half_open_interval = HalfOpenInterval
integer_interval = IntegerInterval
independent = IndependentConstraint
real_vector = IndependentConstraint(real, 1)
square = Square()
symmetric = Symmetric()
positive_definite = PositiveDefinite()
lower_triangular = LowerTriangular()
lower_cholesky = LowerCholesky()
corr_cholesky = CorrCholesky()
cat = Cat
stack = Stack
