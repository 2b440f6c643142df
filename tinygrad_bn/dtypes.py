"""Dtypes with PyTorch's names, the default dtype, and PyTorch's type promotion.

A dtype here *is* a ``numpy.dtype``: ``tinygrad_bn.float32`` is
``numpy.dtype("float32")``, so ``x.dtype == torch.float32`` holds after the import
change, and ``x.dtype`` is still what NumPy and CuPy understand.

>>> import tinygrad_bn as torch
>>> torch.zeros(2).dtype == torch.float32, torch.long, torch.get_default_dtype()
(True, dtype('int64'), dtype('float32'))
"""

from __future__ import annotations

import numpy

float16 = half = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = double = numpy.dtype("float64")
uint8 = numpy.dtype("uint8")
int8 = numpy.dtype("int8")
int16 = short = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = long = numpy.dtype("int64")
bool_ = numpy.dtype("bool")
dtype = numpy.dtype  # PyTorch's torch.dtype, the class of them all: isinstance(x.dtype, torch.dtype) holds


class UnsupportedDtype:
    """A PyTorch dtype NumPy has no type for (``bfloat16``): the name exists, so a line
    such as ``dtype = torch.bfloat16 if use_bf16 else torch.float32`` runs, and making
    a tensor of it fails with a clear ``TypeError``. NumPy reads a data type from an
    object's ``dtype`` attribute, so every ``numpy.dtype(d)`` the library calls raises
    the message below; comparisons with real dtypes are False. It is not a
    ``torch.dtype`` (``numpy.dtype``) instance.

    >>> import tinygrad_bn as torch
    >>> torch.float32 == torch.bfloat16
    False
    >>> torch.zeros(2, dtype=torch.bfloat16)
    Traceback (most recent call last):
    ...
    TypeError: bfloat16 is not supported: NumPy has no bfloat16 type; use float32 or float16
    """

    def __init__(self, name: str):
        self.name = name

    @property
    def dtype(self):
        raise TypeError(f"{self.name} is not supported: NumPy has no {self.name} type; use float32 or float16")

    def __repr__(self):
        return f"torch.{self.name}"


bfloat16 = UnsupportedDtype("bfloat16")

# PyTorch's names that shadow Python's builtins (torch.float, torch.int, torch.bool)
NAMES = {
    "float16": float16, "half": half, "float32": float32, "float": float32, "float64": float64, "double": double,
    "uint8": uint8, "int8": int8, "int16": int16, "short": short, "int32": int32, "int": int32, "int64": int64,
    "long": long, "bool": bool_,
}

_FLOATING = (float16, float32, float64)
_default = float32


def get_default_dtype() -> numpy.dtype:
    """The dtype of floating tensors made from Python numbers (float32 unless changed)."""
    return _default


def set_default_dtype(dtype) -> None:
    """Make ``dtype`` (float16, float32 or float64) the default floating dtype, as in PyTorch.

    >>> import tinygrad_bn as torch
    >>> torch.set_default_dtype(torch.float64)
    >>> torch.tensor([1.0]).dtype, (torch.arange(3) / 2).dtype
    (dtype('float64'), dtype('float64'))
    >>> torch.set_default_dtype(torch.float32)
    """
    global _default
    dtype = numpy.dtype(dtype)
    if dtype not in _FLOATING:
        raise TypeError(f"set_default_dtype expects a floating dtype (float16, float32, float64), got {dtype}")
    _default = dtype


def category(dtype) -> int:
    """PyTorch's order of kinds: bool 0 < integers 1 < floating 2."""
    return {"b": 0, "u": 1, "i": 1}.get(numpy.dtype(dtype).kind, 2)


def promote_types(a, b) -> numpy.dtype:
    """PyTorch's ``promote_types``: a floating type wins over any integer one
    (int64 with float16 is float16, where NumPy says float64); otherwise NumPy's rule.

    >>> promote_types("int64", "float16"), promote_types("uint8", "int8"), promote_types("float32", "float64")
    (dtype('float16'), dtype('int16'), dtype('float64'))
    """
    a, b = numpy.dtype(a), numpy.dtype(b)
    if a == b:
        return a
    if category(a) != category(b):
        return a if category(a) > category(b) else b
    return numpy.promote_types(a, b)


def number_dtype(value) -> numpy.dtype:
    """The dtype PyTorch gives a Python number in an expression: bool, int64, or the default float."""
    if isinstance(value, (bool, numpy.bool_)):
        return bool_
    if isinstance(value, (int, numpy.integer)):
        return int64
    return _default


def result_type(dims, zero_dims=(), numbers=()) -> numpy.dtype:
    """The dtype of an elementwise op on tensors with dimensions (dtypes ``dims``),
    0-d tensors (``zero_dims``) and Python ``numbers``, by PyTorch's rule: a class of
    lower priority (0-d tensors, then numbers) changes the result only by raising its
    category, so float32 tensor + float64 0-d tensor is float32, int32 tensor + 2.5
    is the default float dtype.

    >>> result_type([int32], numbers=[2.5]), result_type([float32], zero_dims=[float64])
    (dtype('float32'), dtype('float32'))
    >>> result_type([int32], zero_dims=[float64]), result_type([float32, float64])
    (dtype('float64'), dtype('float64'))
    """
    result = None
    for group in (dims, zero_dims, [number_dtype(v) for v in numbers]):
        dtype = None
        for d in group:
            dtype = numpy.dtype(d) if dtype is None else promote_types(dtype, d)
        if dtype is None:
            continue
        if result is None or category(dtype) > category(result):
            result = dtype
    return result
