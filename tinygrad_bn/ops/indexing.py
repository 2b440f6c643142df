"""Picking elements by index along one axis: ``gather``, ``index_select``, and what
is built from them, ``sort`` and ``topk``; writing them (``scatter``, ``index_add``,
``index_copy``, ``index_fill``; ``index_reduce`` is in :mod:`tinygrad_bn.ops.scatter_reduce`);
and ``nonzero``.

Each is indexing (:func:`tinygrad_bn.ops.shape.getitem`), so its gradient is the
one of indexing: scattered back to the picked places.
"""

from __future__ import annotations

import warnings

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.ops.axes import normalize_axis
from tinygrad_bn.ops.elementwise import masked_fill, scaled
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.reduce import Extremes
from tinygrad_bn.ops.shape import getitem


def _index_array(index, x: Tensor, name: str):
    """``index`` as an integer array on the device of ``x``."""
    index = index if isinstance(index, Tensor) else Tensor(index, device=x.device)
    if index.dtype.kind not in "iu":
        raise DtypeError(f"{name} expects an integer index, got dtype {index.dtype}")
    return index._data


def _along(index, dim: int, xp) -> tuple:
    """The full index that picks ``index[i₀, …, i_dim, …]`` along ``dim`` and
    ``i_k`` along every other axis k: out[i] = x[i₀, …, index[i], …]."""
    return tuple(
        index if axis == dim else xp.arange(n).reshape((-1,) + (1,) * (index.ndim - axis - 1))
        for axis, n in enumerate(index.shape)
    )


def gather(x, dim: int, index):
    """PyTorch's ``gather``: out[i][j] = x[i][index[i][j]] for ``dim=1`` (likewise for
    any ``dim``); ``index`` has as many axes as ``x``, no longer than it off ``dim``.

    >>> from tinygrad_bn import tensor
    >>> tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, tensor([[1], [0]])).tolist()
    [[2.0], [3.0]]
    """
    dim = normalize_axis(dim, x.ndim, "dim")
    index = _index_array(index, x, "gather")
    if index.ndim != x.ndim or any(n > m for axis, (n, m) in enumerate(zip(index.shape, x.shape)) if axis != dim):
        raise ShapeError(
            f"gather along dim {dim} expects an index of {x.ndim} dimensions no larger than {x.shape} "
            f"off dim {dim}, got shape {index.shape}"
        )
    return getitem(x, _along(index, dim, x.xp))


class Scatter(Function):
    """``x`` with ``src`` written at ``places`` (a full index, as :func:`_along` makes it),
    or added there with ``accumulate`` (duplicates adding up). The gradient of ``src``
    is the gradient picked at ``places``; that of ``x`` is the gradient, with the
    written places zeroed unless accumulating."""

    def forward(self, x, src, places, accumulate):
        self.places, self.accumulate = places, accumulate
        out = x._data.copy()
        if accumulate:
            x._backend.scatter_add(out, places, src._data)
        else:
            out[places] = src._data
        return out

    def backward(self, grad):
        need_x, need_src = self.needs_input_grad
        dx = None
        if need_x:
            zeros = constant(grad.xp.zeros(self.places[0].shape, dtype=grad.dtype), grad)
            dx = grad if self.accumulate else Scatter.apply(grad, zeros, places=self.places, accumulate=False)
        return dx, getitem(grad, self.places) if need_src else None


def scatter(x, dim: int, index, src=None, *, value=None, reduce=None):
    """PyTorch's ``scatter``: ``x`` with out[i][index[i][j]] = src[i][j] for ``dim=1``
    (likewise for any ``dim``); ``src`` may be a number (or ``value=``). As in
    PyTorch, ``index`` is no larger than ``src``, nor than ``x`` off ``dim``, and where
    it repeats a place, which write wins is not specified. PyTorch's older
    ``reduce="add"`` or ``"multiply"`` adds or multiplies the sources into ``x``
    instead (:func:`~tinygrad_bn.ops.scatter_reduce.scatter_reduce`'s "sum" and "prod").

    >>> from tinygrad_bn import tensor, zeros
    >>> zeros(2, 3).scatter(1, tensor([[2], [0]]), 1.0).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    >>> zeros(1, 3).scatter(1, tensor([[0, 0]]), 5.0, reduce="add").tolist()
    [[10.0, 0.0, 0.0]]
    """
    source = value if src is None else src
    if reduce is not None:
        return _scatter_reducing(x, dim, index, source, reduce)
    return _scatter("scatter", x, dim, index, source, accumulate=False)


def _scatter_reducing(x, dim: int, index, source, reduce: str):
    if reduce not in ("add", "multiply"):
        raise ArgumentError(f"reduce argument must be either add or multiply, got {reduce!r}")
    if isinstance(source, Tensor):
        warnings.warn("scatter's reduce argument with a Tensor source is deprecated, as in PyTorch; "
                      "use scatter_reduce, which has more reductions", UserWarning, stacklevel=3)
    from tinygrad_bn.ops.scatter_reduce import scatter_reduce  # it builds on this module

    source, _ = scatter_operands("scatter", x, dim, index, source)
    return scatter_reduce(x, dim, index, source, {"add": "sum", "multiply": "prod"}[reduce])


def scatter_add(x, dim: int, index, src):
    """PyTorch's ``scatter_add``: ``x`` with out[i][index[i][j]] += src[i][j] for ``dim=1``,
    repeated places adding up.

    >>> from tinygrad_bn import tensor, zeros
    >>> zeros(1, 3).scatter_add(1, tensor([[0, 2, 0]]), tensor([[1.0, 2.0, 3.0]])).tolist()
    [[4.0, 0.0, 2.0]]
    """
    return _scatter("scatter_add", x, dim, index, src, accumulate=True)


def index_add(x, dim: int, index, source, *, alpha=1):
    """PyTorch's ``index_add``: ``x`` with alpha·source[..., i, ...] added to
    x[..., index[i], ...] along ``dim``, repeated indices adding up.

    >>> from tinygrad_bn import tensor, zeros
    >>> zeros(3, 2).index_add(0, tensor([0, 2, 0]), tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])).tolist()
    [[4.0, 4.0], [0.0, 0.0], [2.0, 2.0]]
    """
    places = slice_places("index_add", x, dim, index, source, ArgumentError)
    return Scatter.apply(x, scaled(source, alpha, x), places=places, accumulate=True)


def index_put(x, indices, values, accumulate: bool = False):
    """PyTorch's ``index_put``: ``x`` with ``values`` written at x[indices] (a tuple of
    index tensors, one per leading axis, broadcasting together), or with ``accumulate``
    added there, repeated places adding up.

    >>> from tinygrad_bn import tensor, zeros
    >>> rows, columns = tensor([0, 1, 0]), tensor([1, 2, 1])
    >>> zeros(2, 3).index_put((rows, columns), tensor(1.0), accumulate=True).tolist()
    [[0.0, 2.0, 0.0], [0.0, 0.0, 1.0]]
    """
    xp = x.xp
    given = [i._data if isinstance(i, Tensor) else xp.asarray(i) for i in indices]
    if len(given) > x.ndim:
        raise IndexError(f"index_put got {len(given)} index tensors for a tensor of {x.ndim} dimensions")
    given = xp.broadcast_arrays(*given) if given else []
    picked = given[0].shape if given else ()
    rest = x.shape[len(given):]
    # every place as a full index: the given indices over the picked shape, aranges over the rest
    spread = [i.reshape(i.shape + (1,) * len(rest)) for i in given]
    spread += [xp.arange(n).reshape((1,) * (len(picked) + k) + (n,) + (1,) * (len(rest) - k - 1))
               for k, n in enumerate(rest)]
    places = tuple(xp.broadcast_arrays(*spread))
    values = values if isinstance(values, Tensor) else Tensor(values, dtype=x.dtype, device=x.device)
    return Scatter.apply(x, values.astype(x.dtype).expand(*places[0].shape), places=places, accumulate=accumulate)


def put(input, index, source, accumulate: bool = False):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``put``: ``input`` read as one row in C order, with ``source``'s values
    (as many as ``index`` has, in its order) written at the positions ``index`` (negative
    ones count from the end), or with ``accumulate`` added there.

    >>> from tinygrad_bn import tensor, zeros
    >>> zeros(2, 3).put(tensor([-1, 0]), tensor([1.0, 2.0])).tolist()
    [[2.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    index = index if isinstance(index, Tensor) else Tensor(index, device=input.device)
    if index.numel() != source.numel():
        raise IndexError(f"put expects source and index of as many elements, got source of {source.numel()} and "
                         f"index of {index.numel()}")
    count = input.numel()
    if index.numel() and not -count <= int(index._data.min()) <= int(index._data.max()) < count:
        raise IndexError(f"put: index out of range for a tensor of {count} elements, got values from "
                         f"{int(index._data.min())} to {int(index._data.max())}")
    flat = input.reshape(-1)
    return index_put(flat, (index.reshape(-1),), source.reshape(-1), accumulate).reshape(input.shape)


def index_copy(x, dim: int, index, source):
    """PyTorch's ``index_copy``: ``x`` with x[..., index[i], ...] = source[..., i, ...]
    along ``dim`` (where an index repeats, which write wins is not specified). The
    gradient of ``x`` is zero at the written slices, that of ``source`` the gradient there.

    >>> from tinygrad_bn import tensor, zeros
    >>> zeros(3, 2).index_copy(0, tensor([2, 0]), tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[3.0, 4.0], [0.0, 0.0], [1.0, 2.0]]
    """
    if source.dtype != x.dtype:
        raise DtypeError(f"index_copy expects a source of the tensor's dtype {x.dtype}, got {source.dtype}")
    places = slice_places("index_copy", x, dim, index, source, IndexError)
    return Scatter.apply(x, source, places=places, accumulate=False)


def index_fill(x, dim: int, index, value):
    """PyTorch's ``index_fill``: ``x`` with the slices at ``index`` along ``dim`` filled
    with ``value`` (a number, or a 0-d tensor that gets their gradient).

    >>> from tinygrad_bn import tensor, zeros
    >>> zeros(2, 3).index_fill(1, tensor([0, 2]), -1.0).tolist()
    [[-1.0, 0.0, -1.0], [-1.0, 0.0, -1.0]]
    """
    dim = normalize_axis(dim, x.ndim or 1, "dim")
    index = _checked_index("index_fill", index, x, dim)
    if index.ndim > 1:
        raise ShapeError(f"index_fill expects a 0-d or 1-d index, got shape {index.shape}")
    if isinstance(value, Tensor) and value.ndim:
        raise ShapeError(f"index_fill expects a number or a 0-d tensor as value, got shape {value.shape}")
    filled = x.xp.zeros(x.shape[dim] if x.ndim else 1, dtype=bool)
    filled[index] = True
    return masked_fill(x, constant(filled.reshape((-1,) + (1,) * (x.ndim - dim - 1)), x), value)


def slice_places(name: str, x, dim: int, index, source, out_of_range) -> tuple:
    """The full index of the elements of the slices x[..., index[i], ...] along ``dim``,
    in the layout of ``source`` (x's shape but for the index's length along ``dim``);
    an index out of range raises ``out_of_range``."""
    dim = normalize_axis(dim, x.ndim, "dim")
    index = _checked_index(name, index, x, dim, out_of_range)
    if index.ndim != 1 or source.ndim != x.ndim or source.shape[dim] != len(index) or any(
            n != m for axis, (n, m) in enumerate(zip(source.shape, x.shape)) if axis != dim):
        raise ShapeError(f"{name} along dim {dim} expects a 1-d index and a source of shape {x.shape} but "
                         f"for its length along dim {dim}, the index's; got index {index.shape}, source {source.shape}")
    spread = x.xp.broadcast_to(index.reshape((-1,) + (1,) * (x.ndim - dim - 1)), source.shape)
    return _along(spread, dim, x.xp)


def _checked_index(name: str, index, x, dim: int, error=IndexError):
    """``index`` as an integer array on x's device, each within the length of ``dim``
    (negative from the end); else ``error`` (PyTorch's scatters and ``index_add`` raise
    a RuntimeError, its other ops an IndexError)."""
    index = _index_array(index, x, name)
    length = x.shape[dim] if x.ndim else 1
    if index.size and bool(((index < -length) | (index >= length)).any()):
        raise error(f"{name}: an index in {index.tolist()} is out of range for dim {dim} of length {length}")
    return index


def bincount(x, weights=None, minlength: int = 0):
    """PyTorch's ``bincount``: how often each value 0, 1, ..., max(x) occurs in the 1-d
    non-negative integer ``x`` (at least ``minlength`` counts), int64; with ``weights``
    the sum of the weights of each value's elements (float32 weights give float32,
    others float64); no gradient.

    >>> from tinygrad_bn import tensor
    >>> tensor([0, 1, 1, 3]).bincount().tolist(), tensor([0, 1, 1, 3]).bincount(minlength=6).tolist()
    ([1, 2, 0, 1], [1, 2, 0, 1, 0, 0])
    """
    if x.ndim != 1 or x.dtype.kind not in "iu" or (x.size and bool((x._data < 0).any())):
        raise ArgumentError(f"bincount expects a 1-d tensor of non-negative integers, got shape {x.shape} and "
                            f"dtype {x.dtype}{' with negative values' if x.dtype.kind in 'iu' and x.ndim == 1 else ''}")
    if weights is None:
        return constant(x.xp.bincount(x._data, minlength=minlength).astype("int64"), x)
    if weights.shape != x.shape:
        raise ShapeError(f"bincount expects weights of the input's shape {x.shape}, got {weights.shape}")
    dtype = "float32" if weights.dtype == "float32" else "float64"
    return constant(x.xp.bincount(x._data, weights=weights._data, minlength=minlength).astype(dtype), x)


def _scatter(name: str, x, dim: int, index, src, accumulate: bool):
    src, places = scatter_operands(name, x, dim, index, src)
    return Scatter.apply(x, src, places=places, accumulate=accumulate)


def scatter_operands(name: str, x, dim: int, index, src) -> tuple:
    """The source of a scatter along ``dim`` (a number made a tensor, cut to the index's
    shape) and the full index of the places it goes to (:func:`_along`), checked."""
    dim = normalize_axis(dim, x.ndim, "dim")
    index = _checked_index(name, index, x, dim, ArgumentError)
    if not isinstance(src, Tensor):
        src = constant(x.xp.full(index.shape, src, dtype=x.dtype), x)
    fits = index.ndim == x.ndim == src.ndim and all(
        n <= s and (axis == dim or n <= m) for axis, (n, s, m) in enumerate(zip(index.shape, src.shape, x.shape)))
    if not fits:
        raise ShapeError(f"{name} along dim {dim} expects an index of {x.ndim} dimensions no larger than the "
                         f"source {src.shape}, nor than {x.shape} off dim {dim}, got shape {index.shape}")
    if src.shape != index.shape:
        src = getitem(src, tuple(slice(0, n) for n in index.shape))
    if src.dtype != x.dtype:
        raise DtypeError(f"{name} expects a source of the tensor's dtype {x.dtype}, got {src.dtype}")
    return src, _along(index, dim, x.xp)


def index_select(x, dim: int, index):
    """PyTorch's ``index_select``: the slices of ``x`` at the 1-d ``index`` along ``dim``.

    >>> from tinygrad_bn import tensor
    >>> tensor([[1, 2, 3], [4, 5, 6]]).index_select(1, tensor([2, 0])).tolist()
    [[3, 1], [6, 4]]
    """
    dim = normalize_axis(dim, x.ndim, "dim")
    index = _index_array(index, x, "index_select")
    if index.ndim > 1:
        raise ShapeError(f"index_select expects a 1-d index, got shape {index.shape}")
    return getitem(x, (slice(None),) * dim + (index.reshape(-1),))


def sort(x, dim: int = -1, descending: bool = False, stable: bool = False):
    """PyTorch's ``sort``: (values, indices) along ``dim``, ascending unless
    ``descending``, NaN the largest value; equal elements keep their order, as with
    ``stable=True``. (Without it, PyTorch's CPU sort leaves equal elements in index
    order up to 16 along ``dim`` and in the order its sorting algorithm happens to
    leave them beyond; here they stay in index order.)

    >>> from tinygrad_bn import tensor
    >>> values, indices = tensor([3.0, 1.0, 2.0]).sort(descending=True)
    >>> values.tolist(), indices.tolist()
    ([3.0, 2.0, 1.0], [0, 2, 1])
    """
    dim = normalize_axis(dim, x.ndim or 1, "dim")
    if x.ndim == 0:
        return Extremes(x, constant(x.xp.zeros((), dtype="int64"), x))
    order = constant(stable_order(x._data, dim, descending, x.xp).astype("int64"), x)
    return Extremes(gather(x, dim, order), order)



def msort(input):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``msort``: the values sorted along the first axis, ascending."""
    return sort(input, dim=0).values

def stable_order(data, dim: int, descending: bool, xp):
    """Indices sorting ``data`` along ``dim``, equal elements in index order and NaN
    the largest value (first when ``descending``), as PyTorch's ``stable=True``."""
    if not descending:
        return xp.argsort(data, axis=dim, kind="stable")
    # the ascending order of the reversed data, reversed back: ties stay in index order
    reversed_order = xp.argsort(xp.flip(data, axis=dim), axis=dim, kind="stable")
    return data.shape[dim] - 1 - xp.flip(reversed_order, axis=dim)


def argsort(x, dim: int = -1, descending: bool = False, stable: bool = False):
    """The indices :func:`sort` gives (an int64 tensor, no gradient).

    >>> from tinygrad_bn import tensor
    >>> tensor([3.0, 1.0, 2.0]).argsort().tolist()
    [1, 2, 0]
    """
    return sort(x, dim, descending, stable)[1]


def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002 - PyTorch's name
    """PyTorch's ``topk``: the ``k`` largest (or smallest) elements along ``dim`` and
    their indices, largest (smallest) first, NaN the largest value. Equal elements come
    in index order; PyTorch's CPU topk leaves them in the order its selection algorithm
    happens to (of four equal values, ``topk(2)`` gives indices 2 and 3), so indices
    among ties may differ from PyTorch's, never the values.

    >>> from tinygrad_bn import tensor
    >>> tensor([[1.0, 5.0, 3.0]]).topk(2).indices.tolist()
    [[1, 2]]
    """
    dim = normalize_axis(dim, x.ndim or 1, "dim")
    size = x.shape[dim] if x.ndim else 1
    if not 0 <= k <= size:
        raise ShapeError(f"topk: k={k} is out of range for dim {dim} of size {size}")
    if x.ndim == 0:
        return sort(x)
    order = stable_order(x._data, dim, largest, x.xp)
    order = constant(x.xp.take(order, x.xp.arange(k), axis=dim).astype("int64"), x)
    return Extremes(gather(x, dim, order), order)


def nonzero(x, *, as_tuple: bool = False):
    """PyTorch's ``nonzero``: the indices of the non-zero elements, one row each
    (int64, shape (count, ndim)), or one index tensor per axis with ``as_tuple``.

    >>> from tinygrad_bn import tensor
    >>> tensor([[0, 3], [5, 0]]).nonzero().tolist()
    [[0, 1], [1, 0]]
    """
    if x.ndim == 0:  # as the one element of a 1-d tensor, with no axis to index (PyTorch's)
        indices = nonzero(x.reshape(1), as_tuple=as_tuple)
        return indices if as_tuple else indices[:, :0]
    where = x.xp.nonzero(x._data)
    if as_tuple:
        return tuple(constant(axis.astype("int64"), x) for axis in where)
    return constant(x.xp.stack(where, axis=-1).astype("int64"), x)
