"""Tensor factories: PyTorch's ``tensor`` and ``from_numpy``, zeros, ones, full,
arange, and seeded random tensors."""

from __future__ import annotations

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.backend import backend_of_array, get_backend
from tinygrad_bn.ops.shape import _shape_argument

_generator = numpy.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Seed the generator behind :func:`randn`, :func:`rand` and the default inits."""
    global _generator
    _generator = numpy.random.default_rng(seed)


def generator() -> numpy.random.Generator:
    """The library's host random generator (set by :func:`manual_seed`)."""
    return _generator


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """PyTorch's ``tensor``: a new leaf holding a copy of ``data`` (a number, a nested
    list, a NumPy or device array, or a Tensor). Python floats become float32, Python
    ints int64; arrays keep their dtype unless ``dtype`` is given.

    >>> import numpy
    >>> array = numpy.array([1.0, 2.0])
    >>> t = tensor(array, requires_grad=True)
    >>> t.dtype, t.requires_grad, tensor([[1, 2]]).dtype, tensor(0.5).dtype
    (dtype('float64'), True, dtype('int64'), dtype('float32'))
    >>> array[0] = 9.0
    >>> t.tolist()
    [1.0, 2.0]
    """
    if isinstance(data, Tensor):
        data = data._data
    if backend_of_array(data) is not None:
        data = data.copy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def from_numpy(array) -> Tensor:
    """PyTorch's ``from_numpy``: a CPU tensor that shares its memory with the NumPy
    ``array`` (a write to either shows in both) and keeps its dtype.

    >>> import numpy
    >>> array = numpy.zeros(2, dtype=numpy.int32)
    >>> t = from_numpy(array)
    >>> array[0] = 7
    >>> t.tolist(), t.dtype
    ([7, 0], dtype('int32'))
    """
    if not isinstance(array, numpy.ndarray):
        raise TypeError(
            f"from_numpy expects a numpy.ndarray, got {type(array).__name__}; tensor(data) copies other data"
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"from_numpy expects an array of booleans, integers or floats, got dtype {array.dtype}"
        )
    return Tensor(array)


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
