"""Ops built from a set of index tuples: ``argwhere``, the positions of the non-zero
elements, ``combinations``, the elements at every r-subset of positions, and
``unravel_index``, flat indices as coordinates."""

from __future__ import annotations

import itertools

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.ops.indexing import nonzero
from tinygrad_bn.ops.promotion import constant


def argwhere(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """The indices of the non-zero elements, one row each: int64 of shape (count, ndim),
    as ``nonzero()``.

    >>> from tinygrad_bn import tensor
    >>> argwhere(tensor([[0.0, 2.0], [3.0, 0.0]])).tolist()
    [[0, 1], [1, 0]]
    """
    if input.ndim == 0:  # one row of no indices if the element is non-zero, else none
        return nonzero(input.reshape(1))[:, :0]
    return nonzero(input)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """The length-``r`` combinations of a 1-d tensor's elements, one per row, in
    lexicographic order of positions (as Python's ``itertools.combinations``, or
    ``combinations_with_replacement``); shape (count, r), an empty 1-d tensor for r = 0.
    The gradient of each element sums over the rows it appears in.

    >>> from tinygrad_bn import tensor
    >>> combinations(tensor([1, 2, 3])).tolist()
    [[1, 2], [1, 3], [2, 3]]
    """
    if input.ndim != 1:
        raise ShapeError(f"combinations expects a 1-d tensor, got shape {input.shape}; flatten it first")
    if r < 0:
        raise ArgumentError(f"combinations expects r ≥ 0, got {r}")
    if r == 0:
        return input[:0]
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    positions = numpy.array(list(choose(range(input.shape[0]), r)), dtype="int64").reshape(-1, r)
    return input[constant(positions, input)]


def unravel_index(indices, shape) -> tuple:
    """PyTorch's ``unravel_index``: the coordinates, one int64 tensor per axis of
    ``shape`` (an int or a tuple), of flat row-major ``indices`` (an integer tensor);
    a negative index counts from the end, as in PyTorch.

    >>> from tinygrad_bn import tensor
    >>> [t.tolist() for t in unravel_index(tensor([7, 13, -1]), (4, 5))]
    [[1, 2, 3], [2, 3, 4]]
    """
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
        given = f"dtype {indices.dtype}" if isinstance(indices, Tensor) else type(indices).__name__
        raise TypeError(f"unravel_index expects indices as an integer Tensor, got {given}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise TypeError(f"unravel_index expects a shape of non-negative ints, got {shape!r}")
    if 0 in shape:
        raise ArgumentError(f"unravel_index: a shape with an axis of length 0 has no indices, got {shape!r}")
    flat, coordinates = indices._data.astype("int64"), []
    for length in reversed(shape):  # floor division and modulo wrap a negative index from the end
        coordinates.append(constant(flat % length, indices))
        flat = flat // length
    return tuple(reversed(coordinates))
