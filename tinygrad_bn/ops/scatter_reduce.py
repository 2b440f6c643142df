"""PyTorch's ``scatter_reduce``: each element of ``x`` reduced with the elements of
``src`` scattered onto it ("sum", "prod", "mean", "amax" or "amin"); and
``index_reduce``, the same with whole slices of ``source`` reduced onto the slices of
``x`` a 1-d index picks ("prod", "mean", "amax" or "amin").

Every reduction is one of groups: the elements of ``x`` kept (all of them with
``include_self``, else those nothing is scattered onto) and of ``src`` are laid in
one row, each labelled with the position of ``x`` it goes to, and each position
reduces its group. A sum is the adjoint of indexing
(:class:`~tinygrad_bn.ops.shape.ScatterAdd`), a mean a sum divided by the counts, a
product a running product within each group (:func:`~tinygrad_bn.ops.scans.running`),
exact at zeros, and an extreme :class:`GroupMax`, whose gradient the elements equal to
it share equally, as PyTorch shares it. (Without ``include_self``, the elements of
``src`` tied at an extreme share all of its gradient; PyTorch 2.13 counts the left-out
element of ``x`` among them when it is equal too, so its gradients there add up to
less than the gradient of the extreme. ``index_reduce`` follows PyTorch there: a
left-out element of ``x`` equal to the extreme counts among the ties, and gets nothing.)
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.errors import ArgumentError, DtypeError
from tinygrad_bn.ops.elementwise import where
from tinygrad_bn.ops.indexing import scatter_operands, slice_places
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.scans import running
from tinygrad_bn.ops.shape import ScatterAdd, cat

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(x, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """PyTorch's ``scatter_reduce``: ``x`` with src[i][j] reduced onto out[i][index[i][j]]
    for ``dim=1`` (likewise for any ``dim``) by ``reduce``: "sum", "prod", "mean",
    "amax" or "amin"; with ``include_self=False`` the elements of ``x`` that something
    is scattered onto are left out of the reduction. A mean of integers rounds down.

    >>> from tinygrad_bn import tensor
    >>> x, index, src = tensor([1.0, 2.0, 3.0]), tensor([0, 0, 2]), tensor([5.0, 4.0, 6.0])
    >>> x.scatter_reduce(0, index, src, "amax").tolist(), x.scatter_reduce(0, index, src, "mean").tolist()
    ([5.0, 2.0, 6.0], [3.3333332538604736, 2.0, 4.5])
    >>> x.scatter_reduce(0, index, src, "prod", include_self=False).tolist()
    [20.0, 2.0, 6.0]
    """
    if reduce not in REDUCTIONS:
        raise ArgumentError(f"scatter_reduce expects reduce one of {', '.join(REDUCTIONS)}, got {reduce!r}")
    src, places = scatter_operands("scatter_reduce", x, dim, index, src)
    return _reduced_onto(x, places, src, reduce, include_self)


INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")


def index_reduce(x, dim: int, index, source, reduce: str, *, include_self: bool = True):
    """PyTorch's ``index_reduce``: ``x`` with the slice source[..., i, ...] reduced onto
    x[..., index[i], ...] along ``dim`` by ``reduce``: "prod", "mean", "amax" or "amin";
    with ``include_self=False`` the slices of ``x`` that something is reduced onto are
    left out of the reduction. A mean of integers rounds down.

    >>> from tinygrad_bn import tensor
    >>> x = tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> source = tensor([[2.0, 0.5], [4.0, 8.0]])
    >>> x.index_reduce(0, tensor([0, 0]), source, "prod").tolist()
    [[8.0, 8.0], [3.0, 4.0], [5.0, 6.0]]
    >>> x.index_reduce(0, tensor([2, 0]), source, "amax", include_self=False).tolist()
    [[4.0, 8.0], [3.0, 4.0], [2.0, 0.5]]
    """
    if reduce not in INDEX_REDUCTIONS:
        raise ArgumentError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
                            f"{reduce!r}")
    if isinstance(index, Tensor) and index.ndim > 1:
        raise IndexError(f"index_reduce(): Index is supposed to be a vector, but got shape {index.shape}")
    if source.dtype != x.dtype:
        raise DtypeError(f"index_reduce(): expects a source of the tensor's dtype {x.dtype}, got {source.dtype}")
    places = slice_places("index_reduce", x, dim, index, source, IndexError)
    return _reduced_onto(x, places, source, reduce, include_self, left_out_ties=True)


def _reduced_onto(x, places, src, reduce: str, include_self: bool, left_out_ties: bool = False):
    """``x`` with each element of ``src`` reduced onto the place of ``x`` that ``places``
    (a full index, in the layout of ``src``) gives it. With ``left_out_ties``, the
    elements of ``x`` left out (``include_self=False``) still count among the ties at
    an extreme, as PyTorch's ``index_reduce`` counts them."""
    xp, size = x.xp, x.size
    targets = _flat(places, x.shape, xp)
    kept, left_out = xp.arange(size), xp.arange(0)
    if not include_self:
        scattered_onto = xp.zeros(size, dtype=bool)
        scattered_onto[targets] = True
        kept, left_out = kept[~scattered_onto], kept[scattered_onto]
    values = cat([x.reshape(-1)[kept], src.reshape(-1)])
    groups = xp.concatenate([kept, targets])
    if reduce in ("amax", "amin"):
        tied = left_out if left_out_ties else left_out[:0]
        return _EXTREMES[reduce](values, groups, size, (x._data.reshape(-1)[tied], tied)).reshape(x.shape)
    return _GROUPED[reduce](values, groups, size).reshape(x.shape)


def _flat(places: tuple, shape: tuple, xp):
    """The row-major positions in an array of ``shape`` of the full index ``places``, as one row."""
    position = xp.zeros((), dtype="int64")
    for axis, part in enumerate(places):
        position = position * shape[axis] + part % shape[axis]  # negative indices count from the end
    return position.reshape(-1)


def _sum(values, groups, size):
    return ScatterAdd.apply(values, index=(groups,), shape=(size,))


def _mean(values, groups, size):
    counts = constant(values.xp.bincount(groups, minlength=size).astype(values.dtype), values)
    total = _sum(values, groups, size)
    return total // counts if values.dtype.kind in "iu" else total / counts


def _prod(values, groups, size):
    xp, n = values.xp, len(groups)
    order = xp.argsort(groups, kind="stable")
    labels = groups[order]

    def within_group(earlier, later):  # earlier·later where both are of one group, else later alone
        shift = n - len(earlier)
        return where(constant(labels[shift:] == labels[:n - shift], later), earlier * later, later)

    products = running(within_group, cat, values[order], 0)
    # every position has a group (its own element at least): the group ends, in order, are positions 0, 1, ...
    ends = xp.concatenate([labels[1:] != labels[:-1], xp.ones(1, dtype=bool)])
    return products[ends]


class GroupMax(Function):
    """The largest of the ``values`` in each of the groups 0 .. size − 1 (labels
    ``groups``; NaN where a group holds one). Its gradient is shared equally by the
    values equal to their group's largest, and by the ``bystanders`` (an array of
    values and one of their groups) equal to it, which are not reduced and get nothing."""

    def forward(self, values, groups, size, bystanders):
        xp, data = values.xp, values._data
        # sorted by value, then (stably) by group: each group's largest (or NaN) comes last in it
        by_value = xp.argsort(data, kind="stable")
        order = by_value[xp.argsort(groups[by_value], kind="stable")]
        labels = groups[order]
        ends = xp.concatenate([labels[1:] != labels[:-1], xp.ones(1, dtype=bool)])
        peak = data[order][ends]
        if self.needs_input_grad[0]:
            equal = _equal(data, peak[groups])
            others, other_groups = bystanders
            ties = xp.bincount(groups, weights=equal, minlength=size)
            ties = ties + xp.bincount(other_groups, weights=_equal(others, peak[other_groups]), minlength=size)
            share = equal / ties.astype(data.dtype)[groups]
            self.save_for_backward(constant(share, values))
            self.groups = groups
        return peak

    def backward(self, grad):
        (share,) = self.saved_tensors
        return grad[self.groups] * share


def _equal(a, b):
    """1 where a = b (or both are NaN), else 0, in a's dtype."""
    equal = a == b
    if a.dtype.kind == "f":
        equal |= (a != a) & (b != b)
    return equal.astype(a.dtype)


def _amax(values, groups, size, bystanders):
    return GroupMax.apply(values, groups=groups, size=size, bystanders=bystanders)


def _amin(values, groups, size, bystanders):
    others, other_groups = bystanders
    return -GroupMax.apply(-values, groups=groups, size=size, bystanders=(-others, other_groups))


_GROUPED = {"sum": _sum, "prod": _prod, "mean": _mean}
_EXTREMES = {"amax": _amax, "amin": _amin}
