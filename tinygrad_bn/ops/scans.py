"""Running reductions along one axis (``cumprod``, ``cummax``, ``cummin``,
``logcumsumexp``), differences of neighbours (``diff``) and the trapezoid rule
(``trapezoid``).

The running reductions are Hillis and Steele's scan (:func:`running`): log₂ n steps,
each combining every element with the one ``shift`` places before it. On tensors
the steps are differentiable ops, so the engine derives gradients of any order; a
running product is products only, so its gradient is right where the input has
zeros (no division by x). The running extremes are indexing at the positions the
scan finds, so their gradient goes to those elements, as PyTorch sends it.
"""

from __future__ import annotations

from tinygrad_bn.dtypes import get_default_dtype
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.ops.axes import NOT_GIVEN, dim_words, normalize_axis
from tinygrad_bn.ops.composite import logaddexp
from tinygrad_bn.ops.elementwise import logical, mul
from tinygrad_bn.ops.indexing import gather
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.reduce import Extremes, _in_total_dtype
from tinygrad_bn.ops.shape import cat


def running(combine, join, y, axis: int):
    """The scan of ``y`` along ``axis`` by the associative ``combine(earlier, later)``;
    ``join(pieces, axis)`` concatenates (``cat`` for tensors, ``xp.concatenate`` for
    arrays). After the step of ``shift``, element i combines the 2·shift elements up
    to i (the first ``shift`` elements are complete and stay)."""
    n, shift = y.shape[axis], 1
    lead = (slice(None),) * axis
    while shift < n:
        head, earlier, later = (y[lead + (part,)] for part in (slice(0, shift), slice(0, n - shift), slice(shift, n)))
        y = join([head, combine(earlier, later)], axis)
        shift *= 2
    return y


def _required_dim(name: str, dim, axis) -> int:
    """The ``dim`` (or PyTorch's alias ``axis``) an op along one axis needs."""
    dim, _ = dim_words(name, dim, NOT_GIVEN, axis, default=NOT_GIVEN)
    if dim is NOT_GIVEN:
        raise TypeError(f"{name}() missing required argument 'dim', the axis to run along")
    return dim


def _scan(x, dim: int, combine):
    """The running ``combine`` of tensor ``x`` along ``dim`` (a 0-d tensor is its own)."""
    if x.ndim == 0:
        return _scan(x.reshape(1), 0, combine).reshape(())
    return running(combine, cat, x, normalize_axis(dim, x.ndim, "dim"))


def cumprod(x, dim=NOT_GIVEN, *, dtype=None, axis=NOT_GIVEN):
    """PyTorch's ``cumprod``: running products along ``dim`` (integers and bools in int64,
    ``dtype`` casts first). Products only, so the gradient is right also at zeros.

    >>> from tinygrad_bn import tensor
    >>> x = tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> y = x.cumprod(0)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()  # ∂(x₀ + x₀x₁ + x₀x₁x₂)/∂x = (1 + x₁ + x₁x₂, x₀ + x₀x₂, x₀x₁)
    ([2.0, 0.0, 0.0], [1.0, 8.0, 0.0])
    """
    dim = _required_dim("cumprod", dim, axis)
    return _scan(_in_total_dtype(x, dtype), dim, mul)


def logcumsumexp(x, dim=NOT_GIVEN, *, axis=NOT_GIVEN):
    """PyTorch's ``logcumsumexp``: log Σ_{j ≤ i} exp(x_j) along ``dim``, each step a
    :func:`~tinygrad_bn.ops.composite.logaddexp`, so it neither overflows nor loses a
    small first term.

    >>> from tinygrad_bn import tensor
    >>> tensor([-1000.0, 0.0, 0.0], dtype="float64").logcumsumexp(0).tolist()
    [-1000.0, 0.0, 0.6931471805599453]
    """
    dim = _required_dim("logcumsumexp", dim, axis)
    if x.dtype.kind != "f":
        raise DtypeError(f"logcumsumexp needs a floating tensor, got dtype {x.dtype}")
    return _scan(x, dim, logaddexp)


def cummax(x, dim=NOT_GIVEN, *, axis=NOT_GIVEN):
    """PyTorch's ``cummax``: :class:`~tinygrad_bn.ops.reduce.Extremes` ``(values, indices)``
    of the running maximum along ``dim``; of tied maxima the last one so far, and after a
    NaN the NaN (the last one so far). The gradient goes to the element at ``indices``.

    >>> from tinygrad_bn import tensor
    >>> values, indices = tensor([1.0, 3.0, 2.0, 3.0]).cummax(0)
    >>> values.tolist(), indices.tolist()
    ([1.0, 3.0, 3.0, 3.0], [0, 1, 1, 3])
    """
    return _running_extreme(x, _required_dim("cummax", dim, axis), "maximum")


def cummin(x, dim=NOT_GIVEN, *, axis=NOT_GIVEN):
    """PyTorch's ``cummin``: the running minimum and its indices, as :func:`cummax`.

    >>> from tinygrad_bn import tensor
    >>> tensor([3, 1, 2, 1]).cummin(0).indices.tolist()
    [0, 1, 1, 3]
    """
    return _running_extreme(x, _required_dim("cummin", dim, axis), "minimum")


def _running_extreme(x, dim: int, which: str) -> Extremes:
    """The running ``xp.maximum`` or ``xp.minimum`` (``which``) along ``dim``, and where it was reached."""
    if x.ndim == 0:
        values, indices = _running_extreme(x.reshape(1), dim, which)
        return Extremes(values.reshape(()), indices.reshape(()))
    dim = normalize_axis(dim, x.ndim, "dim")
    xp, data = x.xp, x._data
    extreme = running(getattr(xp, which), xp.concatenate, data, dim)
    # the index at i: the last j ≤ i where x_j equals the running extreme at j (a NaN does: it is the extreme)
    reached = data == extreme
    if data.dtype.kind == "f":
        reached |= xp.isnan(data)
    positions = xp.arange(x.shape[dim]).reshape([-1 if a == dim else 1 for a in range(x.ndim)])
    last = running(xp.maximum, xp.concatenate, xp.where(reached, positions, -1), dim)
    indices = constant(last.astype("int64"), x)
    return Extremes(gather(x, dim, indices), indices)


def diff(x, n: int = 1, dim: int = -1, prepend=None, append=None):
    """PyTorch's ``diff``: x[i + 1] − x[i] along ``dim``, ``n`` times over (of bools,
    whether they differ), after ``prepend`` and ``append`` (tensors of as many
    dimensions) are joined on either side.

    >>> from tinygrad_bn import tensor
    >>> tensor([1, 4, 9, 16]).diff().tolist(), tensor([1, 4, 9, 16]).diff(n=2).tolist()
    ([3, 5, 7], [2, 2])
    >>> tensor([1.0, 2.0]).diff(prepend=tensor([0.0])).tolist()
    [1.0, 1.0]
    """
    if x.ndim == 0:
        raise ShapeError("diff expects a tensor of at least one dimension, got shape ()")
    if n < 0:
        raise ArgumentError(f"diff expects n >= 0 (how many times to take differences), got {n}")
    dim = normalize_axis(dim, x.ndim, "dim")
    pieces = [t for t in (prepend, x, append) if t is not None]
    if any(t.ndim != x.ndim for t in pieces):
        raise ShapeError(f"diff expects prepend and append of the input's {x.ndim} dimensions, got shapes "
                         f"{[t.shape for t in pieces]}")
    x = cat(pieces, dim) if len(pieces) > 1 else x
    for _ in range(n):
        later, earlier = _neighbours(x, dim)
        x = logical("xor", later, earlier) if x.dtype == bool else later - earlier
    return x


def _neighbours(x, dim: int) -> tuple:
    """x[1:] and x[:-1] along ``dim``: each element but the first, and the one before it."""
    lead = (slice(None),) * dim
    return x[lead + (slice(1, None),)], x[lead + (slice(0, max(x.shape[dim] - 1, 0)),)]


def trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """PyTorch's ``trapezoid``: ∫ y along ``dim`` by the trapezoid rule,
    Σ (x[i + 1] − x[i])·(y[i] + y[i + 1]) / 2, at sample points ``x`` (1-d, or
    broadcasting with ``y``) or evenly ``dx`` apart (1 unless given).

    >>> from tinygrad_bn import tensor
    >>> y = tensor([1.0, 2.0, 3.0])
    >>> trapezoid(y).item(), trapezoid(y, dx=0.5).item(), trapezoid(y, tensor([0.0, 1.0, 3.0])).item()
    (4.0, 2.0, 6.5)
    """
    areas, dim = _trapezoids(y, x, dx, dim, "trapezoid")
    return areas.sum(dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """PyTorch's ``cumulative_trapezoid``: the running sums of :func:`trapezoid`'s
    areas along ``dim``, one fewer than the samples.

    >>> from tinygrad_bn import tensor
    >>> cumulative_trapezoid(tensor([1.0, 2.0, 4.0])).tolist()
    [1.5, 4.5]
    """
    areas, dim = _trapezoids(y, x, dx, dim, "cumulative_trapezoid")
    return areas.cumsum(dim)


def _trapezoids(y, x, dx, dim: int, who: str):
    """The area of each trapezoid between neighbouring samples along ``dim``, and ``dim``."""
    if x is not None and dx is not None:
        raise TypeError(f"{who} takes the sample points x or their spacing dx, not both")
    if y.ndim == 0:
        raise ShapeError(f"{who} expects a tensor of at least one dimension, got shape ()")
    dim = normalize_axis(dim, y.ndim, "dim")
    later, earlier = _neighbours(y, dim)
    pair_sums = later + earlier
    if x is None:
        return pair_sums * ((1 if dx is None else dx) / 2), dim
    if x.ndim == 1:
        if x.shape[0] != y.shape[dim]:
            raise ShapeError(f"{who} expects one x per sample along dim {dim} ({y.shape[dim]}), got {x.shape[0]}")
        spacing = diff(x).reshape([-1 if a == dim else 1 for a in range(y.ndim)])
    else:
        spacing = diff(x, dim=dim - y.ndim)
    return spacing * pair_sums / 2, dim


def gradient(input, *, spacing=1, dim=None, edge_order=1) -> tuple:  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``gradient``: the derivative of samples of a function along each axis of
    ``dim`` (every axis by default), one tensor per axis: central differences inside
    (for unequal steps hₗ, hᵣ: (hₗ² f₊ − hᵣ² f₋ + (hᵣ² − hₗ²) f) / (hₗ hᵣ (hₗ + hᵣ))),
    one-sided ones of order ``edge_order`` (1 or 2) at the ends. ``spacing`` is a
    number, one number per axis, or one 1-d tensor of coordinates per axis.

    >>> from tinygrad_bn import tensor
    >>> [g.tolist() for g in gradient(tensor([1.0, 4.0, 9.0, 16.0]))]
    [[3.0, 4.0, 6.0, 7.0]]
    """
    if edge_order not in (1, 2):
        raise ArgumentError(f"torch.gradient only supports edge_order=1 and edge_order=2, got {edge_order!r}")
    dims = list(range(input.ndim)) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    dims = [normalize_axis(d, input.ndim, "dim") for d in dims]
    spacings = list(spacing) if isinstance(spacing, (tuple, list)) else [spacing] * len(dims)
    if len(spacings) != len(dims):
        raise ArgumentError(f"torch.gradient expected spacing to be unspecified, a scalar or a list of length "
                            f"{len(dims)} (one per dim), got a list of length {len(spacings)}")
    x = input if input.dtype.kind == "f" else input.astype(get_default_dtype())
    return tuple(_gradient_along(x, d, h, edge_order) for d, h in zip(dims, spacings, strict=True))


def _gradient_along(f, dim: int, spacing, edge_order: int):
    n = f.shape[dim]
    if n < edge_order + 1:
        raise ShapeError(f"torch.gradient expected each dimension size to be at least edge_order+1, got {n} "
                         f"along dim {dim}")
    xp = f.xp
    if hasattr(spacing, "shape"):  # coordinates: the steps between them
        steps = xp.diff(spacing._data.astype(f._data.dtype))
    else:
        steps = xp.full(n - 1, spacing, dtype=f._data.dtype)
    shape = [1] * f.ndim

    def along(values):  # a 1-d array of coefficients, broadcast along dim
        shape[dim] = values.shape[0]
        return constant(values.reshape(shape), f)

    def at(start, stop=None):  # f[start:stop] along dim, f[start] (kept as an axis) without stop
        start = start + n if start < 0 else start
        return f.narrow(dim, start, (start + 1 if stop is None else stop) - start)

    left, right = steps[:-1], steps[1:]
    inner = (at(2, n) * along(left**2) - at(0, n - 2) * along(right**2) + at(1, n - 1) * along(right**2 - left**2)
             ) / along(left * right * (left + right))
    if edge_order == 1:
        first = (at(1) - at(0)) / float(steps[0])
        last = (at(-1) - at(-2)) / float(steps[-1])
    else:
        h1, h2 = float(steps[0]), float(steps[1])
        first = (at(0) * (-(2 * h1 + h2) / (h1 * (h1 + h2))) + at(1) * ((h1 + h2) / (h1 * h2))
                 + at(2) * (-h1 / (h2 * (h1 + h2))))
        h1, h2 = float(steps[-2]), float(steps[-1])
        last = (at(-3) * (h2 / (h1 * (h1 + h2))) + at(-2) * (-(h1 + h2) / (h1 * h2))
                + at(-1) * ((2 * h2 + h1) / (h2 * (h1 + h2))))
    return cat([first, inner, last], dim=dim)
