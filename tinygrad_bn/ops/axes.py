"""Axis arguments in NumPy's words (``axis``, ``keepdims``) and PyTorch's (``dim``,
``keepdim``): checked, normalized, and told apart, since a call's words decide
whose meaning it has where the two libraries differ (see :mod:`~tinygrad_bn.ops.reduce`).
"""

from __future__ import annotations

import operator


def normalize_axis(axis, ndim: int, word: str = "axis") -> int:
    """One axis (negative counts from the end) as a non-negative int; an error
    calls it ``word`` (PyTorch's callers say ``"dim"``)."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{word} {axis} is out of range for a tensor with {ndim} dimensions: "
            f"expected one in [{-ndim}, {ndim - 1}]"
        )
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


class NotGiven:
    """The default of PyTorch's ``dim``, which may itself be None (every axis)."""

    def __repr__(self):
        return "<not given>"


NOT_GIVEN = NotGiven()


def axis_words(name: str, axis, keepdims, dim, keepdim) -> tuple:
    """``(axis, keepdims)`` from NumPy's words or PyTorch's ``dim`` and ``keepdim``.

    An empty ``dim`` names every axis, as in PyTorch (an empty ``axis`` names none)."""
    if dim is not NOT_GIVEN:
        only_one(name, "axis", axis, "dim", dim)
        axis = None if isinstance(dim, (tuple, list)) and not dim else dim
    if keepdim is not None:
        only_one(name, "keepdims", keepdims, "keepdim", keepdim)
        keepdims = keepdim
    return axis, bool(keepdims)


def only_one(name: str, numpy_word: str, numpy_value, pytorch_word: str, pytorch_value):
    if numpy_value is not None:
        raise TypeError(
            f"{name}() got both {numpy_word}={numpy_value!r} and {pytorch_word}={pytorch_value!r}; "
            f"give one: {numpy_word} (NumPy's word) or {pytorch_word} (PyTorch's)"
        )


def pytorch_words(dim, keepdim) -> bool:
    """Whether a call speaks PyTorch (``dim`` or ``keepdim`` given), and so means PyTorch's result."""
    return dim is not NOT_GIVEN or keepdim is not None


def squeezed(shape: tuple, axes: tuple) -> tuple:
    """``shape`` without the (reduced) ``axes``."""
    return tuple(n for i, n in enumerate(shape) if i not in axes)
