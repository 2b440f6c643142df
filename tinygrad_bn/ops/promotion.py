"""Operands of elementwise ops: Python numbers lifted to tensors, and both sides
brought to one dtype by PyTorch's promotion rule (:func:`tinygrad_bn.dtypes.result_type`).

Python numbers do not widen a tensor of their kind (``x * 2.0`` stays float32),
an integer tensor meeting a float becomes the default float dtype, and float32
meets float64 in float64, as in PyTorch.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.autograd.tensor import is_scalar
from tinygrad_bn.dtypes import result_type


def constant(array, like: Tensor) -> Tensor:
    """Wrap an array computed from ``like``'s data as a tensor outside the graph."""
    return Tensor._wrap(array, like._backend, None)


def lift(value, like: Tensor) -> Tensor:
    """A Python number or array-like as a tensor beside ``like``; numbers take ``like``'s dtype."""
    if isinstance(value, Tensor):
        return value
    if is_scalar(value):
        return number(value, like._data.dtype, like._backend)
    return Tensor(value, device=like.device)


_numbers = {}


def number(value, dtype, backend) -> Tensor:
    """``value`` as a 0-d constant tensor. The few numbers a program uses over and
    over (1.01, 0.5, a learning rate) are made once: ops never write into their inputs."""
    # cached: a quarter of the cost of making it each time (1.2 against 4.9 µs, timeit minimum, loaded machine)
    key = (value, dtype, backend, str(value) if value == 0 else None)  # keeps -0.0 apart from 0.0
    t = _numbers.get(key)
    if t is None:
        if len(_numbers) >= 1024:
            _numbers.clear()
        t = _numbers[key] = Tensor._wrap(backend.xp.asarray(value, dtype=dtype), backend, None)
        if t.is_inference():  # shared by every later op, so it belongs to no mode (a number is no inference tensor)
            del t._inference
    return t


def promote(*operands) -> list:
    """The operands (Tensors, numbers, array-likes; at least one Tensor) as Tensors of
    PyTorch's result dtype, numbers lifted beside the first Tensor.

    >>> from tinygrad_bn import arange, tensor
    >>> [t.dtype.name for t in promote(arange(3), 0.5)], promote(tensor([1.0]), tensor(2.0, dtype="float64"))[1].dtype
    (['float32', 'float32'], dtype('float32'))
    """
    like = next(t for t in operands if isinstance(t, Tensor))
    tensors = [t if isinstance(t, Tensor) or is_scalar(t) else Tensor(t, device=like.device) for t in operands]
    dims = [t.dtype for t in tensors if isinstance(t, Tensor) and t.ndim]
    zero_dims = [t.dtype for t in tensors if isinstance(t, Tensor) and not t.ndim]
    dtype = result_type(dims, zero_dims, [t for t in tensors if not isinstance(t, Tensor)])
    return [t.astype(dtype) if isinstance(t, Tensor) else number(t, dtype, like._backend) for t in tensors]


def lift_pair(a, b):
    """Both operands as tensors of one dtype (see :func:`promote`)."""
    if type(a) is Tensor and type(b) is Tensor and a._data.dtype == b._data.dtype:
        return a, b
    return promote(a, b)


def broadcast_shapes(a: tuple, b: tuple) -> tuple | None:
    """NumPy's broadcast of two shapes, or None when they do not broadcast."""
    result = []
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da != db and 1 not in (da, db):
            return None
        result.append(max(da, db) if 0 not in (da, db) else 0)
    return tuple(reversed(result))
