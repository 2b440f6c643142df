"""Transforms: maps y = f(x) between constrained spaces that know their inverse and
the log of the absolute value of their Jacobian determinant, PyTorch's
``torch.distributions.transforms``. A :class:`TransformedDistribution` pushes a
distribution through them, and :func:`biject_to` finds one onto a constraint.

A transform maps its ``domain`` onto its ``codomain`` (constraints); ``t.inv`` is its
inverse, a transform too, with ``t.inv.inv is t``. ``log_abs_det_jacobian(x, y)`` is
log |det ∂y/∂x| given both ends, one number per event of ``event_dim`` axes:

    ExpTransform           y = eˣ                           log|J| = x
    AffineTransform        y = loc + scale·x                log|J| = Σ log|scale| over the event
    PowerTransform         y = xᵖ (x > 0)                   log|J| = log|p·y/x|
    SigmoidTransform       y = σ(x) = 1/(1 + e⁻ˣ)           log|J| = −softplus(−x) − softplus(x)
    SoftplusTransform      y = log(1 + eˣ)                  log|J| = −softplus(−x)
    TanhTransform          y = tanh x                       log|J| = 2(log 2 − x − softplus(−2x))
    StickBreakingTransform ℝᴷ⁻¹ → the simplex of K classes  log|J| = Σᵢ log yᵢ + log σ(x̃ᵢ) − x̃ᵢ

Those that are not one-to-one have a right inverse and no ``log_abs_det_jacobian``:
:class:`AbsTransform` (inverse y ↦ y), :class:`SoftmaxTransform` (y ↦ log y, up to a
constant per vector) and :class:`LowerCholeskyTransform`. ``bijective`` tells them apart.

With ``cache_size=1`` a transform remembers its last (x, y) pair: called again on the
same x object it returns the same y, and its inverse called on that y returns that x,
unchanged (no round trip through ``log``, ``atanh``...), gradients and all.

>>> import tinygrad_bn as torch
>>> from tinygrad_bn.distributions.transforms import ComposeTransform, ExpTransform, AffineTransform
>>> t = ComposeTransform([ExpTransform(), AffineTransform(1.0, 2.0)])  # y = 1 + 2eˣ
>>> x = torch.tensor([0.0, 1.0], dtype=torch.float64)
>>> y = t(x)
>>> [round(v, 6) for v in y.tolist()], t.inv(y).tolist()
([3.0, 6.436564], [0.0, 1.0])
>>> [round(v, 6) for v in t.log_abs_det_jacobian(x, y).tolist()]  # log 2 + x
[0.693147, 1.693147]
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.autograd.tensor import Shape, is_scalar
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.utils import broadcast_all, softplus, sum_rightmost
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.linalg import cholesky
from tinygrad_bn.ops.promotion import broadcast_shapes

__all__ = [
    "AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform", "IndependentTransform",
    "LowerCholeskyTransform", "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform", "SigmoidTransform",
    "SoftmaxTransform", "SoftplusTransform", "StickBreakingTransform", "TanhTransform", "Transform",
    "identity_transform",
]


class Transform:
    """A map y = f(x) from ``domain`` to ``codomain`` with its inverse ``inv``; a subclass
    defines ``_call`` (x ↦ y), ``_inverse`` (y ↦ x) and, when ``bijective``,
    ``log_abs_det_jacobian``.

    ``cache_size`` is 0 (compute every time) or 1 (remember the last pair x, y).
    Transforms compare equal when they are the same map (two ``ExpTransform()`` are),
    and, as in PyTorch, they are not hashable.
    """

    bijective = False
    domain: constraints.Constraint
    codomain: constraints.Constraint

    def __init__(self, cache_size: int = 0):
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._inv = None
        self._cached_x_y = None, None

    @property
    def event_dim(self) -> int:
        """The number of rightmost axes that make one event, in and out alike."""
        if self.domain.event_dim != self.codomain.event_dim:
            raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")
        return self.domain.event_dim

    @property
    def inv(self) -> Transform:
        """The inverse transform y ↦ x, sharing this transform's cache; ``t.inv.inv is t``."""
        if self._inv is None:
            self._inv = _InverseTransform(self)
        return self._inv

    @property
    def sign(self):
        """+1 where a bijection of numbers increases, −1 where it decreases."""
        raise NotImplementedError(f"{type(self).__name__} has no sign")

    def with_cache(self, cache_size: int = 1) -> Transform:
        """This transform with a cache of ``cache_size`` (itself when it has one already)."""
        if self._cache_size == cache_size:
            return self
        if type(self).__init__ is Transform.__init__:
            return type(self)(cache_size=cache_size)
        raise NotImplementedError(f"{type(self).__name__}.with_cache is not implemented")

    def __eq__(self, other):
        return self is other

    def __call__(self, x: Tensor) -> Tensor:
        """y = f(x)."""
        if self._cache_size == 0:
            return self._call(x)
        x_old, y_old = self._cached_x_y
        if x is x_old:
            return y_old
        y = self._call(x)
        self._cached_x_y = x, y
        return y

    def _inv_call(self, y: Tensor) -> Tensor:
        """x = f⁻¹(y), through the cache like :meth:`__call__`."""
        if self._cache_size == 0:
            return self._inverse(y)
        x_old, y_old = self._cached_x_y
        if y is y_old:
            return x_old
        x = self._inverse(y)
        self._cached_x_y = x, y
        return x

    def _call(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement its forward map")

    def _inverse(self, y):
        raise NotImplementedError(f"{type(self).__name__} does not implement its inverse")

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        """log |det ∂y/∂x| at x, with y = f(x), one per event."""
        raise NotImplementedError(f"{type(self).__name__} has no log_abs_det_jacobian")

    def forward_shape(self, shape) -> tuple:
        """The shape of f(x) for an x of ``shape``."""
        return shape

    def inverse_shape(self, shape) -> tuple:
        """The shape of f⁻¹(y) for a y of ``shape``."""
        return shape

    def __repr__(self):
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    """f⁻¹ of a transform f: what ``f.inv`` gives. Its log-Jacobian is −log|J_f| at the
    swapped pair, its domain f's codomain, and its cache is f's."""

    def __init__(self, transform: Transform):
        super().__init__(cache_size=transform._cache_size)
        self._inv = transform

    @property
    def domain(self):
        return self._inv.codomain

    @property
    def codomain(self):
        return self._inv.domain

    @property
    def bijective(self):
        return self._inv.bijective

    @property
    def sign(self):
        return self._inv.sign

    @property
    def inv(self):
        return self._inv

    def with_cache(self, cache_size=1):
        return self._inv.with_cache(cache_size).inv

    def __eq__(self, other):
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    def __call__(self, x):
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._inv.forward_shape(shape)

    def __repr__(self):
        return f"{type(self).__name__}({self._inv!r})"


class ComposeTransform(Transform):
    """The transforms ``parts`` applied in order, y = fₙ(…f₂(f₁(x))); the log-Jacobians
    of the parts add up, each summed over the axes of the whole's event that the part
    treats as batch. The parts keep their own caches (``cache_size`` sets them all).

    >>> from tinygrad_bn.distributions.transforms import ExpTransform, StickBreakingTransform
    >>> t = ComposeTransform([ExpTransform(), StickBreakingTransform()])
    >>> t.domain, t.codomain, t.bijective
    (IndependentConstraint(Real(), 1), Simplex(), True)
    """

    def __init__(self, parts: list, cache_size: int = 0):
        if cache_size:
            parts = [part.with_cache(cache_size) for part in parts]
        super().__init__(cache_size=cache_size)
        self.parts = parts

    def __eq__(self, other):
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    @property
    def domain(self):
        if not self.parts:
            return constraints.real
        # walking back from the output, the input needs as many event axes as any part
        # consumes, after the axes each later part adds or removes
        event_dim = self.parts[-1].codomain.event_dim
        for part in reversed(self.parts):
            event_dim = max(event_dim + part.domain.event_dim - part.codomain.event_dim, part.domain.event_dim)
        return _with_event_dim(self.parts[0].domain, event_dim)

    @property
    def codomain(self):
        if not self.parts:
            return constraints.real
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim = max(event_dim + part.codomain.event_dim - part.domain.event_dim, part.codomain.event_dim)
        return _with_event_dim(self.parts[-1].codomain, event_dim)

    @property
    def bijective(self):
        return all(part.bijective for part in self.parts)

    @property
    def sign(self):
        sign = 1
        for part in self.parts:
            sign = sign * part.sign
        return sign

    @property
    def inv(self):
        if self._inv is None:
            inverse = ComposeTransform([part.inv for part in reversed(self.parts)])
            inverse._inv = self
            self._inv = inverse
        return self._inv

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ComposeTransform(self.parts, cache_size=cache_size)

    def __call__(self, x):
        for part in self.parts:
            x = part(x)
        return x

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return ops.zeros_like(x)
        points = [x]
        for part in self.parts[:-1]:  # free when the parts cache
            points.append(part(points[-1]))
        points.append(y)
        event_dim = self.domain.event_dim
        total = 0
        for part, before, after in zip(self.parts, points[:-1], points[1:]):
            total = total + sum_rightmost(part.log_abs_det_jacobian(before, after), event_dim - part.domain.event_dim)
            event_dim += part.codomain.event_dim - part.domain.event_dim
        return total

    def forward_shape(self, shape):
        for part in self.parts:
            shape = part.forward_shape(shape)
        return shape

    def inverse_shape(self, shape):
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return shape

    def __repr__(self):
        inner = ",\n    ".join(repr(part) for part in self.parts)
        return f"{type(self).__name__}(\n    {inner}\n)"


identity_transform = ComposeTransform([])


def _with_event_dim(constraint, event_dim: int):
    """``constraint`` read over ``event_dim`` axes: itself, or wrapped in ``independent``."""
    if event_dim < constraint.event_dim:
        raise ValueError(f"{constraint!r} needs {constraint.event_dim} event dimensions, got {event_dim}")
    if event_dim > constraint.event_dim:
        return constraints.independent(constraint, event_dim - constraint.event_dim)
    return constraint


class IndependentTransform(Transform):
    """``base_transform`` with its last ``reinterpreted_batch_ndims`` batch axes read as
    event axes: the same map, its log-Jacobian summed over those axes.

    >>> import tinygrad_bn as torch
    >>> t = IndependentTransform(ExpTransform(), 1)
    >>> x = torch.zeros(2, 3)
    >>> t.event_dim, t.log_abs_det_jacobian(x, t(x)).shape
    (1, (2,))
    """

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return IndependentTransform(self.base_transform, self.reinterpreted_batch_ndims, cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self):
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def _call(self, x):
        if x.ndim < self.domain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform(x)

    def _inverse(self, y):
        if y.ndim < self.codomain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def __repr__(self):
        return f"{type(self).__name__}({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class ReshapeTransform(Transform):
    """Events of shape ``in_shape`` reshaped to ``out_shape`` (as many elements): a
    permutation of coordinates, so log|J| = 0.

    >>> import tinygrad_bn as torch
    >>> t = ReshapeTransform((2, 3), (6,))
    >>> t(torch.zeros(4, 2, 3)).shape, t.inverse_shape((4, 6)), t.domain
    ((4, 6), (4, 2, 3), IndependentConstraint(Real(), 2))
    """

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size: int = 0):
        self.in_shape, self.out_shape = Shape(in_shape), Shape(out_shape)
        if self.in_shape.numel() != self.out_shape.numel():
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ReshapeTransform(self.in_shape, self.out_shape, cache_size=cache_size)

    def _call(self, x):
        return x.reshape(*x.shape[: x.ndim - len(self.in_shape)], *self.out_shape)

    def _inverse(self, y):
        return y.reshape(*y.shape[: y.ndim - len(self.out_shape)], *self.in_shape)

    def log_abs_det_jacobian(self, x, y):
        return ops.zeros(x.shape[: x.ndim - len(self.in_shape)], dtype=x.dtype, device=x.device)

    def forward_shape(self, shape):
        return _replace_event(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return _replace_event(shape, self.out_shape, self.in_shape)


def _replace_event(shape, event, replacement) -> tuple:
    """``shape`` with its trailing ``event`` axes replaced by ``replacement``."""
    if len(shape) < len(event):
        raise ValueError("Too few dimensions on input")
    cut = len(shape) - len(event)
    if tuple(shape[cut:]) != tuple(event):
        raise ValueError(f"Shape mismatch: expected events of shape {tuple(event)}, got {tuple(shape[cut:])}")
    return tuple(shape[:cut]) + tuple(replacement)


class ExpTransform(Transform):
    """y = eˣ, from the reals onto (0, ∞); log|J| = x.

    >>> import tinygrad_bn as torch
    >>> ExpTransform().inv(torch.tensor([1.0])).tolist(), ExpTransform().sign
    ([0.0], 1)
    """

    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = 1

    def __eq__(self, other):
        return isinstance(other, ExpTransform)

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class PowerTransform(Transform):
    """y = xᵖ for x > 0 and ``exponent`` p (a number or a tensor broadcast with x);
    dy/dx = p·xᵖ⁻¹ = p·y/x, so log|J| = log|p·y/x|.

    >>> import tinygrad_bn as torch
    >>> t = PowerTransform(2.0)
    >>> t(torch.tensor([3.0])).tolist(), t.inv(torch.tensor([4.0])).tolist(), t.sign.item()
    ([9.0], [2.0], 1.0)
    """

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        (self.exponent,) = broadcast_all(exponent)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return PowerTransform(self.exponent, cache_size=cache_size)

    @property
    def sign(self):
        return self.exponent.sign()

    def __eq__(self, other):
        return isinstance(other, PowerTransform) and bool((self.exponent == other.exponent).all().item())

    def _exponent_on(self, x):
        """The exponent on x's device (a number given to the constructor is a tensor on the CPU)."""
        return self.exponent if self.exponent.device == x.device else self.exponent.to(x.device)

    def _call(self, x):
        return x.pow(self._exponent_on(x))

    def _inverse(self, y):
        return y.pow(1 / self._exponent_on(y))

    def log_abs_det_jacobian(self, x, y):
        return (self._exponent_on(x) * y / x).abs().log()

    def forward_shape(self, shape):
        return _broadcast(shape, self.exponent)

    def inverse_shape(self, shape):
        return _broadcast(shape, self.exponent)


def _broadcast(shape, *parameters) -> tuple:
    """``shape`` broadcast with the shapes of the tensor ``parameters`` (numbers have none)."""
    result = tuple(shape)
    for parameter in parameters:
        wider = broadcast_shapes(result, getattr(parameter, "shape", ()))
        if wider is None:
            raise ShapeError(f"Shape mismatch: a transform's parameter of shape {tuple(parameter.shape)} does not "
                             f"broadcast with values of shape {tuple(shape)}")
        result = wider
    return result


def _open_unit(p: Tensor) -> Tensor:
    """``p`` held within [tiny, 1 − ε] for its dtype, so that log p and log(1 − p) are finite."""
    info = numpy.finfo(p.dtype)
    return p.clamp(float(info.tiny), 1.0 - float(info.eps))


class SigmoidTransform(Transform):
    """y = σ(x) = 1/(1 + e⁻ˣ), from the reals onto the unit interval, held within
    [tiny, 1 − ε] so that the inverse, the logit log y − log(1 − y), stays finite;
    dσ/dx = σ(x)σ(−x), so log|J| = −softplus(−x) − softplus(x).

    >>> import tinygrad_bn as torch
    >>> t, x = SigmoidTransform(), torch.tensor([0.0])
    >>> t(x).tolist(), [round(v, 6) for v in t.log_abs_det_jacobian(x, t(x)).tolist()]  # log(1/4)
    ([0.5], [-1.386294])
    """

    domain = constraints.real
    codomain = constraints.unit_interval
    bijective = True
    sign = 1

    def __eq__(self, other):
        return isinstance(other, SigmoidTransform)

    def _call(self, x):
        return _open_unit(x.sigmoid())

    def _inverse(self, y):
        y = _open_unit(y)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x) - softplus(x)


class SoftplusTransform(Transform):
    """y = softplus(x) = log(1 + eˣ), from the reals onto (0, ∞); x = y + log(1 − e⁻ʸ),
    and dy/dx = σ(x), so log|J| = −softplus(−x). (PyTorch's softplus is x itself past
    x = 20; this one is exact there too, a difference below 2·10⁻⁹.)

    >>> import tinygrad_bn as torch
    >>> t = SoftplusTransform()
    >>> round(t.inv(t(torch.tensor(1.5, dtype=torch.float64))).item(), 12)
    1.5
    """

    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = 1

    def __eq__(self, other):
        return isinstance(other, SoftplusTransform)

    def _call(self, x):
        return softplus(x)

    def _inverse(self, y):
        return y + (-(-y).expm1()).log()

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x)


class TanhTransform(Transform):
    """y = tanh x, from the reals onto (−1, 1); the inverse is atanh, unclamped (±1 give
    ±∞: use ``cache_size=1`` to get x back from a y that rounded to ±1).

    d tanh/dx = 1 − tanh²x = 4/(eˣ + e⁻ˣ)², so log|J| = 2(log 2 − x − log(1 + e⁻²ˣ))
    = 2(log 2 − x − softplus(−2x)): finite where 1 − y² would round to 0.

    >>> import tinygrad_bn as torch
    >>> x = torch.tensor([0.0, 20.0], dtype=torch.float64)
    >>> [round(v, 6) for v in TanhTransform().log_abs_det_jacobian(x, x.tanh()).tolist()]
    [0.0, -38.613706]
    """

    domain = constraints.real
    codomain = constraints.interval(-1.0, 1.0)
    bijective = True
    sign = 1

    def __eq__(self, other):
        return isinstance(other, TanhTransform)

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return y.atanh()

    def log_abs_det_jacobian(self, x, y):
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class AbsTransform(Transform):
    """y = |x|, from the reals onto [0, ∞): not one-to-one, so its inverse is the right
    inverse y ↦ y and it has no log-Jacobian.

    >>> import tinygrad_bn as torch
    >>> t = AbsTransform()
    >>> t(torch.tensor([-2.0])).tolist(), t.inv(torch.tensor([2.0])).tolist(), t.bijective
    ([2.0], [2.0], False)
    """

    domain = constraints.real
    codomain = constraints.positive

    def __eq__(self, other):
        return isinstance(other, AbsTransform)

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class AffineTransform(Transform):
    """y = ``loc`` + ``scale``·x elementwise, loc and scale numbers or tensors broadcast
    with x, over events of ``event_dim`` axes (0 for numbers, 1 for vectors ...):
    log|J| = Σ log|scale| over the event's elements.

    >>> import tinygrad_bn as torch
    >>> t = AffineTransform(1.0, torch.tensor([2.0, -4.0]), event_dim=1)
    >>> x = torch.zeros(3, 2)
    >>> t(x)[0].tolist(), [round(v, 6) for v in t.log_abs_det_jacobian(x, t(x)).tolist()], t.sign.tolist()
    ([1.0, 1.0], [2.079442, 2.079442, 2.079442], [1.0, -1.0])
    """

    bijective = True

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.loc, self.scale = loc, scale
        self._event_dim = event_dim

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def domain(self):
        return constraints.independent(constraints.real, self.event_dim) if self.event_dim else constraints.real

    @property
    def codomain(self):
        return self.domain

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self.event_dim, cache_size=cache_size)

    def __eq__(self, other):
        return (isinstance(other, AffineTransform) and _all_equal(self.loc, other.loc)
                and _all_equal(self.scale, other.scale))

    @property
    def sign(self):
        """The sign of ``scale``: an int for a number, elementwise for a tensor."""
        if is_scalar(self.scale):
            return (self.scale > 0) - (self.scale < 0)
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        if is_scalar(self.scale):
            log_scale = ops.full_like(x, math.log(abs(self.scale)) if self.scale else -math.inf)
        else:
            # broadcast to x first, so that a scale shared by the event's elements counts once for each
            # (PyTorch sums a tensor scale over its own trailing axes, so it counts once in all there)
            log_scale = self.scale.abs().log().broadcast_to(x.shape)
        return sum_rightmost(log_scale, self.event_dim)

    def forward_shape(self, shape):
        return _broadcast(shape, self.loc, self.scale)

    def inverse_shape(self, shape):
        return _broadcast(shape, self.loc, self.scale)


def _all_equal(a, b) -> bool:
    """Whether two numbers or tensors are equal everywhere."""
    if is_scalar(a) and is_scalar(b):
        return a == b
    return bool((a == b).all().item())


class SoftmaxTransform(Transform):
    """y = eˣ/Σ eˣ over the last axis, from real vectors onto the simplex: not one-to-one
    (x + c maps to the same y), so its inverse is y ↦ log y and it has no log-Jacobian.

    >>> import tinygrad_bn as torch
    >>> t = SoftmaxTransform()
    >>> y = t(torch.tensor([0.0, 2.0, 0.0]))
    >>> round(y.sum().item(), 6), torch.allclose(t(t.inv(y)), y)
    (1.0, True)
    """

    domain = constraints.real_vector
    codomain = constraints.simplex

    def __eq__(self, other):
        return isinstance(other, SoftmaxTransform)

    def _call(self, x):
        return x.softmax(-1)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return shape

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return shape


class StickBreakingTransform(Transform):
    """From ℝᴷ⁻¹ onto the simplex of K classes, one-to-one, by breaking a stick: piece i
    takes the fraction zᵢ = σ(x̃ᵢ) of what the pieces before it left, x̃ᵢ = xᵢ − log(K − i)
    (i = 1 … K − 1, so that x = 0 gives equal pieces), and the last class takes the rest:

        yᵢ = zᵢ Πⱼ₍ⱼ₌₁…ᵢ₋₁₎ (1 − zⱼ),   y_K = Πⱼ₍ⱼ₌₁…ₖ₋₁₎ (1 − zⱼ)

    The Jacobian of (y₁ … y_K₋₁) is triangular with diagonal yᵢ(1 − zᵢ), and
    log(1 − zᵢ) = log σ(x̃ᵢ) − x̃ᵢ, so log|J| = Σᵢ log yᵢ + log σ(x̃ᵢ) − x̃ᵢ.

    >>> import tinygrad_bn as torch
    >>> t = StickBreakingTransform()
    >>> t(torch.zeros(3, dtype=torch.float64)).tolist(), t.forward_shape((5, 3))
    ([0.25, 0.25, 0.25, 0.25], (5, 4))
    """

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def __eq__(self, other):
        return isinstance(other, StickBreakingTransform)

    @staticmethod
    def _log_remaining(like: Tensor, pieces: int) -> Tensor:
        """log(K − i) for i = 1 … K − 1, K − 1 = ``pieces``: how many classes piece i shares with."""
        return ops.arange(pieces, 0, -1, dtype=like.dtype, device=like.device).log()

    def _call(self, x):
        z = _open_unit((x - self._log_remaining(x, x.shape[-1])).sigmoid())
        left = (1 - z).cumprod(-1)  # the stick left after each piece
        before = ((0, 0),) * (x.ndim - 1)
        return z.pad(before + ((0, 1),), value=1.0) * left.pad(before + ((1, 0),), value=1.0)

    def _inverse(self, y):
        pieces = y[..., :-1]
        left = (1 - pieces.cumsum(-1)).clamp(min=float(numpy.finfo(y.dtype).tiny))  # 0 would mean y_K = 0
        return pieces.log() - left.log() + self._log_remaining(y, pieces.shape[-1])

    def log_abs_det_jacobian(self, x, y):
        shifted = x - self._log_remaining(x, x.shape[-1])
        return (y[..., :-1].log() - softplus(-shifted) - shifted).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class LowerCholeskyTransform(Transform):
    """From square matrices onto lower-triangular ones with a positive diagonal: the
    strict lower triangle kept, the diagonal exponentiated, the upper triangle dropped
    (so not one-to-one; the inverse takes the log of the diagonal).

    >>> import tinygrad_bn as torch
    >>> LowerCholeskyTransform()(torch.tensor([[0.0, 5.0], [2.0, 0.0]])).tolist()
    [[1.0, 0.0], [2.0, 1.0]]
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def __eq__(self, other):
        return isinstance(other, LowerCholeskyTransform)

    def _call(self, x):
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(Transform):
    """From square matrices onto positive-definite ones, L Lᵀ with L the
    :class:`LowerCholeskyTransform` of x; the inverse goes back through the Cholesky factor.

    >>> import tinygrad_bn as torch
    >>> PositiveDefiniteTransform()(torch.tensor([[0.0, 5.0], [2.0, 0.0]])).tolist()
    [[1.0, 2.0], [2.0, 5.0]]
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def __eq__(self, other):
        return isinstance(other, PositiveDefiniteTransform)

    def _call(self, x):
        L = LowerCholeskyTransform()(x)
        return L @ L.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(cholesky(y))


# the transforms of their own modules, here under PyTorch's names for them
from tinygrad_bn.distributions.corr_cholesky import CorrCholeskyTransform  # noqa: E402
from tinygrad_bn.distributions.cumulative_distribution_transform import CumulativeDistributionTransform  # noqa: E402
from tinygrad_bn.distributions.joined_transforms import CatTransform, StackTransform  # noqa: E402

__all__ += ["CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform", "StackTransform"]
