"""Reductions (sum, mean, max), the composites built on them (var, softmax), and
the positions of extremes (argmax, argmin), which carry no gradient."""

from __future__ import annotations

import math
import operator

from tinygrad_bn.autograd import Function
from tinygrad_bn.ops.elementwise import constant


def normalize_axis(axis, ndim: int) -> int:
    """One axis (negative counts from the end) as a non-negative int."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for a tensor with {ndim} dimensions")
    return axis % ndim


def normalize_axes(axis, ndim: int) -> tuple:
    """``axis`` (None, an int or a sequence) as a sorted tuple of non-negative axes.

    A 0-d tensor has no axes to reduce; axis 0 or -1 names it, as in PyTorch."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    normalized = [normalize_axis(a, ndim or 1) for a in axes]
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(normalized)) if ndim else ()


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(grad, shape: tuple, axes: tuple, keepdims: bool):
    """Send a reduced gradient back over the reduced axes."""
    if not keepdims:
        grad = grad.reshape(_kept_shape(shape, axes))
    return grad.broadcast_to(shape)


# Sums of float16 and float32 accumulate in the next wider type: NumPy adds
# along a non-contiguous axis one element after another, and float32 data with
# mean 1000 would lose its spread (see docs/batchnorm.md, "Numerics").
WIDER = {"float16": "float32", "float32": "float64"}


def _accumulate(reduction, x, axes, keepdims):
    wider = WIDER.get(x.dtype.name)
    if wider is None:
        return reduction(axis=axes, keepdims=keepdims)
    return reduction(axis=axes, keepdims=keepdims, dtype=wider).astype(x.dtype)


class Sum(Function):
    def forward(self, x, axes, keepdims):
        self.input_shape = x.shape
        return _accumulate(x.data.sum, x, axes, keepdims)

    def backward(self, grad):
        return _spread(grad, self.input_shape, self.params["axes"], self.params["keepdims"])


class Mean(Function):
    def forward(self, x, axes, keepdims):
        self.input_shape = x.shape
        return _accumulate(x.data.mean, x, axes, keepdims)

    def backward(self, grad):
        axes = self.params["axes"]
        count = math.prod(self.input_shape[a] for a in axes)
        return _spread(grad, self.input_shape, axes, self.params["keepdims"]) / count


class Max(Function):
    """The maximum over ``axes``. Its gradient goes to the maximal elements: with
    ``ties="share"`` equally to all of them (PyTorch's ``amax``), with
    ``ties="first"`` (one axis only) to the first along the axis (PyTorch's
    ``max_pool2d``)."""

    def forward(self, x, axes, keepdims, ties="share"):
        peak = x.data.max(axis=axes, keepdims=True)
        if ties == "first":
            (axis,) = axes
            positions = x.xp.arange(x.shape[axis]).reshape([-1 if a == axis else 1 for a in range(x.ndim)])
            share = (positions == x.data.argmax(axis=axis, keepdims=True)).astype(x.dtype)
        else:
            is_peak = (x.data == peak).astype(x.dtype)
            share = is_peak / is_peak.sum(axis=axes, keepdims=True)
        self.save_for_backward(constant(share, x))
        return peak if keepdims else peak.reshape(_squeezed(peak.shape, axes))

    def backward(self, grad):
        (share,) = self.saved_tensors
        return _spread(grad, share.shape, self.params["axes"], self.params["keepdims"]) * share


def _reduce(cls, x, axis, keepdims):
    axes = normalize_axes(axis, x.ndim)
    return cls.apply(x, axes=axes, keepdims=bool(keepdims))


def sum(x, axis=None, keepdims=False):  # noqa: A001 - the method's name
    """Sum over ``axis`` (all axes by default)."""
    return _reduce(Sum, x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``."""
    return _reduce(Mean, x, axis, keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001 - the method's name
    """Maximum over ``axis``; tied maxima share the gradient."""
    if x.size == 0 and any(x.shape[a] == 0 for a in normalize_axes(axis, x.ndim)):
        raise ValueError(f"max of an empty axis: tensor of shape {x.shape}, axis {axis}")
    return _reduce(Max, x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001 - the method's name
    """Minimum over ``axis``."""
    return -max(-x, axis, keepdims)


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` (into the flattened tensor when None), as
    an int64 tensor outside the graph; the first one when several tie, as in PyTorch.

    >>> from tinygrad_bn import Tensor
    >>> Tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]]).argmax(axis=1).tolist()
    [1, 0]
    """
    return _position(x.xp.argmax, x, axis, keepdims, "argmax")


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis``, as :func:`argmax`."""
    return _position(x.xp.argmin, x, axis, keepdims, "argmin")


def _position(find, x, axis, keepdims, name: str):
    if axis is not None:
        axis = normalize_axis(axis, x.ndim or 1)
    if x.size == 0:
        raise ValueError(f"{name} of an empty tensor (shape {x.shape})")
    if x.ndim == 0:
        return constant(x.xp.zeros((), dtype="int64"), x)
    return constant(find(x.data, axis=axis, keepdims=bool(keepdims)).astype("int64"), x)


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance over ``axis``, two-pass: mean of squared deviations, divided by m − ddof."""
    axes = normalize_axes(axis, x.ndim)
    count = math.prod(x.shape[a] for a in axes)
    centred = x - x.mean(axes, keepdims=True)
    return (centred * centred).sum(axes, keepdims=keepdims) / (count - ddof)


def logsumexp(x, axis=-1, keepdims=False):
    """log Σ exp(x), shifted by the maximum so that it never overflows."""
    shift = x.max(axis, keepdims=True).detach()
    total = (x - shift).exp().sum(axis, keepdims=True)
    result = total.log() + shift
    return result if keepdims else result.reshape(_squeezed(result.shape, normalize_axes(axis, x.ndim)))


def _squeezed(shape, axes):
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along ``axis``, computed stably."""
    return x - logsumexp(x, axis, keepdims=True)


def softmax(x, axis=-1):
    """exp(x) / Σ exp(x) along ``axis``."""
    return log_softmax(x, axis).exp()
