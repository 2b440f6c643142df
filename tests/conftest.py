"""Shared fixtures, and a strict stand-in for CuPy so device code runs without a GPU.

The ``strict_cuda`` fixture registers a ``"cuda"`` backend whose arrays are
:class:`StrictArray`: a NumPy array in a wrapper that refuses to be handed to
NumPy (``numpy.exp(a)``, ``numpy.asarray(a)``, ``host_array + a`` all raise
:class:`DeviceArrayLeak`) and refuses host arrays in its own operations, the way
CuPy does. An op that calls ``numpy`` on device data instead of ``tensor.xp``
therefore fails on this device, which is what the device tests look for.
"""

from __future__ import annotations

import struct
import types

import numpy
import pytest

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.backend import Backend, register_backend, unregister_backend


class DeviceArrayLeak(TypeError):
    """A device array was handed to NumPy, or a host array to the device."""


def _leak(what: str) -> DeviceArrayLeak:
    return DeviceArrayLeak(f"a device array reached NumPy ({what}); go through tensor.xp instead")


def _unwrap(value, host_allowed=False):
    """Device arrays (also inside tuples, lists and dicts) as the NumPy arrays they wrap."""
    if isinstance(value, StrictArray):
        return value._array
    if isinstance(value, numpy.ndarray) and not host_allowed:
        raise DeviceArrayLeak(
            f"a host array of shape {value.shape} was given to the device; move it with from_host first"
        )
    if isinstance(value, (tuple, list)):
        return type(value)(_unwrap(v, host_allowed) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v, host_allowed) for k, v in value.items()}
    return value


def _wrap(value):
    """NumPy results as device arrays; scalars become 0-d arrays, as CuPy returns them."""
    if isinstance(value, numpy.ndarray):
        return StrictArray(value)
    if isinstance(value, numpy.generic):
        return StrictArray(numpy.asarray(value))
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, tuple):  # NumPy's named results (linalg's EighResult ...) are plain tuples in CuPy
        return tuple(_wrap(v) for v in value)
    return value


class StrictArray:
    """A device array: operators, indexing and the usual methods, but never NumPy's."""

    __slots__ = ("_array",)
    __hash__ = None

    def __init__(self, array: numpy.ndarray):
        self._array = array

    shape = property(lambda self: self._array.shape)
    dtype = property(lambda self: self._array.dtype)
    ndim = property(lambda self: self._array.ndim)
    size = property(lambda self: self._array.size)
    nbytes = property(lambda self: self._array.nbytes)
    T = property(lambda self: StrictArray(self._array.T))
    flags = property(lambda self: self._array.flags)  # CuPy's arrays have flags and strides too
    strides = property(lambda self: self._array.strides)

    def __array__(self, dtype=None, copy=None):
        raise _leak("__array__")

    def __array_function__(self, func, types, args, kwargs):
        raise _leak(f"numpy.{func.__name__}")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise _leak(f"numpy.{ufunc.__name__}")

    def __getitem__(self, index):
        return _wrap(self._array[_unwrap(index, host_allowed=True)])

    def __setitem__(self, index, value):
        self._array[_unwrap(index, host_allowed=True)] = _unwrap(value)

    def __iter__(self):
        return (_wrap(item) for item in self._array)

    def __len__(self):
        return len(self._array)

    def __bool__(self):
        return bool(self._array)

    def __float__(self):
        return float(self._array)

    def __int__(self):
        return int(self._array)

    def __repr__(self):
        return f"StrictArray({self._array!r})"


def _forwarded(name: str):
    def method(self, *args, **kwargs):
        return _wrap(getattr(self._array, name)(*_unwrap(args), **_unwrap(kwargs)))

    method.__name__ = name
    return method


_OPERATORS = [
    f"__{op}__"
    for base in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor")
    for op in (base, "r" + base, "i" + base)  # in-place operators write through views, as CuPy's do
] + [f"__{op}__" for op in ("neg", "pos", "abs", "invert", "lt", "le", "gt", "ge", "eq", "ne")]
_METHODS = [
    "sum", "mean", "max", "min", "prod", "var", "std", "any", "all", "argmax", "argmin",
    "reshape", "transpose", "swapaxes", "squeeze", "ravel", "astype", "copy", "fill", "clip", "item",
    "tolist",
]
for _name in _OPERATORS + _METHODS:
    setattr(StrictArray, _name, _forwarded(_name))


class StrictNamespace:
    """NumPy's functions over device arrays, as ``cupy`` offers them.

    Only ``asarray`` and ``array`` accept host arrays (they copy to the device)."""

    __name__ = "strict_cuda"
    HOST_INPUT = {"asarray", "array"}
    SUBMODULES = {"linalg"}  # cupy.linalg has inv, det, solve

    def __init__(self, module=numpy):
        self._module = module

    def __getattr__(self, name):
        target = getattr(self._module, name)
        if isinstance(target, types.ModuleType):
            if name not in self.SUBMODULES:
                raise AttributeError(f"the strict device namespace has no submodule {name!r}")
            setattr(self, name, StrictNamespace(target))
            return getattr(self, name)
        if isinstance(target, type) or not callable(target):
            return target
        host_allowed = name in self.HOST_INPUT

        def function(*args, **kwargs):
            return _wrap(target(*_unwrap(args, host_allowed), **_unwrap(kwargs, host_allowed)))

        function.__name__ = name
        setattr(self, name, function)
        return function


def _to_host(array):
    if not isinstance(array, StrictArray):
        raise DeviceArrayLeak(f"to_host expects a device array, got {type(array).__name__}")
    return array._array.copy()


def _from_host(array):
    if isinstance(array, StrictArray):
        raise DeviceArrayLeak("from_host expects a host array, got a device array")
    return StrictArray(numpy.array(array))


def _scatter_add(target, index, values):
    numpy.add.at(_unwrap(target), _unwrap(index, host_allowed=True), _unwrap(values))


STRICT_CUDA = Backend(
    "cuda",
    StrictNamespace(),
    to_host=_to_host,
    from_host=_from_host,
    scatter_add=_scatter_add,
    array_type=StrictArray,
)


@pytest.fixture
def strict_cuda():
    """The strict stand-in registered as the ``"cuda"`` backend for one test."""
    previous = register_backend(STRICT_CUDA)
    yield STRICT_CUDA
    unregister_backend("cuda", previous)


def _same(a, b) -> bool:
    """Equal values of the same types, arrays and tensors to the bit, dicts in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Tensor):
        return a.requires_grad == b.requires_grad and a.device == b.device and _same(a.numpy(), b.numpy())
    if isinstance(a, (numpy.ndarray, numpy.generic)):
        a, b = numpy.asarray(a), numpy.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    return a == b


@pytest.fixture
def same():
    """``same(a, b)``: equal values of the same types, arrays and tensors to the bit, dicts in the same order."""
    return _same


@pytest.fixture
def torch():
    """PyTorch for a test that compares against it; the test is skipped where it is not installed."""
    return pytest.importorskip("torch")
