"""Order statistics, with PyTorch's names: ``median`` and ``nanmedian`` (the lower
median), ``kthvalue``, ``quantile`` and ``nanquantile``, ``mode``.

Each picks elements of the sorted tensor (:func:`~tinygrad_bn.ops.indexing.sort`), so
its gradient goes to the elements picked, as PyTorch sends it: to the element at the
returned index, and for ``quantile`` to the two neighbours it interpolates between.
The median of a whole tensor shares its gradient among the elements equal to it
(:class:`EvenlyShared`), as PyTorch does.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.ops.axes import NOT_GIVEN, dim_words, normalize_axis
from tinygrad_bn.ops.composite import lerp
from tinygrad_bn.ops.indexing import gather, sort
from tinygrad_bn.ops.layout import movedim
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.reduce import Extremes, _kept_shape, _one_dim
from tinygrad_bn.ops.scans import running


class EvenlyShared(Function):
    """``value``, an element of ``x`` picked by its rank, whose gradient the elements
    equal to it share equally (the NaNs, when it is NaN)."""

    def forward(self, x, value):
        if self.needs_input_grad[0]:
            data = x._data
            equal = data == value
            if data.dtype.kind == "f":
                equal |= x.xp.isnan(data) & x.xp.isnan(value)
            self.save_for_backward(constant(equal.astype(data.dtype) / equal.sum().astype(data.dtype), x))
        return value

    def backward(self, grad):
        (share,) = self.saved_tensors
        return grad * share


def _at_rank(x, dim: int, keepdim: bool, rank) -> Extremes:
    """The elements of rank ``rank`` along ``dim`` (0 the smallest, NaN above all): an int,
    or an integer array of x's shape with ``dim`` of length 1 (``rank(n, present)`` makes
    it from the length n and the count ``present`` of the elements that are not NaN)."""
    if x.ndim == 0:
        values, indices = _at_rank(x.reshape(1), 0, False, rank)
        return Extremes(values, indices)
    dim = normalize_axis(dim, x.ndim, "dim")
    n, xp = x.shape[dim], x.xp
    if n == 0:  # PyTorch's IndexError
        raise IndexError(f"cannot pick an element along dim {dim} of length 0 (a tensor of shape {x.shape})")
    kept = _kept_shape(x.shape, (dim,))
    present = (~xp.isnan(x._data)).sum(axis=dim, keepdims=True) if x.dtype.kind == "f" else xp.full(kept, n)
    ranks = xp.broadcast_to(xp.asarray(rank(n, present), dtype="int64"), kept)
    values, order = sort(x, dim)
    values = gather(values, dim, constant(ranks, x))
    indices = constant(xp.take_along_axis(order._data, ranks, axis=dim), x)
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return Extremes(values, indices)


def _lower_median(skip_nan: bool):
    """The rank of the lower median among the elements present (NaNs skipped), or of
    the first NaN when there is one and NaNs count (PyTorch's median is then NaN)."""

    def rank(n, present):
        if skip_nan:
            return ((present - 1) // 2).clip(0, None)
        return (present < n) * present + (present == n) * ((n - 1) // 2)

    return rank


def median(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """PyTorch's ``median``: the lower median (of an even count, the smaller of the two
    middle elements), NaN if there is one. Given ``dim``, :class:`~tinygrad_bn.ops.reduce.Extremes`
    ``(values, indices)`` along it, the gradient going to the element at ``indices``;
    given none, the median of all elements, those equal to it sharing the gradient.

    >>> from tinygrad_bn import tensor
    >>> x = tensor([[4.0, 1.0, 3.0, 2.0], [0.0, 5.0, 6.0, 7.0]])
    >>> x.median().item(), x.median(dim=1).values.tolist(), x.median(1).indices.tolist()
    (3.0, [2.0, 5.0], [3, 1])
    """
    return _median("median", x, dim, keepdim, axis, keepdims, skip_nan=False)


def nanmedian(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """PyTorch's ``nanmedian``: :func:`median` of the elements that are not NaN (NaN
    where all are).

    >>> from tinygrad_bn import tensor
    >>> tensor([1.0, float("nan"), 3.0, 2.0]).nanmedian().item()
    2.0
    """
    return _median("nanmedian", x, dim, keepdim, axis, keepdims, skip_nan=True)


def _median(name: str, x, dim, keepdim, axis, keepdims, skip_nan: bool):
    dim, keepdim = dim_words(name, dim, keepdim, axis, keepdims)
    if dim is not None:
        return _at_rank(x, _one_dim(name, dim), keepdim, _lower_median(skip_nan))
    if x.size == 0 and x.dtype.kind == "f":  # PyTorch's NaN
        return constant(x.xp.full((), float("nan"), dtype=x.dtype), x)
    value = _at_rank(x.detach().reshape(-1), 0, False, _lower_median(skip_nan)).values
    return EvenlyShared.apply(x, value=value._data)


def kthvalue(x, k: int, dim: int = -1, keepdim: bool = False, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """PyTorch's ``kthvalue``: :class:`~tinygrad_bn.ops.reduce.Extremes` ``(values, indices)``
    of the k-th smallest element along ``dim`` (k = 1 the smallest; NaN above all).

    >>> from tinygrad_bn import tensor
    >>> tensor([[5.0, 1.0, 4.0]]).kthvalue(2, dim=1)
    Extremes(values=Tensor([4.], dtype=float32), indices=Tensor([2], dtype=int64))
    """
    dim, keepdim = dim_words("kthvalue", dim, keepdim, axis, keepdims)
    length = x.shape[normalize_axis(dim, x.ndim or 1, "dim")] if x.ndim else 1
    if not 1 <= k <= length:
        raise ArgumentError(f"kthvalue: k={k} is out of range for dim {dim} of length {length}: expected one "
                            f"in [1, {length}]")
    return _at_rank(x, dim, keepdim, lambda n, present: k - 1)


def mode(x, dim: int = -1, keepdim: bool = False, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """PyTorch's ``mode``: :class:`~tinygrad_bn.ops.reduce.Extremes` ``(values, indices)`` of
    the most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    index of its last occurrence; the gradient goes to that element.

    >>> from tinygrad_bn import tensor
    >>> values, indices = tensor([[2, 1, 2, 1, 3]]).mode(1)
    >>> values.tolist(), indices.tolist()
    ([1], [3])
    """
    dim, keepdim = dim_words("mode", dim, keepdim, axis, keepdims)
    if x.ndim == 0:
        return mode(x.reshape(1), 0)
    dim = normalize_axis(dim, x.ndim, "dim")
    xp, rows = x.xp, x.xp.moveaxis(x._data, dim, -1)
    order = xp.argsort(rows, axis=-1, kind="stable")  # equal values keep their order: a run ends at the last
    ordered = xp.take_along_axis(rows, order, axis=-1)
    n = rows.shape[-1]
    positions = xp.arange(n)
    starts = xp.concatenate([xp.ones(rows.shape[:-1] + (1,), dtype=bool), ordered[..., 1:] != ordered[..., :-1]], -1)
    run_start = running(xp.maximum, xp.concatenate, xp.where(starts, positions, -1), rows.ndim - 1)
    # the longest run's last element; of equally long runs the first, of the smallest value
    last = (positions - run_start + 1).argmax(axis=-1, keepdims=True)
    indices = constant(xp.moveaxis(xp.take_along_axis(order, last, axis=-1), -1, dim).astype("int64"), x)
    values = gather(x, dim, indices)
    return Extremes(values, indices) if keepdim else Extremes(values.squeeze(dim), indices.squeeze(dim))


INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(x, q, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, interpolation: str = "linear", axis=NOT_GIVEN,
             keepdims=NOT_GIVEN):
    """PyTorch's ``quantile``: the q-quantile along ``dim`` (of all elements by default)
    at rank q·(n − 1) of the sorted values, between the two neighbours by
    ``interpolation`` ("linear", "lower", "higher", "midpoint" or "nearest", which
    rounds half to even); NaN where a NaN is among them. ``q`` is a number or a
    0-d or 1-d tensor of x's dtype; a 1-d one gives one result per q, along a new
    first axis.

    >>> from tinygrad_bn import tensor
    >>> x = tensor([[0.0, 4.0, 1.0], [3.0, 2.0, 8.0]])
    >>> x.quantile(0.25, dim=1).tolist(), x.quantile(tensor([0.5, 1.0]), dim=0).tolist()
    ([0.5, 2.5], [[1.5, 3.0, 4.5], [3.0, 4.0, 8.0]])
    """
    dim, keepdim = dim_words("quantile", dim, keepdim, axis, keepdims)
    return _quantile("quantile", x, q, dim, keepdim, interpolation, skip_nan=False)


def nanquantile(x, q, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, interpolation: str = "linear", axis=NOT_GIVEN,
                keepdims=NOT_GIVEN):
    """PyTorch's ``nanquantile``: :func:`quantile` of the elements that are not NaN.

    >>> from tinygrad_bn import tensor
    >>> tensor([1.0, float("nan"), 3.0]).nanquantile(0.5).item()
    2.0
    """
    dim, keepdim = dim_words("nanquantile", dim, keepdim, axis, keepdims)
    return _quantile("nanquantile", x, q, dim, keepdim, interpolation, skip_nan=True)


def _quantile(name: str, x, q, dim, keepdim: bool, interpolation: str, skip_nan: bool):
    q = _q_array(name, x, q)
    if interpolation not in INTERPOLATIONS:
        raise ArgumentError(f"{name} expects interpolation one of {', '.join(INTERPOLATIONS)}, got {interpolation!r}")
    rows = x.reshape(-1) if dim is None else movedim(x, dim, -1)
    if rows.ndim == 0 or rows.shape[-1] == 0:
        raise ShapeError(f"{name} of an empty tensor (shape {x.shape})")
    xp, n = x.xp, rows.shape[-1]
    values = sort(rows, -1).values
    nan = xp.isnan(values._data)
    if skip_nan:  # the last element that is not NaN (the first, a NaN, where all are)
        last = ((~nan).sum(axis=-1, keepdims=True) - 1).clip(0, None)
    else:
        last = xp.full(values.shape[:-1] + (1,), n - 1)
    ranks = q.reshape(q.shape + (1,) * rows.ndim) * last.astype(x.dtype)
    if not skip_nan:  # where a row holds a NaN, its last element: that NaN
        ranks = xp.where(nan.any(axis=-1, keepdims=True), xp.asarray(n - 1, dtype=x.dtype), ranks)
    ordered = values.broadcast_to(q.shape + values.shape)
    result = _interpolate(ordered, ranks, interpolation).squeeze(-1)
    if keepdim:
        dims = range(x.ndim) if dim is None else (normalize_axis(dim, x.ndim, "dim"),)
        result = result.reshape(q.shape + _kept_shape(x.shape, tuple(dims)))
    return result


def _interpolate(ordered, ranks, interpolation: str):
    """The values at fractional ``ranks`` (an array, on the last axis) of the sorted tensor ``ordered``."""
    xp = ordered.xp
    if interpolation == "nearest":
        ranks = xp.round(ranks)  # half to even, as PyTorch's round
    below = constant(xp.floor(ranks).astype("int64"), ordered)
    above = constant(xp.ceil(ranks).astype("int64"), ordered)
    low, high = gather(ordered, -1, below), gather(ordered, -1, above)
    if interpolation in ("lower", "nearest"):
        return low
    if interpolation == "higher":
        return high
    weight = xp.full(ranks.shape, 0.5, dtype=ranks.dtype) if interpolation == "midpoint" else ranks - below._data
    return lerp(low, high, constant(weight.astype(ordered.dtype), ordered))  # w, the fractional part of the rank


def _q_array(name: str, x, q):
    """``q`` as an array of x's dtype on its device, 0-d or 1-d, every value in [0, 1]."""
    if x.dtype not in ("float32", "float64"):
        raise DtypeError(f"{name} expects a float32 or float64 tensor, got dtype {x.dtype}")
    if isinstance(q, Tensor):
        if q.dtype != x.dtype:
            raise DtypeError(f"{name} expects q of the input's dtype {x.dtype}, got {q.dtype}")
        q = q._data
    else:
        q = x.xp.asarray(q, dtype=x.dtype)
    if q.ndim > 1:
        raise ShapeError(f"{name} expects q as a number or a 0-d or 1-d tensor, got shape {q.shape}")
    if not bool(((q >= 0) & (q <= 1)).all()):
        raise ArgumentError(f"{name} expects q in [0, 1], got {q.tolist()}")
    return q
