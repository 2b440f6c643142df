"""Reductions (sum, mean, max and amax; prod as pairwise products), and what carries
no gradient: the positions of extremes (argmax, argmin) and the truth reductions
(all, any). The statistics built on them (var, std, softmax) are in
:mod:`~tinygrad_bn.ops.statistics`.

They speak PyTorch: ``dim`` and ``keepdim``, or PyTorch's aliases ``axis`` and
``keepdims`` with the same meaning, so ``x.max(1)`` and ``x.max(axis=1)`` are both
(values, indices).
"""

from __future__ import annotations

import math
import operator
from typing import NamedTuple

import numpy

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.errors import DtypeError
from tinygrad_bn.ops.axes import NOT_GIVEN, dim_words, normalize_axes, normalize_axis, squeezed
from tinygrad_bn.ops.elementwise import maximum, minimum
from tinygrad_bn.ops.promotion import constant


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(grad, shape: tuple, axes: tuple, keepdims: bool):
    """Send a reduced gradient back over the reduced axes."""
    if not keepdims:
        grad = grad.reshape(_kept_shape(shape, axes))
    return grad.broadcast_to(shape)


# The one precision rule: values are computed at least in float32 (float16 data in
# float32, see ``in_compute_precision`` in ops/statistics.py), and a sum accumulates in
# the next wider type: NumPy adds along a non-contiguous axis one element after another,
# and float32 data with mean 1000 would lose its spread (docs/batchnorm.md, "Numerics").
WIDER = {"float16": "float32", "float32": "float64"}
_WIDER_BY_CHAR = {numpy.dtype(name).char: wide for name, wide in WIDER.items()}  # dtype.name takes 2 µs to make


def wider(dtype):
    """The type a sum of ``dtype`` values accumulates in (``WIDER``), or None for none wider."""
    return _WIDER_BY_CHAR.get(dtype.char)


def _accumulate(reduction, x, axes, keepdims):
    wider_type = wider(x.dtype)
    if wider_type is None:
        return reduction(axis=axes, keepdims=keepdims)
    return reduction(axis=axes, keepdims=keepdims, dtype=wider_type).astype(x.dtype)


class Sum(Function):
    def forward(self, x, axes, keepdims):
        self.input_shape = x.shape
        self.axes = axes
        self.keepdims = keepdims
        return _accumulate(x._data.sum, x, axes, keepdims)

    def backward(self, grad):
        return _spread(grad, self.input_shape, self.axes, self.keepdims)


class Mean(Function):
    def forward(self, x, axes, keepdims):
        self.input_shape = x.shape
        self.axes = axes
        self.keepdims = keepdims
        return _accumulate(x._data.mean, x, axes, keepdims)

    def backward(self, grad):
        count = math.prod(self.input_shape[a] for a in self.axes)
        return _spread(grad, self.input_shape, self.axes, self.keepdims) / count


class Max(Function):
    """The maximum over ``axes``. Its gradient goes to the maximal elements: with
    ``ties="share"`` equally to all of them (PyTorch's ``amax``), with
    ``ties="first"`` (one axis, or none of a 0-d tensor) to the first along the axis
    (PyTorch's ``max(dim)`` and ``max_pool2d``)."""

    def forward(self, x, axes, keepdims, ties="share"):
        peak = x._data.max(axis=axes, keepdims=True)
        if ties == "first" and axes:
            (axis,) = axes
            positions = x.xp.arange(x.shape[axis]).reshape([-1 if a == axis else 1 for a in range(x.ndim)])
            share = (positions == x._data.argmax(axis=axis, keepdims=True)).astype(x.dtype)
        else:
            is_peak = (x._data == peak).astype(x.dtype)
            share = is_peak / is_peak.sum(axis=axes, keepdims=True)
        self.save_for_backward(constant(share, x))
        self.axes = axes
        self.keepdims = keepdims
        return peak if keepdims else peak.reshape(squeezed(peak.shape, axes))

    def backward(self, grad):
        (share,) = self.saved_tensors
        return _spread(grad, share.shape, self.axes, self.keepdims) * share


class Extremes(NamedTuple):
    """What ``max(dim=d)`` and ``min(dim=d)`` return, as PyTorch's
    ``torch.return_types.max``: the extreme ``values`` along ``d`` and their
    ``indices`` (int64, outside the graph)."""

    values: Tensor
    indices: Tensor


def _reduce(cls, x, dim, keepdim):
    return cls.apply(x, axes=normalize_axes(dim, x.ndim), keepdims=keepdim)


def sum(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, dtype=None, axis=NOT_GIVEN, keepdims=NOT_GIVEN):  # noqa: A001
    """Sum over ``dim`` (an int or a tuple; all axes by default), keeping the reduced
    axes with ``keepdim=True``; ``dtype`` casts first (integers sum in int64).

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x.sum(0).tolist(), x.sum(dim=1, keepdim=True).tolist(), x.sum(axis=0).tolist()
    ([4.0, 6.0], [[3.0], [7.0]], [4.0, 6.0])
    """
    return _reduce(Sum, _in_total_dtype(x, dtype), *dim_words("sum", dim, keepdim, axis, keepdims))


def _in_total_dtype(x, dtype):
    """``x`` cast to ``dtype``, or with no dtype given, integers and bools to int64 (PyTorch's
    sum and prod), anything else as it is."""
    if dtype is None and x.dtype.kind in "biu":
        dtype = "int64"
    return x if dtype is None else x.astype(dtype)


def mean(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, dtype=None, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """Arithmetic mean over ``dim``, as :func:`sum` (of a floating tensor, as in PyTorch).

    >>> from tinygrad_bn import Tensor
    >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(dim=-1).tolist()
    [1.5, 3.5]
    """
    if dtype is not None:
        x = x.astype(dtype)
    if x.dtype.kind != "f":
        raise DtypeError(f"mean() needs a floating tensor, got dtype {x.dtype}; cast it first, e.g. x.float().mean()")
    return _reduce(Mean, x, *dim_words("mean", dim, keepdim, axis, keepdims))


def prod(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, dtype=None, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """Product over ``dim`` (all axes by default), as :func:`sum` (integers and bools
    multiply in int64, ``dtype`` casts first). The elements are
    multiplied pairwise, x[0::2] · x[1::2] until one is left, so the gradient of each
    is the product of the others, zeros included, and it differentiates again.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[2.0, 0.0, 3.0], [1.0, 4.0, 5.0]], requires_grad=True)
    >>> y = x.prod(dim=1)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()
    ([0.0, 20.0], [[0.0, 6.0, 0.0], [20.0, 5.0, 4.0]])
    """
    x = _in_total_dtype(x, dtype)
    dim, keepdim = dim_words("prod", dim, keepdim, axis, keepdims)
    axes = normalize_axes(dim, x.ndim)
    for a in axes:
        x = _pairwise_product(x, a)
    return x if keepdim else x.reshape(squeezed(x.shape, axes))


def _pairwise_product(x, axis: int):
    """Π x along ``axis``, kept with length 1: padded with ones to a power of two,
    then the even-indexed elements times the odd-indexed ones, until one is left."""
    n = x.shape[axis]
    width = 1 if n <= 1 else 1 << (n - 1).bit_length()
    if width > n:
        x = x.pad([(0, width - n) if a == axis else (0, 0) for a in range(x.ndim)], 1.0)
    lead = (slice(None),) * axis
    while x.shape[axis] > 1:
        x = x[lead + (slice(0, None, 2),)] * x[lead + (slice(1, None, 2),)]
    return x


def max(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):  # noqa: A001
    """PyTorch's ``max``: given a dimension (one int), :class:`Extremes` ``(values,
    indices)`` along it, the gradient going to the first of tied maxima; given none,
    the maximum of all elements, tied maxima sharing the gradient; given a Tensor,
    the elementwise :func:`maximum`. For the values alone over any axes see :func:`amax`.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]])
    >>> values, indices = x.max(1)
    >>> values.tolist(), indices.tolist()
    ([5.0, 7.0], [1, 0])
    >>> x.max(dim=1, keepdim=True).indices.tolist(), x.max(axis=1).indices.tolist(), x.max().item()
    ([[1], [0]], [1, 0], 7.0)
    """
    if isinstance(dim, Tensor):
        return maximum(x, dim)
    return _largest("max", x, *dim_words("max", dim, keepdim, axis, keepdims))


def min(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):  # noqa: A001
    """The minimum, as :func:`max`: the maximum of −x, negated.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[1.0, 5.0, 1.0], [7.0, 0.0, 2.0]])
    >>> x.min(1).indices.tolist(), x.min(1).values.tolist(), x.min().item()
    ([0, 1], [1.0, 0.0], 0.0)
    """
    if isinstance(dim, Tensor):
        return minimum(x, dim)
    largest = _largest("min", -x, *dim_words("min", dim, keepdim, axis, keepdims))
    if isinstance(largest, Extremes):
        return Extremes(-largest.values, largest.indices)
    return -largest


def amax(x, dim=(), keepdim=False):
    """The largest values over ``dim`` (an int or a tuple; all axes by default), tied
    maxima sharing the gradient equally, as PyTorch's ``amax``.

    >>> from tinygrad_bn import Tensor
    >>> Tensor([[1.0, 5.0], [7.0, 0.0]]).amax(1).tolist()
    [5.0, 7.0]
    """
    axes = normalize_axes(dim if dim != () else None, x.ndim)
    _check_not_empty("amax", x, axes)
    return Max.apply(x, axes=axes, keepdims=keepdim)


def amin(x, dim=(), keepdim=False):
    """The smallest values over ``dim``, as :func:`amax`."""
    return -amax(-x, dim, keepdim)


def _check_not_empty(name: str, x, axes):
    if x.size == 0 and 0 in [x.shape[a] for a in axes]:
        raise ValueError(f"{name} of an empty axis: tensor of shape {x.shape}, dims {axes}")


def _largest(name: str, x, dim, keepdim):
    """The maximum of ``x`` (all of it when ``dim`` is None), or with an int ``dim``
    :class:`Extremes`; errors speak of ``name``, the method called."""
    if dim is None:
        return amax(x)
    dim = _one_dim(name, dim)
    axes = normalize_axes(dim, x.ndim)
    _check_not_empty(name, x, axes)
    values = Max.apply(x, axes=axes, keepdims=keepdim, ties="first")
    return Extremes(values, _position("argmax", x, dim, keepdim))


def _one_dim(name: str, dim) -> int:
    try:
        return operator.index(dim)
    except TypeError:
        raise TypeError(
            f"{name}(dim) takes one int dim, as in PyTorch; got {dim!r}. "
            f"For the values alone, over any dims, write a{name}(dim)"
        ) from None


def argmax(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """Index of the maximum along ``dim`` (into the flattened tensor when None), as
    an int64 tensor outside the graph; the first one when several tie, as in PyTorch.

    >>> from tinygrad_bn import Tensor
    >>> Tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]]).argmax(dim=1).tolist()
    [1, 0]
    """
    return _position("argmax", x, *dim_words("argmax", dim, keepdim, axis, keepdims))


def argmin(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """Index of the minimum along ``dim``, as :func:`argmax`."""
    return _position("argmin", x, *dim_words("argmin", dim, keepdim, axis, keepdims))


def all(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):  # noqa: A001
    """Whether every element along ``dim`` (all axes by default) is nonzero, as a
    boolean tensor outside the graph.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[1.0, 0.0], [2.0, 3.0]])
    >>> x.all().item(), x.all(dim=1).tolist(), x.any(0, keepdim=True).tolist()
    (False, [False, True], [[True, True]])
    """
    return _truth("all", x, *dim_words("all", dim, keepdim, axis, keepdims))


def any(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):  # noqa: A001
    """Whether some element along ``dim`` is nonzero, as :func:`all`."""
    return _truth("any", x, *dim_words("any", dim, keepdim, axis, keepdims))


def _truth(name: str, x, axis, keepdims):
    """``x._data.all`` or ``x._data.any`` (``name``) over ``axis``."""
    axes = normalize_axes(axis, x.ndim)
    return constant(getattr(x._data, name)(axis=axes, keepdims=keepdims), x)


def _position(name: str, x, axis, keepdims):
    """``x.xp.argmax`` or ``x.xp.argmin`` (``name``) of ``x`` along ``axis``."""
    if axis is not None:
        axis = normalize_axis(axis, x.ndim or 1)
    if x.size == 0 and (axis is None or x.shape[axis] == 0):
        raise ValueError(f"{name} of an empty tensor (shape {x.shape})")
    if x.ndim == 0:
        return constant(x.xp.zeros((), dtype="int64"), x)
    find = getattr(x.xp, name)
    return constant(find(x._data, axis=axis, keepdims=keepdims).astype("int64"), x)
