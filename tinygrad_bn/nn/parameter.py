"""`Parameter`, the tensor a :class:`~tinygrad_bn.nn.module.Module` learns, and the
checks and zero-filled parameters that layers' constructors share.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.ops import zeros


class Parameter(Tensor):
    """A tensor that a :class:`Module` registers as a learned parameter.

    It shares ``data``'s array and requires grad by default.

    >>> from tinygrad_bn import zeros
    >>> w = Parameter(zeros(2, 3))
    >>> isinstance(w, Tensor), w.requires_grad, w.shape
    (True, True, (2, 3))
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        super().__init__([] if data is None else data, requires_grad=requires_grad)

    def __repr__(self):
        return f"Parameter containing:\n{super().__repr__()}"


def positive_int(value, name: str) -> int:
    """``value`` if it is a positive int, as a layer's sizes must be."""
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def zero_parameter(shape, device, dtype) -> Parameter:
    """A zero Parameter of ``shape``, for a layer to initialise."""
    return Parameter(zeros(*shape, dtype=dtype, device=device))


def conv_channels(layer: str, in_channels: int, out_channels: int, groups: int) -> tuple:
    """A convolution's ``in_channels``, ``out_channels`` and ``groups``: positive ints,
    the channels divisible by the groups."""
    counts = (positive_int(in_channels, "in_channels"), positive_int(out_channels, "out_channels"))
    positive_int(groups, "groups")
    for label, count in zip(("in_channels", "out_channels"), counts):
        if count % groups:
            raise ValueError(f"{layer}: {label} ({count}) must be divisible by groups ({groups})")
    return (*counts, groups)
