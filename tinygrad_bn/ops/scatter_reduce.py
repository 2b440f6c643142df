"""PyTorch's ``scatter_reduce``: each element of ``x`` reduced with the elements of
``src`` scattered onto it ("sum", "prod", "mean", "amax" or "amin").

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
less than the gradient of the extreme.)
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function
from tinygrad_bn.errors import ArgumentError
from tinygrad_bn.ops.elementwise import where
from tinygrad_bn.ops.indexing import scatter_operands
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
    xp, size = x.xp, x.size
    targets = _flat(places, x.shape, xp)
    kept = xp.arange(size)
    if not include_self:
        scattered_onto = xp.zeros(size, dtype=bool)
        scattered_onto[targets] = True
        kept = kept[~scattered_onto]
    values = cat([x.reshape(-1)[kept], src.reshape(-1)])
    groups = xp.concatenate([kept, targets])
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
    values equal to their group's largest."""

    def forward(self, values, groups, size):
        xp, data = values.xp, values._data
        # sorted by value, then (stably) by group: each group's largest (or NaN) comes last in it
        by_value = xp.argsort(data, kind="stable")
        order = by_value[xp.argsort(groups[by_value], kind="stable")]
        labels = groups[order]
        ends = xp.concatenate([labels[1:] != labels[:-1], xp.ones(1, dtype=bool)])
        peak = data[order][ends]
        if self.needs_input_grad[0]:
            equal = data == peak[groups]
            if data.dtype.kind == "f":
                equal |= xp.isnan(data) & xp.isnan(peak[groups])
            equal = equal.astype(data.dtype)
            share = equal / xp.bincount(groups, weights=equal, minlength=size).astype(data.dtype)[groups]
            self.save_for_backward(constant(share, values))
            self.groups = groups
        return peak

    def backward(self, grad):
        (share,) = self.saved_tensors
        return grad[self.groups] * share


def _amax(values, groups, size):
    return GroupMax.apply(values, groups=groups, size=size)


def _amin(values, groups, size):
    return -GroupMax.apply(-values, groups=groups, size=size)


_GROUPED = {"sum": _sum, "prod": _prod, "mean": _mean, "amax": _amax, "amin": _amin}
