"""`DataLoader`: batches of a dataset as Tensors on a device, optionally shuffled
with a seeded generator, optionally dropping the last incomplete batch.

BatchNorm in training mode needs more than one sample per channel, so a loader
that feeds it should use ``drop_last=True`` unless the dataset size is a
multiple of the batch size.
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn import mersenne
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.data.collate import default_collate
from tinygrad_bn.data.dataset import ArrayDataset, TensorDataset
from tinygrad_bn.data.split import Subset
from tinygrad_bn.generator import Generator, orders


def _reads_batches(dataset) -> bool:
    """Whether ``dataset`` is one of the in-memory datasets here, which give for an
    integer array the batch :func:`default_collate` would make of its samples, in
    one read (a :class:`Subset` of one too)."""
    if isinstance(dataset, Subset):
        return _reads_batches(dataset.dataset)
    return isinstance(dataset, (ArrayDataset, TensorDataset))


def _on(batch, device):
    """``batch`` with every Tensor in it moved to ``device``."""
    if isinstance(batch, Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: _on(value, device) for key, value in batch.items()}
    if isinstance(batch, list):
        return [_on(value, device) for value in batch]
    if isinstance(batch, tuple):
        moved = [_on(value, device) for value in batch]
        return type(batch)(*moved) if hasattr(batch, "_fields") else tuple(moved)  # a namedtuple keeps its type
    return batch


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``, as PyTorch's DataLoader:
    samples ``(x, y)`` give batches ``[xs, ys]``.

    ``dataset`` is anything with ``__len__`` and ``__getitem__(i)``: a
    :class:`Dataset`, a Tensor, a list. Its samples are read one by one and made
    into a batch by ``collate_fn`` (:func:`default_collate` unless given).
    :class:`ArrayDataset` and :class:`TensorDataset` (and a :class:`Subset` of one)
    are read a whole batch at a time instead, with the same result.
    With ``shuffle=True`` each pass visits the samples in a new random order drawn
    from ``generator`` (a :class:`tinygrad_bn.Generator`), or from a generator seeded
    once with ``seed``, or else from the library's generator (set by
    :func:`tinygrad_bn.manual_seed`). From a Generator the orders are PyTorch's: a
    DataLoader given ``torch.Generator().manual_seed(s)`` visits the samples as
    PyTorch's does, pass after pass. So with a
    ``seed`` the order of pass n depends only on ``seed`` and n, and a resumed
    run picks up the orders where it stopped with :meth:`skip_epochs`.
    ``num_workers`` and ``pin_memory`` are accepted for PyTorch's scripts; batches
    are made in this process.

    >>> from tinygrad_bn.data import ArrayDataset
    >>> import numpy
    >>> data = ArrayDataset(numpy.arange(10.0)[:, None], numpy.arange(10) % 2)
    >>> loader = DataLoader(data, batch_size=4, drop_last=True)
    >>> len(loader), [x.shape for x, y in loader]
    (2, [(4, 1), (4, 1)])
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: int | None = None, device=None, num_workers: int = 0, pin_memory: bool = False,
                 generator: Generator | None = None, collate_fn=None):
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        if drop_last and len(dataset) < batch_size:
            raise ValueError(
                f"drop_last=True with batch_size={batch_size} leaves no batch of a dataset of "
                f"{len(dataset)} samples: use a smaller batch size"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.device = device
        if seed is not None and generator is not None:
            raise TypeError("DataLoader() got both a generator and a seed; give one")
        self._rng = numpy.random.default_rng(seed) if seed is not None else None
        self.generator = generator
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        """The number of batches in one pass."""
        count = len(self.dataset) / self.batch_size
        return math.floor(count) if self.drop_last else math.ceil(count)

    def __iter__(self):
        order = self._order()
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            batch = self._fetch(order[start : start + self.batch_size])
            yield batch if self.device is None else _on(batch, self.device)

    def _fetch(self, indices):
        """The batch of the samples at ``indices``."""
        if self.collate_fn is None and _reads_batches(self.dataset):
            return [part if isinstance(part, Tensor) else Tensor(part) for part in self.dataset[indices]]
        return (self.collate_fn or default_collate)([self.dataset[int(i)] for i in indices])

    def skip_epochs(self, count: int):
        """Draw and discard the orders of the next ``count`` passes, as iterating
        over them would, without loading their batches. A new loader that skips n
        passes then visits the samples in the order pass n + 1 of an uninterrupted
        run has.

        >>> from tinygrad_bn.data import ArrayDataset
        >>> import numpy
        >>> data = ArrayDataset(numpy.arange(6.0)[:, None], numpy.zeros(6, dtype=int))
        >>> def order(loader):
        ...     return [int(value) for x, _ in loader for value in x.numpy()[:, 0]]
        >>> straight = DataLoader(data, batch_size=3, shuffle=True, seed=0)
        >>> orders = [order(straight) for epoch in range(3)]
        >>> resumed = DataLoader(data, batch_size=3, shuffle=True, seed=0)
        >>> resumed.skip_epochs(2)
        >>> order(resumed) == orders[2]
        True
        """
        for _ in range(count):
            self._order()

    def _order(self):
        """The order of one pass: with ``seed``, NumPy's permutation; else PyTorch's, drawn
        as its DataLoader and RandomSampler draw it (see :mod:`tinygrad_bn.mersenne`)."""
        n = len(self.dataset)
        if not self.shuffle:
            return numpy.arange(n)
        if self._rng is not None:
            return self._rng.permutation(n)
        bits = orders(self.generator)
        mersenne.seed64(bits)  # the pass's base seed (PyTorch's loader draws it for its workers)
        if self.generator is None:  # PyTorch's sampler then shuffles with a generator seeded from the default one
            return mersenne.randperm(mersenne.mt19937(mersenne.seed64(bits)), n)
        order = mersenne.randperm(bits, n)
        bits.random_raw(max(n - 1, 0))  # PyTorch's sampler draws one permutation more before the pass ends
        return order
