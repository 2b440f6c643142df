"""What a dtype can hold, and what kind of tensor one is: PyTorch's ``finfo`` and
``iinfo``, ``is_floating_point``, ``is_complex`` and ``is_nonzero``; and the dtype
an op on two operands gives, ``result_type``, and whether ``can_cast`` allows a cast.

Dtypes here are NumPy's, so the numbers come from NumPy's ``finfo`` and ``iinfo``
(facts about a dtype, not computations on array data), as Python floats and ints.

>>> import tinygrad_bn as torch
>>> torch.finfo(torch.float16).max, torch.iinfo(torch.int8).max, torch.finfo().dtype
(65504.0, 127, 'float32')
>>> torch.iinfo(torch.int16)
iinfo(min=-32768, max=32767, dtype=int16)
"""

from __future__ import annotations

import builtins

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.dtypes import category, get_default_dtype
from tinygrad_bn.dtypes import result_type as _promoted

_PYTHON_TYPES = {builtins.float: numpy.dtype("float64"), builtins.int: numpy.dtype("int64"),
                 builtins.bool: numpy.dtype("bool")}


def _dtype(name: str, given) -> numpy.dtype:
    """``given`` as a dtype: a dtype, a NumPy scalar type, or Python's float, int or bool."""
    if isinstance(given, numpy.dtype):
        return given
    if given in _PYTHON_TYPES:
        return _PYTHON_TYPES[given]
    if isinstance(given, type) and issubclass(given, numpy.generic):
        return numpy.dtype(given)
    raise TypeError(f"{name}() expects a dtype (such as torch.float32), got {type(given).__name__} {given!r}")


class finfo:  # noqa: N801 - PyTorch's name
    """PyTorch's ``torch.finfo(type)``: the limits of a floating dtype (the default
    dtype when none is given). ``bits``; ``eps``, the gap from 1 to the next number;
    ``max`` and ``min``; ``tiny`` and ``smallest_normal``, the smallest positive
    normal number; ``resolution``, 10 to minus the decimal digits the type holds;
    ``dtype``, its name.

    >>> info = finfo(numpy.dtype("float32"))
    >>> info.bits, info.eps, info.resolution, info.tiny == info.smallest_normal
    (32, 1.1920928955078125e-07, 1e-06, True)
    """

    __hash__ = None  # compared by value, as PyTorch's

    def __init__(self, type=None):  # noqa: A002 - PyTorch's argument name
        dtype = get_default_dtype() if type is None else _dtype("finfo", type)
        if dtype.kind != "f":
            raise TypeError(f"finfo() takes a floating dtype, got {dtype}; use iinfo() for integer dtypes")
        info = numpy.finfo(dtype)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(f"1e-{info.precision}")
        self.dtype = dtype.name

    def __eq__(self, other):
        return isinstance(other, finfo) and vars(self) == vars(other)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801 - PyTorch's name
    """PyTorch's ``torch.iinfo(type)``: the limits of an integer dtype, ``bits``,
    ``max``, ``min`` and ``dtype``, its name.

    >>> iinfo(numpy.dtype("uint8"))
    iinfo(min=0, max=255, dtype=uint8)
    """

    __hash__ = None  # compared by value, as PyTorch's

    def __init__(self, type):  # noqa: A002 - PyTorch's argument name
        dtype = _dtype("iinfo", type)
        if dtype.kind == "b":
            raise TypeError("iinfo() does not take bool, which has no integer range")
        if dtype.kind not in "iu":
            raise TypeError(f"iinfo() takes an integer dtype, got {dtype}; use finfo() for floating dtypes")
        info = numpy.iinfo(dtype)
        self.bits, self.max, self.min, self.dtype = int(info.bits), int(info.max), int(info.min), dtype.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and vars(self) == vars(other)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def _tensor(name: str, input) -> Tensor:  # noqa: A002 - PyTorch's argument name
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() expects a Tensor, got {type(input).__name__}")
    return input


def is_floating_point(input) -> bool:  # noqa: A002 - PyTorch's argument name
    """Whether ``input`` has a floating dtype.

    >>> from tinygrad_bn import tensor
    >>> is_floating_point(tensor([1.0])), is_floating_point(tensor([1]))
    (True, False)
    """
    return _tensor("is_floating_point", input).dtype.kind == "f"


def element_size(input) -> int:  # noqa: A002 - PyTorch's argument name
    """The bytes of one element of ``input`` (its dtype's ``itemsize``), PyTorch's
    ``Tensor.element_size()``.

    >>> from tinygrad_bn import ones
    >>> element_size(ones(2)), ones(2, dtype="float16").element_size(), ones(3, dtype="int64").nbytes
    (4, 2, 24)
    """
    return _tensor("element_size", input).dtype.itemsize


def is_complex(input) -> bool:  # noqa: A002 - PyTorch's argument name
    """Whether ``input`` has a complex dtype: never, here (there are no complex dtypes)."""
    return _tensor("is_complex", input).dtype.kind == "c"


def is_nonzero(input) -> bool:  # noqa: A002 - PyTorch's argument name
    """Whether the one element of ``input`` is not zero (NaN is not zero); a tensor of
    no or several elements is refused, as PyTorch refuses its truth value.

    >>> from tinygrad_bn import tensor
    >>> is_nonzero(tensor([0.5])), is_nonzero(tensor(0)), is_nonzero(tensor([[False]]))
    (True, False, False)
    """
    size = _tensor("is_nonzero", input).numel()
    if size != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'no values' if size == 0 else 'more than one value'} "
                           f"is ambiguous (is_nonzero() got shape {input.shape})")
    return bool(input.item())


def result_type(tensor, other) -> numpy.dtype:
    """PyTorch's ``result_type``: the dtype an elementwise op on ``tensor`` and ``other``
    (each a Tensor or a Python number) gives, by PyTorch's promotion (a 0-d tensor or a
    number changes the result only by raising its kind, bool < integer < floating).

    >>> from tinygrad_bn import ones, tensor
    >>> result_type(tensor([1, 2]), 1.0), result_type(ones(2, dtype="int32"), tensor(5)), result_type(2, 3)
    (dtype('float32'), dtype('int32'), dtype('int64'))
    """
    operands = (tensor, other)
    for name, value in zip(("tensor", "other"), operands, strict=True):
        if not isinstance(value, (Tensor, builtins.bool, builtins.int, builtins.float, numpy.number, numpy.bool_)):
            raise TypeError(f"result_type() expects {name} to be a Tensor or a number, got {type(value).__name__}")
    return _promoted([t.dtype for t in operands if isinstance(t, Tensor) and t.ndim],
                     [t.dtype for t in operands if isinstance(t, Tensor) and not t.ndim],
                     [t for t in operands if not isinstance(t, Tensor)])


def can_cast(from_, to) -> bool:
    """PyTorch's ``can_cast``: whether its type promotion may cast dtype ``from_`` to
    ``to``, which holds unless the cast lowers the kind (floating to integer or bool,
    integer to bool); within a kind any size goes.

    >>> import tinygrad_bn as torch
    >>> torch.can_cast(torch.float64, torch.int32), torch.can_cast(torch.int64, torch.uint8)
    (False, True)
    """
    return category(_dtype("can_cast", from_)) <= category(_dtype("can_cast", to))
