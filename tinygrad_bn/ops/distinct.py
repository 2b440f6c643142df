"""Distinct values and runs of equal values: PyTorch's ``unique`` and
``unique_consecutive``, of the flattened tensor or of its slices along ``dim``.

Both are one recipe. Take the elements (or the slices along ``dim``, each flattened
into a row) in order — sorted, for ``unique``, by a stable sort that puts NaN last —
and mark each that differs from the one before it: the marks start the runs. The
first of each run is a value, how far apart the runs start are the counts, and the
running count of marks, put back in the original order, is each element's index
(the inverse). NaN differs from everything, itself included, as in PyTorch, so every
NaN is a value of its own. No gradient flows through them.

>>> from tinygrad_bn import tensor
>>> x = tensor([[1, 3], [2, 3], [1, 3], [1, 3]])
>>> values, inverse = unique(x, dim=0, return_inverse=True)
>>> values.tolist(), inverse.tolist()
([[1, 3], [2, 3]], [0, 1, 0, 0])
>>> values, counts = unique_consecutive(x, dim=0, return_counts=True)
>>> values.tolist(), counts.tolist()
([[1, 3], [2, 3], [1, 3]], [1, 1, 2])
"""

from __future__ import annotations

import math

from tinygrad_bn.errors import ShapeError
from tinygrad_bn.ops.axes import normalize_axis
from tinygrad_bn.ops.elementwise import constant


def unique(input, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
           dim=None):
    """PyTorch's ``unique``: the distinct values of ``input`` in increasing order (of
    the flattened tensor, or with ``dim`` its distinct slices along ``dim`` in
    lexicographic order), and if asked the index of each element's value (``input``'s
    shape; with ``dim`` one per slice) and how often each value occurs. ``sorted=False``
    gives them sorted too, as PyTorch's CPU does.

    >>> from tinygrad_bn import tensor
    >>> values, counts = unique(tensor([3, 1, 3, 2]), return_counts=True)
    >>> values.tolist(), counts.tolist()
    ([1, 2, 3], [1, 1, 2])
    """
    return _runs("unique", input, dim, return_inverse, return_counts, in_order=True)


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False, dim=None):  # noqa: A002
    """PyTorch's ``unique_consecutive``: ``input`` with each run of equal consecutive
    elements (or, with ``dim``, slices along ``dim``) made one, and if asked the index
    of each element's run (``input``'s shape; with ``dim`` one per slice) and the
    length of each run.

    >>> from tinygrad_bn import tensor
    >>> values, inverse, counts = unique_consecutive(tensor([1, 1, 2, 2, 3, 1]), True, True)
    >>> values.tolist(), inverse.tolist(), counts.tolist()
    ([1, 2, 3, 1], [0, 0, 1, 1, 2, 3], [2, 2, 1, 1])
    """
    return _runs("unique_consecutive", input, dim, return_inverse, return_counts, in_order=False)


def _runs(name: str, x, dim, return_inverse: bool, return_counts: bool, in_order: bool):
    """The values, inverse and counts of the runs of equal rows of x (flattened, or
    cut into its slices along ``dim``), sorted first if ``in_order``."""
    rows, dim = _rows(name, x, dim)
    xp = x.xp
    order = _sorting_order(rows, xp) if in_order else None
    ordered = rows if order is None else rows[order]
    starts = xp.ones(len(ordered), dtype=bool)
    if len(ordered) > 1:
        starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    first = xp.nonzero(starts)[0]
    values = ordered[first]
    results = [constant(_values_shaped(values, x, dim), x)]
    if return_inverse:
        run = xp.cumsum(starts).astype("int64") - 1
        if order is not None:
            inverse = xp.empty_like(run)
            inverse[order] = run
            run = inverse
        results.append(constant(run.reshape(x.shape) if dim is None else run, x))
    if return_counts:
        bounds = xp.concatenate([first, xp.asarray([len(ordered)], dtype=first.dtype)])
        results.append(constant(xp.diff(bounds).astype("int64"), x))
    return results[0] if len(results) == 1 else tuple(results)


def _rows(name: str, x, dim) -> tuple:
    """x's elements as rows of one (``dim`` None) or its slices along ``dim`` as rows,
    with ``dim`` made non-negative; checked as PyTorch checks them."""
    if dim is None:
        return x._data.reshape(-1, 1), None
    if x.ndim == 0:
        raise IndexError(f"{name}: dim {dim} given for a 0-d tensor, which has no dimensions")
    if not -x.ndim <= dim < x.ndim:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor with {x.ndim} dimensions: expected one "
                         f"in [{-x.ndim}, {x.ndim - 1}]")
    dim = normalize_axis(dim, x.ndim, "dim")
    empty = [axis for axis, n in enumerate(x.shape) if n == 0]
    if len(empty) > 1:
        raise ShapeError(f"{name} along dim {dim}: shape {x.shape} has more than one axis of length 0")
    if empty and empty[0] != dim:
        raise ShapeError(f"{name} along dim {dim}: shape {x.shape} has an axis of length 0 that is not dim")
    moved = x.xp.moveaxis(x._data, dim, 0)
    return moved.reshape(x.shape[dim], math.prod(x.shape[:dim] + x.shape[dim + 1:])), dim


def _sorting_order(rows, xp):
    """The stable order that sorts the rows lexicographically, NaN after every number."""
    if rows.shape[1] == 1:
        return xp.argsort(rows[:, 0], kind="stable")
    return xp.lexsort(rows.T[::-1])


def _values_shaped(values, x, dim):
    """The values as PyTorch gives them: 1-d, or slices along ``dim`` in x's layout."""
    if dim is None:
        return values.reshape(-1)
    others = x.shape[:dim] + x.shape[dim + 1:]
    return x.xp.moveaxis(values.reshape((len(values),) + others), 0, dim)
