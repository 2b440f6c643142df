"""`DataLoader`: batches of a dataset as Tensors on a device, in the order a sampler
gives (in order, shuffled with a seeded generator, or any of :mod:`tinygrad_bn.data.sampler`),
optionally dropping the last incomplete batch.

BatchNorm in training mode needs more than one sample per channel, so a loader
that feeds it should use ``drop_last=True`` unless the dataset size is a
multiple of the batch size.
"""

from __future__ import annotations

import operator

import numpy

from tinygrad_bn import mersenne
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.data.collate import default_collate, default_convert
from tinygrad_bn.data.dataset import ArrayDataset, TensorDataset
from tinygrad_bn.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
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

    The order is the ``sampler``'s (see :mod:`tinygrad_bn.data.sampler`), by default
    0, 1, 2, ..., or with ``shuffle=True`` a :class:`RandomSampler`: each pass a new
    random order drawn from ``generator`` (a :class:`tinygrad_bn.Generator`), or else
    from the library's generator (set by :func:`tinygrad_bn.manual_seed`). The orders
    are PyTorch's: a DataLoader given ``torch.Generator().manual_seed(s)`` visits the
    samples as PyTorch's does, pass after pass. A ``batch_sampler`` gives whole
    batches of indices instead, and so excludes ``batch_size``, ``shuffle``,
    ``sampler`` and ``drop_last``; ``batch_size=None`` loads the samples one by one,
    unbatched, as :func:`default_convert` (or ``collate_fn``) makes them.

    ``seed`` (this library's own) shuffles with NumPy's permutations from a generator
    seeded once with it, apart from the library's generator, which the loader then
    leaves alone: the order of pass n depends only on ``seed`` and n, and a resumed
    run picks up the orders where it stopped with :meth:`skip_epochs`. Without a seed
    each pass draws a 64-bit seed from ``generator`` or the library's generator, as
    PyTorch's loader does for its workers, shuffled or not, so later draws stay PyTorch's.
    ``num_workers`` and ``pin_memory`` are accepted for PyTorch's scripts; batches
    are made in this process.

    >>> from tinygrad_bn.data import ArrayDataset
    >>> import numpy
    >>> data = ArrayDataset(numpy.arange(10.0)[:, None], numpy.arange(10) % 2)
    >>> loader = DataLoader(data, batch_size=4, drop_last=True)
    >>> len(loader), [x.shape for x, y in loader]
    (2, [(4, 1), (4, 1)])
    >>> [y.tolist() for x, y in DataLoader(data, sampler=[9, 0, 8])]
    [[1], [0], [0]]
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False, sampler=None, batch_sampler=None,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False, drop_last: bool = False, *,
                 generator: Generator | None = None, seed: int | None = None, device=None):
        _check_options(batch_size, shuffle, sampler, batch_sampler, drop_last, seed, generator)
        if batch_sampler is not None:
            batch_size = None  # the batch sampler decides, as in PyTorch
        if sampler is None:
            sampler = _default_sampler(dataset, shuffle, seed, generator)
        if batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
            batch_size = batch_sampler.batch_size
            _check_some_batch(dataset, sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.drop_last = drop_last
        self.generator = generator
        self.seed = seed
        self.device = device
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        if collate_fn is None:
            collate_fn = default_convert if batch_sampler is None else default_collate
        self.collate_fn = collate_fn

    @property
    def _index_sampler(self):
        """What a pass iterates over: the batch sampler's lists, or without batching the sampler's indices."""
        return self.sampler if self.batch_sampler is None else self.batch_sampler

    def __len__(self) -> int:
        """The number of batches in one pass (of samples, without batching): the sampler's length."""
        return len(self._index_sampler)

    def __iter__(self):
        return (self._load(index) for index in self._pass())

    def _pass(self):
        """The indices of one pass, started as PyTorch starts one: the sampler's iterator
        first, then the pass's 64-bit seed from the generator (unless the loader has a ``seed``)."""
        indices = iter(self._index_sampler)
        if self.seed is None:
            mersenne.seed64(orders(self.generator))
        return indices

    def _load(self, index):
        """The batch at the indices ``index`` (without batching, the sample at ``index``), on the device."""
        if self.batch_sampler is None:
            batch = self.collate_fn(self.dataset[index])
        elif self.collate_fn is default_collate and _reads_batches(self.dataset):
            rows = numpy.array([operator.index(i) for i in index], dtype=numpy.int64)
            batch = [part if isinstance(part, Tensor) else Tensor(part) for part in self.dataset[rows]]
        else:
            batch = self.collate_fn([self.dataset[i] for i in index])
        return batch if self.device is None else _on(batch, self.device)

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
            for _ in self._pass():
                pass


class _SeededShuffle(Sampler):
    """The order of ``shuffle=True`` with the loader's own ``seed``: each pass NumPy's
    permutation, from a generator seeded once with ``seed``."""

    def __init__(self, data_source, seed: int):
        self.data_source = data_source
        self.rng = numpy.random.default_rng(seed)

    def __iter__(self):
        return iter(self.rng.permutation(len(self.data_source)).tolist())

    def __len__(self) -> int:
        return len(self.data_source)


def _default_sampler(dataset, shuffle: bool, seed: int | None, generator: Generator | None) -> Sampler:
    """The sampler of a loader given none: in order, or shuffled as ``seed`` or ``generator`` say."""
    if not shuffle:
        return SequentialSampler(dataset)
    if seed is not None:
        return _SeededShuffle(dataset, seed)
    return RandomSampler(dataset, generator=generator)


def _check_options(batch_size, shuffle, sampler, batch_sampler, drop_last, seed, generator):
    """Refuse the options that exclude each other, as PyTorch's DataLoader does."""
    if seed is not None and generator is not None:
        raise TypeError("DataLoader() got both a generator and a seed; give one")
    if sampler is not None and shuffle:
        raise ValueError("DataLoader: a sampler decides the order itself, so it cannot be combined with shuffle=True; "
                         "give sampler=RandomSampler(dataset) to shuffle")
    clashes = [name for name, clash in [("batch_size", batch_size != 1), ("shuffle", bool(shuffle)),
                                        ("sampler", sampler is not None), ("drop_last", bool(drop_last))] if clash]
    if batch_sampler is not None and clashes:
        raise ValueError(f"DataLoader: a batch_sampler makes the batches itself, so it excludes batch_size, shuffle, "
                         f"sampler and drop_last; got {' and '.join(clashes)} beside it")
    if batch_size is None and drop_last:
        raise ValueError("DataLoader: batch_size=None loads samples unbatched, so there is no last batch to drop; "
                         "leave drop_last=False")


def _check_some_batch(dataset, sampler, batch_size: int, drop_last: bool):
    """Refuse ``drop_last`` with a batch larger than a pass (PyTorch would give no batches)."""
    if not drop_last or not hasattr(sampler, "__len__") or len(sampler) >= batch_size:
        return
    count = len(sampler)
    source = f"a dataset of {count} samples" if count == len(dataset) else f"the {count} samples the sampler gives"
    raise ValueError(
        f"drop_last=True with batch_size={batch_size} leaves no batch of {source}: use a smaller batch size"
    )
