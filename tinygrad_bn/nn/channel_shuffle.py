"""Channel shuffle, as PyTorch's ``channel_shuffle`` and ``nn.ChannelShuffle``: the
C = g·k channels of (N, C, *) input, read as g groups of k, are interleaved so that
output channel j·g + i is input channel i·k + j. It is a reshape to (N, g, k, *), a
swap of those two axes and a reshape back, so the gradient is the same
rearrangement backwards.

>>> from tinygrad_bn import arange
>>> channel_shuffle(arange(6.0).reshape(1, 6, 1), 2).flatten().tolist()
[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
"""

from __future__ import annotations

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn.module import Module


def channel_shuffle(input, groups):  # noqa: A002 - PyTorch's argument name
    """Interleave the ``groups`` groups of channels of (N, C, *) input (at least 3 axes)."""
    if not isinstance(groups, int) or isinstance(groups, bool):
        raise TypeError(f"channel_shuffle(): argument 'groups' must be int, not {type(groups).__name__}")
    if input.ndim <= 2:
        raise ShapeError(f"channel_shuffle expects input with > 2 dims, but got input with shape {input.shape}")
    if groups <= 0:
        raise ArgumentError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise ArgumentError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(input.shape)


def native_channel_shuffle(input, groups):  # noqa: A002 - PyTorch's argument name
    """:func:`channel_shuffle` under the name of PyTorch's native op."""
    return channel_shuffle(input, groups)


class ChannelShuffle(Module):
    """:func:`channel_shuffle` as a layer.

    >>> from tinygrad_bn import ones
    >>> shuffle = ChannelShuffle(3)
    >>> shuffle, shuffle(ones(2, 6, 4, 4)).shape
    (ChannelShuffle(groups=3), (2, 6, 4, 4))
    """

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
