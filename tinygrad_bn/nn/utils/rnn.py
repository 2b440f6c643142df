"""Sequences of different lengths for the recurrent layers, as PyTorch's
``torch.nn.utils.rnn``: padded into one tensor, or packed step by step.

A :class:`PackedSequence` holds the steps of B sequences sorted by length, longest
first: ``data`` stacks, for each time step t, the t-th element of every sequence
still running at t, and ``batch_sizes[t]`` says how many there are. A recurrent
layer given one steps only those sequences, so padding never enters a state.

>>> from tinygrad_bn import Tensor
>>> padded = Tensor([[1.0, 4.0], [2.0, 5.0], [3.0, 0.0]])  # (T, B): lengths 3 and 2
>>> packed = pack_padded_sequence(padded, [3, 2])
>>> packed.data.tolist(), packed.batch_sizes.tolist()
([1.0, 4.0, 2.0, 5.0, 3.0], [2, 2, 1])
>>> again, lengths = pad_packed_sequence(packed)
>>> again.tolist() == padded.tolist(), lengths.tolist()
(True, [3, 2])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.ops import cat, full, stack

__all__ = ["PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence", "pad_sequence",
           "unpack_sequence", "unpad_sequence"]


class PackedSequence(NamedTuple):
    """``data`` (Σ lengths, *) with the steps of the sequences in order of time, and
    within a step longest sequence first; ``batch_sizes`` (T,) int64, the sequences
    running at each step; ``sorted_indices`` the batch order by length (None when the
    batch came sorted) and ``unsorted_indices`` its inverse."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> PackedSequence:
        """The sequence with ``data`` moved or cast as ``Tensor.to`` does; the indices stay."""
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self) -> bool:
        return self.data.device == "cuda"


def _lengths(lengths, batch: int, steps: int) -> numpy.ndarray:
    values = numpy.asarray(lengths.tolist() if isinstance(lengths, Tensor) else lengths)
    if values.shape != (batch,) or values.dtype.kind not in "iu":
        raise ShapeError(f"pack_padded_sequence expects {batch} integer lengths, one per sequence, got {lengths!r}")
    if values.min() <= 0 or values.max() > steps:
        raise ShapeError(f"pack_padded_sequence expects every length in [1, {steps}] (the padded steps), "
                         f"got {values.tolist()}")
    return values


def pack_padded_sequence(input, lengths, batch_first: bool = False, enforce_sorted: bool = True):  # noqa: A002
    """(T, B, *) padded sequences (B first with ``batch_first``) and their ``lengths`` ->
    a :class:`PackedSequence`. With ``enforce_sorted`` the lengths must not increase."""
    padded = input.transpose(0, 1) if batch_first else input
    steps, batch = padded.shape[:2]
    lengths = _lengths(lengths, batch, steps)
    if enforce_sorted:
        if (numpy.diff(lengths) > 0).any():
            raise ShapeError(f"pack_padded_sequence expects lengths in decreasing order with enforce_sorted=True, "
                             f"got {lengths.tolist()}; pass enforce_sorted=False to have them sorted")
        order, sorted_indices, unsorted_indices = numpy.arange(batch), None, None
    else:
        order = numpy.argsort(-lengths, kind="stable")
        sorted_indices = Tensor(order.astype(numpy.int64))
        unsorted_indices = Tensor(numpy.argsort(order).astype(numpy.int64))
    running = (lengths[order][None, :] > numpy.arange(steps)[:, None]).sum(axis=1)  # batch_sizes[t]
    running = running[running > 0]
    data = cat([padded[t][order[:size].tolist()] for t, size in enumerate(running.tolist())], 0)
    return PackedSequence(data, Tensor(running.astype(numpy.int64)), sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None):
    """The inverse of :func:`pack_padded_sequence`: (T, B, *) padded with ``padding_value``
    (to ``total_length`` steps when given) in the batch's own order, and the lengths."""
    sizes = sequence.batch_sizes.tolist()
    steps = len(sizes) if total_length is None else total_length
    if steps < len(sizes):
        raise ShapeError(f"pad_packed_sequence expects total_length of at least {len(sizes)}, "
                         f"the longest sequence, got {total_length}")
    data, batch = sequence.data, sizes[0]
    rows, start = [], 0
    for size in sizes:
        step = data[start:start + size]
        if size < batch:
            step = cat([step, full((batch - size, *data.shape[1:]), padding_value, dtype=data.dtype,
                                   device=data.device)], 0)
        rows.append(step)
        start += size
    rows += [full((batch, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)] * (steps - len(sizes))
    padded = stack(rows)
    lengths = numpy.array([sum(size > b for size in sizes) for b in range(batch)], dtype=numpy.int64)
    if sequence.unsorted_indices is not None:
        restore = sequence.unsorted_indices.tolist()
        padded, lengths = padded[:, restore], lengths[restore]
    return (padded.transpose(0, 1) if batch_first else padded), Tensor(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"):
    """Tensors of shapes (L_i, *) -> one (max L_i, B, *) tensor ((B, max L_i, *) with
    ``batch_first``), each padded with ``padding_value`` on ``padding_side``."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences or len({tuple(s.shape[1:]) for s in sequences}) != 1:
        raise ShapeError("pad_sequence expects one or more tensors that differ only in their first axis, got "
                         f"shapes {[tuple(s.shape) for s in sequences]}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        if s.shape[0] < longest:
            fill = full((longest - s.shape[0], *s.shape[1:]), padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Tensors of shapes (L_i, *) -> a :class:`PackedSequence`."""
    sequences = list(sequences)
    return pack_padded_sequence(pad_sequence(sequences), [s.shape[0] for s in sequences],
                                enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list:
    """The inverse of :func:`pad_sequence`: the B sequences, each cut to its length."""
    padded = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    lengths = lengths.tolist() if isinstance(lengths, Tensor) else list(lengths)
    return [padded[b, :length] for b, length in enumerate(lengths)]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The inverse of :func:`pack_sequence`: the sequences, in their own order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
