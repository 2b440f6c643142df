"""Transforms applied to slices of a tensor and joined again: PyTorch's ``CatTransform``
(a transform per run of slices along an axis, the results concatenated) and
``StackTransform`` (a transform per slice, the results stacked). Their log-Jacobians are
the parts' ones joined the same way, and their domains and codomains the parts' joined
by ``constraints.cat`` and ``constraints.stack``.

>>> import tinygrad_bn as torch
>>> from tinygrad_bn.distributions.transforms import ExpTransform, identity_transform
>>> t = CatTransform([ExpTransform(), identity_transform], dim=0, lengths=[1, 2])
>>> t(torch.tensor([0.0, 5.0, 6.0])).tolist(), t.bijective
([1.0, 5.0, 6.0], True)
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.transforms import Transform
from tinygrad_bn.distributions.utils import sum_rightmost

__all__ = ["CatTransform", "StackTransform"]


def _checked_parts(tseq, cache_size: int) -> list:
    """The transforms of ``tseq``, with ``cache_size`` when it is 1."""
    parts = list(tseq)
    if not all(isinstance(t, Transform) for t in parts):
        raise AssertionError("All elements of tseq must be Transform instances")
    return [t.with_cache(cache_size) for t in parts] if cache_size else parts


def _check_axis(value, dim: int, size: int, what: str, name: str = "tensor") -> None:
    """``value`` has an axis ``dim`` of ``size`` (``what`` names the size in the error)."""
    if not -value.ndim <= dim < value.ndim:
        raise AssertionError(f"dim {dim} out of range for {name} with {value.ndim} dimensions")
    if value.shape[dim] != size:
        raise AssertionError(f"size({dim}) = {value.shape[dim]} must equal {what} {size}")


class CatTransform(Transform):
    """The transforms ``tseq`` on consecutive runs of ``lengths`` slices (one each by
    default) along axis ``dim``, the results concatenated along it.

    >>> import tinygrad_bn as torch
    >>> from tinygrad_bn.distributions.transforms import ExpTransform, identity_transform
    >>> t = CatTransform([ExpTransform(), identity_transform], dim=0, lengths=[1, 2])
    >>> x = torch.tensor([1.0, 5.0, 6.0])
    >>> t.log_abs_det_jacobian(x, t(x)).tolist()  # x, 0, 0
    [1.0, 0.0, 0.0]
    """

    def __init__(self, tseq, dim: int = 0, lengths=None, cache_size: int = 0):
        parts = _checked_parts(tseq, cache_size)
        super().__init__(cache_size=cache_size)
        self.transforms = parts
        self.lengths = [1] * len(parts) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match transforms ({len(self.transforms)})")
        self.dim = dim

    @property
    def event_dim(self):
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self) -> int:
        """The size of axis ``dim`` the transform takes: the sum of ``lengths``."""
        return sum(self.lengths)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    def _runs(self, value):
        """The runs of slices of ``value`` along ``dim``, one per transform."""
        runs, start = [], 0
        for length in self.lengths:
            runs.append(value.narrow(self.dim, start, length))
            start += length
        return runs

    def _call(self, x):
        _check_axis(x, self.dim, self.length, "length")
        return ops.cat([t(run) for t, run in zip(self.transforms, self._runs(x))], self.dim)

    def _inverse(self, y):
        _check_axis(y, self.dim, self.length, "length")
        return ops.cat([t.inv(run) for t, run in zip(self.transforms, self._runs(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        _check_axis(x, self.dim, self.length, "length", "x")
        _check_axis(y, self.dim, self.length, "length", "y")
        parts = [sum_rightmost(t.log_abs_det_jacobian(x_run, y_run), self.event_dim - t.event_dim)
                 for t, x_run, y_run in zip(self.transforms, self._runs(x), self._runs(y))]
        # the axis dim of the result, counted from the right: gone when it lies inside the event
        dim = (self.dim - x.ndim if self.dim >= 0 else self.dim) + self.event_dim
        return ops.cat(parts, dim) if dim < 0 else sum(parts)


class StackTransform(Transform):
    """The transforms ``tseq`` on the slices of axis ``dim``, one each, the results
    stacked along it.

    >>> import tinygrad_bn as torch
    >>> from tinygrad_bn.distributions.transforms import ExpTransform, AffineTransform
    >>> t = StackTransform([ExpTransform(), AffineTransform(1.0, 3.0)], dim=1)
    >>> t(torch.tensor([[0.0, 1.0]])).tolist(), t.inv(torch.tensor([[1.0, 4.0]])).tolist()
    ([[1.0, 4.0]], [[0.0, 1.0]])
    """

    def __init__(self, tseq, dim: int = 0, cache_size: int = 0):
        parts = _checked_parts(tseq, cache_size)
        super().__init__(cache_size=cache_size)
        self.transforms = parts
        self.dim = dim

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return StackTransform(self.transforms, self.dim, cache_size)

    def _slices(self, value):
        return [value.select(self.dim, i) for i in range(value.shape[self.dim])]

    def _call(self, x):
        _check_axis(x, self.dim, len(self.transforms), "len(transforms)")
        return ops.stack([t(s) for t, s in zip(self.transforms, self._slices(x))], self.dim)

    def _inverse(self, y):
        _check_axis(y, self.dim, len(self.transforms), "len(transforms)")
        return ops.stack([t.inv(s) for t, s in zip(self.transforms, self._slices(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        _check_axis(x, self.dim, len(self.transforms), "len(transforms)", "x")
        _check_axis(y, self.dim, len(self.transforms), "len(transforms)", "y")
        parts = [t.log_abs_det_jacobian(x_slice, y_slice)
                 for t, x_slice, y_slice in zip(self.transforms, self._slices(x), self._slices(y))]
        return ops.stack(parts, self.dim)
