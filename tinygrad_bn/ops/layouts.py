"""PyTorch's memory formats: the order in which a tensor's axes lie in memory.

``channels_last`` keeps an (N, C, H, W) tensor's shape and puts C innermost in memory,
(N, H, W, C); ``channels_last_3d`` does so for (N, C, D, H, W). Every op here works on
any memory order (NumPy and CuPy follow the strides), so a format changes where the
bytes lie and what ``stride()`` and ``is_contiguous(memory_format=...)`` say, never a
value.

>>> import tinygrad_bn as torch
>>> x = torch.zeros(2, 3, 4, 5).contiguous(memory_format=torch.channels_last)
>>> x.stride(), x.is_contiguous(), x.is_contiguous(memory_format=torch.channels_last)
((60, 1, 15, 3), False, True)
"""

from __future__ import annotations


class MemoryFormat:
    """One of PyTorch's memory formats (``torch.memory_format``)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


contiguous_format = MemoryFormat("contiguous_format")
channels_last = MemoryFormat("channels_last")
channels_last_3d = MemoryFormat("channels_last_3d")
preserve_format = MemoryFormat("preserve_format")

_RANKS = {channels_last: 4, channels_last_3d: 5}


def memory_order(memory_format: MemoryFormat, ndim: int) -> tuple | None:
    """The axes of an ``ndim`` tensor from the outermost in memory to the innermost under
    ``memory_format``; None for ``preserve_format`` (whatever order the tensor has)."""
    if not isinstance(memory_format, MemoryFormat):
        raise TypeError(f"memory_format must be a torch.memory_format, got {type(memory_format).__name__}")
    if memory_format is preserve_format:
        return None
    if memory_format is contiguous_format:
        return tuple(range(ndim))
    rank = _RANKS[memory_format]
    if ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {memory_format.name} format, got rank {ndim}")
    return (0, *range(2, ndim), 1)


def laid_out(array, order: tuple, contiguous):
    """A copy of ``array`` whose memory runs through its axes in ``order`` (``contiguous``
    makes a C-order copy on the array's backend)."""
    inverse = sorted(range(len(order)), key=order.__getitem__)
    return contiguous(array.transpose(order)).transpose(inverse)


def lies_in(array, order: tuple) -> bool:
    """Whether ``array``'s memory runs through its axes in ``order`` without gaps."""
    return bool(array.transpose(order).flags.c_contiguous)
