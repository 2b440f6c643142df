"""Dtype casts and device moves: NumPy's ``astype`` and PyTorch's ``to``, ``type``,
``cpu``, ``cuda``, the ``float()``-style casts, and new tensors like an existing one
(``new_zeros``, ``new_tensor``...)."""

from __future__ import annotations

import builtins

import numpy

from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.autograd.tensor import Shape, is_floating
from tinygrad_bn.backend import get_backend
from tinygrad_bn.dtypes import NAMES
from tinygrad_bn.ops.creation import full, ones, tensor, zeros
from tinygrad_bn.ops.layouts import contiguous_format, lies_in, memory_order, preserve_format
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.shape import clone


class AsType(Function):
    def forward(self, x, dtype):
        self.input_dtype = x.dtype
        return x._data.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.input_dtype)


class ToDevice(Function):
    def forward(self, x, device):
        self.source_device = x.device
        self.backend = get_backend(device)
        return self.backend.from_host(x._backend.to_host(x._data))

    def backward(self, grad):
        return grad.to(self.source_device)


def astype(x, dtype):
    """Cast to ``dtype`` (gradients are cast back). A cast to an integer or boolean
    type leaves the graph: such tensors carry no gradient, as in PyTorch."""
    if x.dtype == dtype:
        return x
    if not is_floating(dtype):
        return constant(x._data.astype(dtype), x)
    return AsType.apply(x, dtype=dtype)


def _move(x, device):
    if get_backend(device) is x._backend:
        return x
    return ToDevice.apply(x, device=device)


def _is_device(value) -> bool:
    return isinstance(value, str) and value.split(":")[0] in ("cpu", "cuda")


def device_and_dtype(args, device=None, dtype=None) -> tuple:
    """The (device, dtype) that the positional ``args`` of PyTorch's ``to`` name: a
    device, a dtype, both, or a tensor (its device and dtype), over the keywords."""
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif _is_device(arg):
            device = arg
        else:
            dtype = arg
    return device, dtype


def to(x, *args, device=None, dtype=None, non_blocking=False, copy=False, memory_format=preserve_format):
    """PyTorch's ``to``: move to a device (``"cpu"``, ``"cuda"``, a :class:`device`),
    cast to a dtype, or both, or take another tensor's device and dtype; gradients
    flow back. Returns ``x`` itself when nothing changes (unless ``copy``).

    >>> from tinygrad_bn import float64, ones
    >>> x = ones(2)
    >>> x.to("cpu") is x, x.to(float64).dtype, x.to("cpu", "float16").dtype, x.to(ones(1, dtype=float64)).dtype
    (True, dtype('float64'), dtype('float16'), dtype('float64'))
    """
    device, dtype = device_and_dtype(args, device, dtype)
    result = x
    if dtype is not None:
        result = astype(result, numpy.dtype(dtype))
    if device is not None:
        result = _move(result, device)
    order = memory_order(memory_format, x.ndim)
    if order is not None and not lies_in(result._data, order):
        result = clone(result, memory_format=memory_format)
    return result.clone() if copy and result is x else result


# PyTorch's legacy tensor types by dtype: torch.FloatTensor is float32 on the CPU
TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
              "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def type(x, dtype=None):  # noqa: A001 - PyTorch's method name
    """PyTorch's ``type``: without ``dtype`` the type's name (``"torch.FloatTensor"``),
    with it a cast to a dtype, a legacy type (``torch.DoubleTensor``) or its name
    (``"torch.DoubleTensor"``)."""
    if dtype is None:
        prefix = "torch.cuda." if x.device != "cpu" else "torch."
        return f"{prefix}{TYPE_NAMES.get(x.dtype.name, x.dtype.name)}Tensor"
    if isinstance(dtype, TensorType):
        dtype = dtype.dtype
    elif isinstance(dtype, str) and dtype.endswith("Tensor"):
        dtype = _dtype_of_type_name(dtype)
    return astype(x, numpy.dtype(dtype))


def _dtype_of_type_name(name: str):
    kind = name.rsplit(".", 1)[-1].removesuffix("Tensor")
    dtypes = {prefix: dtype for dtype, prefix in TYPE_NAMES.items()}
    if kind not in dtypes:
        raise TypeError(f"unknown tensor type {name!r}: expected one of "
                        f"{', '.join(f'torch.{prefix}Tensor' for prefix in dtypes)}")
    return dtypes[kind]


class TensorType(builtins.type):  # the metaclass of the legacy types (this module's `type` is PyTorch's method)
    """``isinstance(x, torch.FloatTensor)`` is whether x is a float32 tensor on the CPU."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device == "cpu"


def tensor_type(dtype: str) -> TensorType:
    """PyTorch's legacy type of ``dtype``: ``FloatTensor([1, 2])`` makes a float32 tensor of
    the data, ``FloatTensor(2, 3)`` one of that shape (zeros here, where PyTorch leaves
    memory unset)."""

    def __new__(cls, *args):
        if args and all(isinstance(n, int) and not isinstance(n, bool) for n in args):
            return zeros(*args, dtype=dtype)
        if len(args) > 1:
            raise TypeError(f"{cls.__name__}() takes data or sizes, got {args!r:.80}")
        return tensor(args[0] if args else [], dtype=dtype)

    name = f"{TYPE_NAMES[dtype]}Tensor"
    return TensorType(name, (), {"__new__": __new__, "dtype": numpy.dtype(dtype),
                                 "__doc__": f"PyTorch's ``torch.{name}``: tensors of dtype {dtype} on the CPU."})


LEGACY_TYPES = {f"{prefix}Tensor": tensor_type(dtype) for dtype, prefix in TYPE_NAMES.items()}


def is_contiguous(x, memory_format=contiguous_format) -> bool:
    """PyTorch's ``is_contiguous``: whether the array lies in memory in C order (a
    convolution's output does not: it is channel-major, see ``backend.is_channel_major``),
    or in the order of ``memory_format`` (``channels_last``: C innermost); False for a
    format of another rank, and ``preserve_format`` asks for C order, as in PyTorch."""
    if memory_format is preserve_format or memory_format is contiguous_format:
        return bool(x._data.flags.c_contiguous)
    try:
        order = memory_order(memory_format, x.ndim)
    except RuntimeError:  # a format of another rank
        return False
    return lies_in(x._data, order)


def stride(x, dim=None):
    """PyTorch's ``stride``: the step in elements along each axis (or along ``dim``)."""
    steps = tuple(step // x._data.itemsize for step in x._data.strides)
    return steps if dim is None else steps[dim]


def cast_method(dtype: str):
    """PyTorch's cast ``x.float()`` and its kin: ``astype(dtype)``."""

    def method(self):
        return astype(self, dtype)

    method.__doc__ = f"PyTorch's cast to {dtype}: ``astype({dtype!r})``."
    return method


# x.float(), x.double(), x.half(), x.long(), x.int(), x.short(), x.bool(); x.byte() and x.char()
CASTS = {name: cast_method(NAMES[name].name) for name in ("float", "double", "half", "long", "int", "short", "bool")}
CASTS.update(byte=cast_method("uint8"), char=cast_method("int8"))


def cpu(x):
    return _move(x, "cpu")


def cuda(x, device=None):
    return _move(x, "cuda" if device is None else device)


def contiguous(x, memory_format=contiguous_format):
    """PyTorch's ``contiguous``: ``x`` itself when its array is in C order (or in the order
    of ``memory_format``), else such a copy that stays in the graph (a convolution's
    output is channel-major in memory: see ``backend.is_channel_major``)."""
    if is_contiguous(x, memory_format):
        return x
    if memory_format is preserve_format:
        raise RuntimeError("contiguous: preserve_format is no memory format to copy into; "
                           "ask for contiguous_format or channels_last")
    return clone(x, memory_format=memory_format)


def type_as(x, other):
    return astype(x, other.dtype)


def new_tensor(x, data, dtype=None, device=None, requires_grad=False):
    """A new leaf holding a copy of ``data``, with ``x``'s dtype and device unless given."""
    return tensor(data, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def new(x, *args, dtype=None, device=None):
    """PyTorch's legacy ``x.new``: ``x.new(2, 3)`` or ``x.new(size)`` (a shape) gives a tensor
    of that size to fill (zeros here), ``x.new(data)`` one holding a copy of ``data``, both
    with ``x``'s dtype and device unless given. ``new_zeros`` and ``new_tensor`` say which."""
    if len(args) == 1 and not isinstance(args[0], (int, Shape)):
        return new_tensor(x, args[0], dtype=dtype, device=device)
    return new_zeros(x, *(args or ((0,),)), dtype=dtype, device=device)


def new_zeros(x, *size, dtype=None, device=None, requires_grad=False):
    """Zeros of ``size`` with ``x``'s dtype and device unless given."""
    return zeros(*size, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def new_ones(x, *size, dtype=None, device=None, requires_grad=False):
    """Ones of ``size`` with ``x``'s dtype and device unless given."""
    return ones(*size, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def new_full(x, size, fill_value, dtype=None, device=None, requires_grad=False):
    """``fill_value`` everywhere in ``size``, with ``x``'s dtype and device unless given."""
    return full(size, fill_value, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)
