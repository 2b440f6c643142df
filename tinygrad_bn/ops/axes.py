"""Axis arguments: PyTorch's ``dim`` and ``keepdim``, and the aliases PyTorch accepts
for them, ``axis`` and ``keepdims``, with the same meaning; checked and normalized.
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
    """The default of an argument that may itself be None (``dim=None`` is every axis)."""

    def __repr__(self):
        return "<not given>"


NOT_GIVEN = NotGiven()


def dim_words(name: str, dim, keepdim, axis=NOT_GIVEN, keepdims=NOT_GIVEN, default=None) -> tuple:
    """``(dim, keepdim)`` of a reduction ``name``, given in PyTorch's words or in the
    aliases PyTorch also accepts, ``axis`` and ``keepdims`` (same meaning). An empty
    ``dim`` names every axis, as in PyTorch; ``default`` stands for a ``dim`` not given."""
    if axis is not NOT_GIVEN:
        _only_one(name, "dim", dim, "axis", axis)
        dim = axis
    if keepdims is not NOT_GIVEN:
        _only_one(name, "keepdim", keepdim, "keepdims", keepdims)
        keepdim = keepdims
    if dim is NOT_GIVEN or (isinstance(dim, (tuple, list)) and not dim):
        dim = default
    return dim, bool(False if keepdim is NOT_GIVEN else keepdim)


def _only_one(name: str, word, value, alias: str, alias_value):
    if value is not NOT_GIVEN:
        raise TypeError(
            f"{name}() got both {word}={value!r} and {alias}={alias_value!r}; give one ({alias} is PyTorch's "
            f"alias of {word})"
        )


def squeezed(shape: tuple, axes: tuple) -> tuple:
    """``shape`` without the (reduced) ``axes``."""
    return tuple(n for i, n in enumerate(shape) if i not in axes)
