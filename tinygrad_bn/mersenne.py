"""PyTorch's CPU random stream: the 32-bit Mersenne Twister (MT19937) seeded as PyTorch
seeds it, and the ways PyTorch draws a permutation and a 64-bit seed from it.

A :class:`tinygrad_bn.Generator` draws from this stream, so a shuffle given
``torch.Generator().manual_seed(s)`` visits the samples in PyTorch's order, and two
frameworks fed the same batches can be compared step by step. Other draws (``randn``,
``rand``, dropout masks) take NumPy's transforms of the same stream: reproducible, but
not PyTorch's numbers.

>>> bits = mt19937(0)
>>> randperm(bits, 8).tolist()  # torch.randperm(8, generator=torch.Generator().manual_seed(0))
[4, 0, 7, 3, 2, 5, 1, 6]
"""

from __future__ import annotations

import numpy

MT_STATE_WORDS = 624


def mt19937(seed: int) -> numpy.random.MT19937:
    """MT19937 started as PyTorch starts its CPU generator after ``manual_seed(seed)``:
    the classic initialisation from the seed's low 32 bits (NumPy's legacy seeding)."""
    key = numpy.random.RandomState(int(seed) & 0xFFFFFFFF).get_state()[1]
    bits = numpy.random.MT19937()
    bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": MT_STATE_WORDS}}
    return bits


def randperm(bits: numpy.random.MT19937, n: int) -> numpy.ndarray:
    """A permutation of 0..n-1 as PyTorch's CPU ``randperm`` draws it: Fisher-Yates from
    the front, position i swapped with i + (r mod (n - i)) for the next 32-bit draw r."""
    order = numpy.arange(n, dtype=numpy.int64)
    draws = bits.random_raw(max(n - 1, 0)).tolist()
    for i, r in enumerate(draws):
        j = i + r % (n - i)
        order[i], order[j] = order[j], order[i]
    return order


def words64(bits: numpy.random.MT19937, count: int) -> numpy.ndarray:
    """``count`` 64-bit words (uint64) as PyTorch's ``random64`` makes them: two 32-bit
    draws each, the high word first."""
    high, low = bits.random_raw(2 * count).reshape(count, 2).T
    return (high << numpy.uint64(32)) | low


def seed64(bits: numpy.random.MT19937) -> int:
    """A seed as PyTorch's ``torch.empty((), dtype=torch.int64).random_(generator)`` draws
    it (DataLoader does, at the start of every pass): a 64-bit word modulo 2**63."""
    return int(words64(bits, 1)[0]) % (1 << 63)
