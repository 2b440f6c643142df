"""Tensor factories: PyTorch's ``tensor``, ``as_tensor`` and ``from_numpy``, zeros, empty, ones, full,
arange, linspace, eye, the indices of a triangle (tril_indices, triu_indices), and random
tensors (rand, randn, randint, randperm) drawn from the one generator that
:func:`manual_seed` seeds.

Without ``dtype``, floating results take the default dtype
(:func:`tinygrad_bn.get_default_dtype`)."""

from __future__ import annotations

import numpy

from tinygrad_bn import generator as generators
from tinygrad_bn import mersenne
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.backend import backend_of_array, get_backend
from tinygrad_bn.dtypes import get_default_dtype, number_dtype
from tinygrad_bn.errors import ArgumentError, DtypeError
from tinygrad_bn.generator import rng, stream
from tinygrad_bn.ops.shape import _shape_argument


def generator() -> numpy.random.Generator:
    """The library's host random generator (set by :func:`manual_seed`)."""
    return rng()


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


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """PyTorch's ``as_tensor``: ``data`` as a tensor, sharing the memory of a Tensor
    or array already of that dtype and device (a copy otherwise).

    >>> import numpy
    >>> array = numpy.zeros(2)
    >>> t = as_tensor(array)
    >>> array[0] = 7.0
    >>> t.tolist(), as_tensor(t) is t
    ([7.0, 0.0], True)
    """
    if isinstance(data, Tensor):
        if (dtype is None or data.dtype == dtype) and (device is None or data.device == device):
            return data
        return data.to(device=device, dtype=dtype)
    return Tensor(data, dtype=dtype, device=device)


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
    data = array_fn(backend.xp, _shape_argument(shape), numpy.dtype(dtype or get_default_dtype()))
    return Tensor(data, requires_grad=requires_grad, device=backend)


def zeros(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(lambda xp, s, d: xp.zeros(s, dtype=d), shape, dtype, device, requires_grad)


def empty(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    """PyTorch's ``empty``: a tensor to be filled; here its elements are zeros."""
    return zeros(*shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(lambda xp, s, d: xp.ones(s, dtype=d), shape, dtype, device, requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``fill_value`` everywhere; without ``dtype`` the value's own (bool, int64 or the default float).

    >>> full((2,), 7).dtype, full((2,), 0.5).dtype
    (dtype('int64'), dtype('float32'))
    """
    dtype = dtype or number_dtype(fill_value)
    return _make(lambda xp, s, d: xp.full(s, fill_value, dtype=d), (shape,), dtype, device, requires_grad)


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,  # noqa: A002
               memory_format=None) -> Tensor:
    """PyTorch's ``empty_like``: a tensor of ``input``'s shape (and dtype and device,
    unless given) to be filled; here its elements are zeros. ``layout`` and
    ``memory_format`` are accepted and change nothing.

    >>> t = empty_like(ones(2, 3, dtype="int32"))
    >>> t.shape, t.dtype
    ((2, 3), dtype('int32'))
    """
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """start, start + step, ... below ``end`` (``arange(n)`` is 0 .. n − 1); int64 when
    every bound is an int, else the default float dtype, as in PyTorch.

    >>> arange(3).tolist(), arange(0, 1, 0.25).tolist()
    ([0, 1, 2], [0.0, 0.25, 0.5, 0.75])
    """
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, (int, numpy.integer)) for v in (start, end, step))
        dtype = "int64" if integral else get_default_dtype()
    backend = get_backend(device)
    return Tensor(backend.xp.arange(start, end, step, dtype=dtype), device=backend, requires_grad=requires_grad)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    >>> linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    backend = get_backend(device)
    data = backend.xp.linspace(start, end, steps).astype(dtype or get_default_dtype())
    return Tensor(data, device=backend, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The n × m identity matrix (square when ``m`` is not given)."""
    backend = get_backend(device)
    data = backend.xp.eye(n, m, dtype=dtype or get_default_dtype())
    return Tensor(data, device=backend, requires_grad=requires_grad)


def randn(*shape, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples, drawn on the host from the seeded generator: PyTorch's
    numbers for the same seed (see :mod:`tinygrad_bn.mersenne`)."""
    dtype = numpy.dtype(dtype or get_default_dtype())
    host = generators.normal(_shape_argument(shape), dtype, generator=generator)
    return Tensor(host, requires_grad=requires_grad, device=device)


def rand(*shape, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1), drawn on the host from the seeded generator: PyTorch's
    numbers for the same seed."""
    dtype = numpy.dtype(dtype or get_default_dtype())
    host = generators.uniform(_shape_argument(shape), dtype, generator=generator)
    return Tensor(host, requires_grad=requires_grad, device=device)


def randn_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def rand_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype="int64", device=None) -> Tensor:
    """Integers drawn uniformly from [low, high) (``randint(high, size)`` starts at 0),
    as PyTorch's ``randint``.

    >>> from tinygrad_bn import manual_seed
    >>> generator = manual_seed(0)
    >>> values = randint(3, 7, (100,))
    >>> values.dtype, 3 <= values.min().item(), values.max().item() < 7
    (dtype('int64'), True, True)
    """
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() expects a size, e.g. randint(10, (3,)) or randint(0, 10, (3,))")
    low, high = int(low), int(high)
    if low >= high:
        raise ArgumentError(f"randint expects low < high, got low={low} and high={high}")
    host = generators.integers(_shape_argument((size,)), low, high, generator=generator)
    return Tensor(host.astype(dtype), device=device)


def randint_like(input, low=None, high=None, *, generator=None, dtype=None, device=None,  # noqa: A002
                 requires_grad=False, layout=None, memory_format=None) -> Tensor:
    """PyTorch's ``randint_like``: integers drawn uniformly from [low, high) in a tensor
    of ``input``'s shape, dtype (a float input gives whole floats) and device, unless
    given; ``randint_like(input, high)`` starts at 0.

    >>> values = randint_like(zeros(50), 2, 5)
    >>> values.dtype, sorted(set(values.tolist())) <= [2.0, 3.0, 4.0]
    (dtype('float32'), True)
    """
    if high is None:
        low, high = 0, low
    elif low is None:
        low = 0
    if high is None:
        raise TypeError("randint_like() expects high, e.g. randint_like(x, 10) or randint_like(x, 0, 10)")
    low, high = int(low), int(high)
    if low >= high:
        raise ArgumentError(f"randint_like expects low < high, got low={low} and high={high}")
    host = generators.integers(input.shape, low, high, generator=generator).astype(dtype or input.dtype)
    return Tensor(host, requires_grad=requires_grad, device=device or input.device)


def randperm(n: int, *, generator=None, dtype="int64", device=None) -> Tensor:
    """The integers 0 .. n − 1 in a random order.

    >>> sorted(randperm(5).tolist())
    [0, 1, 2, 3, 4]
    """
    return Tensor(mersenne.randperm(stream(generator), n).astype(dtype), device=device)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype="int64", device=None) -> Tensor:
    """PyTorch's ``tril_indices``: the (row, column) indices of the lower triangle of a
    row × col matrix, on and below diagonal ``offset``, as a (2, N) tensor in row-major order.

    >>> tril_indices(3, 3).tolist()
    [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    """
    return _triangle_indices("tril_indices", row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype="int64", device=None) -> Tensor:
    """PyTorch's ``triu_indices``: as :func:`tril_indices`, of the upper triangle (on and above ``offset``).

    >>> triu_indices(2, 3, 1).tolist()
    [[0, 0, 1], [1, 2, 2]]
    """
    return _triangle_indices("triu_indices", row, col, offset, dtype, device)


def _triangle_indices(name: str, row: int, col: int, offset: int, dtype, device) -> Tensor:
    if numpy.dtype(dtype).kind not in "iu":
        raise DtypeError(f"{name} makes integer indices, got dtype {numpy.dtype(dtype)}")
    backend = get_backend(device)
    triangle = getattr(backend.xp, name)(row, offset, col)
    return Tensor(backend.xp.stack(triangle).astype(dtype), device=backend)
