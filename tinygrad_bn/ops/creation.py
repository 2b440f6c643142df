"""Tensor factories: zeros, ones, full, arange, and seeded random tensors."""

from __future__ import annotations

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.backend import get_backend
from tinygrad_bn.ops.shape import _shape_argument

_generator = numpy.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Seed the generator behind :func:`randn`, :func:`rand` and the default inits."""
    global _generator
    _generator = numpy.random.default_rng(seed)


def generator() -> numpy.random.Generator:
    """The library's host random generator (set by :func:`manual_seed`)."""
    return _generator


def _make(array_fn, shape, dtype, device, requires_grad) -> Tensor:
    backend = get_backend(device)
    data = array_fn(backend.xp, _shape_argument(shape), numpy.dtype(dtype))
    return Tensor(data, requires_grad=requires_grad, device=backend)


def zeros(*shape, dtype="float32", device=None, requires_grad=False) -> Tensor:
    return _make(lambda xp, s, d: xp.zeros(s, dtype=d), shape, dtype, device, requires_grad)


def ones(*shape, dtype="float32", device=None, requires_grad=False) -> Tensor:
    return _make(lambda xp, s, d: xp.ones(s, dtype=d), shape, dtype, device, requires_grad)


def full(shape, value, dtype="float32", device=None, requires_grad=False) -> Tensor:
    return _make(lambda xp, s, d: xp.full(s, value, dtype=d), (shape,), dtype, device, requires_grad)


def zeros_like(t: Tensor, requires_grad=False) -> Tensor:
    return zeros(t.shape, dtype=t.dtype, device=t.device, requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad=False) -> Tensor:
    return ones(t.shape, dtype=t.dtype, device=t.device, requires_grad=requires_grad)


def arange(start, stop=None, step=1, dtype="int64", device=None) -> Tensor:
    backend = get_backend(device)
    return Tensor(backend.xp.arange(start, stop, step, dtype=dtype), device=backend)


def randn(*shape, dtype="float32", device=None, requires_grad=False) -> Tensor:
    """Standard normal samples, drawn on the host from the seeded generator."""
    host = _generator.standard_normal(_shape_argument(shape)).astype(dtype)
    return Tensor(host, requires_grad=requires_grad, device=device)


def rand(*shape, dtype="float32", device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1), drawn on the host from the seeded generator."""
    host = _generator.random(_shape_argument(shape)).astype(dtype)
    return Tensor(host, requires_grad=requires_grad, device=device)
