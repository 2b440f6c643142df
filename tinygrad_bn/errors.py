"""The library's error kinds that PyTorch reports as ``RuntimeError``.

PyTorch raises ``RuntimeError`` for a tensor of the wrong shape or dtype, where
Python's convention is ``ValueError`` and ``TypeError``. These errors are both,
so ``except RuntimeError`` in a ported script and ``except ValueError`` in ours
catch them alike.

>>> import tinygrad_bn as torch
>>> try:
...     torch.zeros(3, 4).view(5, 3)
... except RuntimeError as error:
...     isinstance(error, ValueError)
True
"""


class ShapeError(ValueError, RuntimeError):
    """A tensor's shape does not fit the operation (PyTorch's ``RuntimeError``)."""


class DtypeError(TypeError, RuntimeError):
    """A tensor's dtype does not fit the operation (PyTorch's ``RuntimeError``)."""


class DivisionByZeroError(ZeroDivisionError, RuntimeError):
    """An integer divided by zero (PyTorch's ``RuntimeError: ZeroDivisionError``)."""


class ArgumentError(ValueError, RuntimeError):
    """An argument's value does not fit the operation, as a stride of 0 (PyTorch's ``RuntimeError``)."""
