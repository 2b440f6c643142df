"""Reductions composed of others, with PyTorch's names: sums and means that skip NaN
(``nansum``, ``nanmean``), and the variance or standard deviation with the mean
(``var_mean``, ``std_mean``). Their gradients come from the ops they are made of.
"""

from __future__ import annotations

from tinygrad_bn.errors import DtypeError
from tinygrad_bn.ops.axes import NOT_GIVEN, dim_words
from tinygrad_bn.ops.elementwise import where
from tinygrad_bn.ops.reduce import mean, sum  # noqa: A004 - the op's name
from tinygrad_bn.ops.statistics import std, var


def nansum(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, dtype=None, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """PyTorch's ``nansum``: :func:`~tinygrad_bn.ops.reduce.sum` with NaN counted as zero
    (so NaNs get no gradient).

    >>> from tinygrad_bn import tensor
    >>> x = tensor([[1.0, float("nan"), 3.0], [float("nan"), 2.0, 5.0]])
    >>> x.nansum().item(), x.nansum(dim=1).tolist()
    (11.0, [4.0, 7.0])
    """
    dim, keepdim = dim_words("nansum", dim, keepdim, axis, keepdims)
    return sum(_zero_for_nan(x), dim, keepdim, dtype=dtype)


def nanmean(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, dtype=None, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """PyTorch's ``nanmean``: the mean of the elements that are not NaN (NaN where none is).

    >>> from tinygrad_bn import tensor
    >>> tensor([[1.0, float("nan"), 3.0], [float("nan"), 2.0, 5.0]]).nanmean(dim=0).tolist()
    [1.0, 2.0, 4.0]
    """
    dim, keepdim = dim_words("nanmean", dim, keepdim, axis, keepdims)
    x = x if dtype is None else x.astype(dtype)
    if x.dtype.kind != "f":
        raise DtypeError(f"nanmean needs a floating tensor, got dtype {x.dtype}; cast it first, e.g. x.float()")
    counts = sum(~x.isnan(), dim, keepdim).astype(x.dtype)
    return sum(_zero_for_nan(x), dim, keepdim) / counts


def _zero_for_nan(x):
    return where(x.isnan(), 0.0, x) if x.dtype.kind == "f" else x


def var_mean(x, dim=NOT_GIVEN, unbiased=None, keepdim=NOT_GIVEN, *, correction=None, axis=NOT_GIVEN,
             keepdims=NOT_GIVEN) -> tuple:
    """PyTorch's ``var_mean``: (variance, mean) over ``dim``, the variance as
    :func:`~tinygrad_bn.ops.statistics.var` divides (by m − 1 unless ``correction`` or
    ``unbiased`` says otherwise).

    >>> from tinygrad_bn import tensor
    >>> variance, average = var_mean(tensor([[0.0, 2.0], [4.0, 6.0]]), dim=1, correction=0)
    >>> variance.tolist(), average.tolist()
    ([1.0, 1.0], [1.0, 5.0])
    """
    dim, keepdim = dim_words("var_mean", dim, keepdim, axis, keepdims)
    return var(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def std_mean(x, dim=NOT_GIVEN, unbiased=None, keepdim=NOT_GIVEN, *, correction=None, axis=NOT_GIVEN,
             keepdims=NOT_GIVEN) -> tuple:
    """PyTorch's ``std_mean``: (standard deviation, mean) over ``dim``, as :func:`var_mean`.

    >>> from tinygrad_bn import tensor
    >>> deviation, average = std_mean(tensor([1.0, 1.0, 3.0, 3.0]), correction=0)
    >>> deviation.item(), average.item()
    (1.0, 2.0)
    """
    dim, keepdim = dim_words("std_mean", dim, keepdim, axis, keepdims)
    return std(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)
