"""`DataLoader`: batches of a dataset as Tensors on a device, in the order a sampler
gives (in order, shuffled with a seeded generator, or any of :mod:`tinygrad_bn.data.sampler`),
optionally dropping the last incomplete batch; or the batches of an
:class:`IterableDataset`, in the order it gives its samples. With ``num_workers`` the
batches are read by workers played in this process (:mod:`tinygrad_bn.data.worker`).

BatchNorm in training mode needs more than one sample per channel, so a loader
that feeds it should use ``drop_last=True`` unless the dataset size is a
multiple of the batch size.
"""

from __future__ import annotations

import collections
import itertools
import operator

import numpy

from tinygrad_bn import mersenne
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.data.collate import default_collate, default_convert
from tinygrad_bn.data.dataset import ArrayDataset, IterableDataset, TensorDataset
from tinygrad_bn.data.options import check_iterable_options, check_options, check_some_batch, worker_options
from tinygrad_bn.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from tinygrad_bn.data.split import Subset
from tinygrad_bn.data.worker import MainProcess, Worker
from tinygrad_bn.generator import Generator, stream

_ENDED = object()  # what a reader gives once its IterableDataset has run out


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
    are read a whole batch at a time instead, with the same result. An
    :class:`IterableDataset` is read in the order it gives its samples instead, in
    batches of ``batch_size`` (the last one shorter, or dropped with ``drop_last``);
    it takes no ``sampler``, ``batch_sampler`` or ``shuffle``, and ``len()`` of the
    loader is what its ``len()`` makes in batches.

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
    each pass draws a 64-bit base seed for its workers from ``generator`` or the
    library's generator, as PyTorch's loader does, with workers or without, shuffled
    or not, so later draws stay PyTorch's.

    ``num_workers=n`` gives the batches PyTorch's n worker processes would, read in this
    process, one batch at a time as it is asked for, so that a script that splits its
    data or seeds its augmentation by worker gets PyTorch's batches with no process to
    start and no dataset to pickle (see :mod:`tinygrad_bn.data.worker`):

    * at the start of each pass (only the first with ``persistent_workers=True``) each
      worker w gets a shallow copy of the dataset and random streams seeded as PyTorch
      seeds a worker's, and ``worker_init_fn(w)`` is called, for w = 0, ..., n − 1;
    * batch k of a map-style dataset is read by worker k mod n, in the sampler's order;
    * each worker iterates its own copy of an IterableDataset, so one that splits its
      samples by :func:`get_worker_info` gives each worker's share, and one that does
      not gives every sample n times, as in PyTorch; the workers' batches come in
      turn, and one that has run out leaves the round, which is PyTorch's order;
    * while a worker reads (the dataset's ``__getitem__`` or ``__iter__``, and
      ``collate_fn``), :func:`get_worker_info` gives its :class:`WorkerInfo`, and random
      numbers are drawn from its streams, leaving the loader's process's as PyTorch
      leaves them.

    Acting as a worker costs about 0.25 ms a batch (the random streams swapped in and
    out; nothing for a TensorDataset or ArrayDataset with the default ``collate_fn``);
    ``num_workers=0`` spares it, with the same batches unless the dataset reads worker
    info or draws random numbers. ``timeout``, ``prefetch_factor``,
    ``multiprocessing_context``, ``pin_memory``, ``pin_memory_device`` and ``in_order``
    are checked as PyTorch checks them (a ``timeout`` without workers, and
    ``prefetch_factor=0``, are refused here at once, where PyTorch refuses them when a
    pass starts) and kept: with no process to wait for, read ahead or start, they
    change nothing, and the batches always come in order (PyTorch's ``in_order=False``
    lets a faster worker's batch come first).

    >>> from tinygrad_bn.data import ArrayDataset
    >>> import numpy
    >>> data = ArrayDataset(numpy.arange(10.0)[:, None], numpy.arange(10) % 2)
    >>> loader = DataLoader(data, batch_size=4, drop_last=True)
    >>> len(loader), [x.shape for x, y in loader]
    (2, [(4, 1), (4, 1)])
    >>> [y.tolist() for x, y in DataLoader(data, sampler=[9, 0, 8])]
    [[1], [0], [0]]
    >>> started = []
    >>> loader = DataLoader(data, batch_size=5, num_workers=2, worker_init_fn=started.append)
    >>> [y.tolist() for x, y in loader], started
    ([[0, 1, 0, 1, 0], [1, 0, 1, 0, 1]], [0, 1])
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = False, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True,
                 seed: int | None = None, device=None):
        self.prefetch_factor, self.multiprocessing_context = worker_options(
            num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context)
        if isinstance(dataset, IterableDataset):
            check_iterable_options(shuffle, sampler, batch_sampler)
        check_options(batch_size, shuffle, sampler, batch_sampler, drop_last, seed, generator)
        if batch_sampler is not None:
            batch_size = None  # the batch sampler decides, as in PyTorch
        if sampler is None:
            sampler = _default_sampler(dataset, shuffle, seed, generator)
        if batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
            batch_size = batch_sampler.batch_size
            check_some_batch(dataset, sampler, batch_size, drop_last)
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
        self.worker_init_fn = worker_init_fn
        self.persistent_workers = persistent_workers
        self.timeout = timeout
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order
        if collate_fn is None:
            collate_fn = default_convert if batch_sampler is None else default_collate
        self.collate_fn = collate_fn
        self._own_seeds = None if seed is None else _base_seeds(seed)
        self._base_seed = None  # the workers' base seed of the latest pass
        self._workers = None  # the persistent workers, once started

    @property
    def _iterable(self) -> bool:
        return isinstance(self.dataset, IterableDataset)

    @property
    def _index_sampler(self):
        """What a pass iterates over: the batch sampler's lists, or without batching the sampler's indices."""
        return self.sampler if self.batch_sampler is None else self.batch_sampler

    def __len__(self) -> int:
        """The number of batches in one pass (of samples, without batching): the sampler's
        length, or for an IterableDataset what its ``len()`` makes in batches."""
        if not self._iterable:
            return len(self._index_sampler)
        if self.batch_sampler is None:
            return len(self.dataset)
        return len(BatchSampler(range(len(self.dataset)), self.batch_size, self.drop_last))

    def __iter__(self):
        indices = self._pass()
        readers = [_Reader(self, worker) for worker in self._workers_of_pass()]
        return self._batches(indices, readers)

    def _pass(self):
        """The indices of one pass, started as PyTorch starts one: the sampler's iterator
        first, then the workers' 64-bit base seed, from the generator (or the loader's
        ``seed``) every pass, or with persistent workers only on the first."""
        indices = iter(self._index_sampler)
        if self._base_seed is None or not self.persistent_workers:
            self._base_seed = self._draw_base_seed()
        return indices

    def _draw_base_seed(self) -> int:
        """A pass's base seed: PyTorch's draw from the generator, or the next of the loader's own."""
        if self._own_seeds is None:
            return mersenne.seed64(stream(self.generator))
        return int(self._own_seeds.integers(1 << 63))

    def _workers_of_pass(self) -> list:
        """Who reads the pass: the loader's own process, or ``num_workers`` workers started
        from the pass's base seed (with persistent workers, those of the first pass)."""
        if self.num_workers == 0:
            return [MainProcess(self.dataset)]
        if self._workers is not None:
            return self._workers
        workers = [Worker(worker_id, self.num_workers, self._base_seed, self.dataset, self.worker_init_fn)
                   for worker_id in range(self.num_workers)]
        if self.persistent_workers:
            self._workers = workers
        return workers

    def _batches(self, indices, readers):
        """The batches of a pass, on the device: for each index, the batch of the next reader
        in turn; the pass ends when every reader's IterableDataset has run out."""
        readers = collections.deque(readers)
        for index in indices:
            batch = _read_in_turn(readers, index)
            if batch is _ENDED:
                return
            yield batch if self.device is None else _on(batch, self.device)

    def _reads_whole_batches(self, dataset) -> bool:
        """Whether a batch of ``dataset`` is read in one indexing, with no code of the user's run."""
        return self.batch_sampler is not None and self.collate_fn is default_collate and _reads_batches(dataset)

    def _read(self, dataset, index):
        """The batch of ``dataset`` at the indices ``index`` (without batching, the sample at ``index``)."""
        if self.batch_sampler is None:
            return self.collate_fn(dataset[index])
        if self._reads_whole_batches(dataset):
            rows = numpy.array([operator.index(i) for i in index], dtype=numpy.int64)
            return [part if isinstance(part, Tensor) else Tensor(part) for part in dataset[rows]]
        return self.collate_fn([dataset[i] for i in index])

    def skip_epochs(self, count: int):
        """Draw and discard the orders of the next ``count`` passes, as iterating
        over them would, without loading their batches. A new loader that skips n
        passes then visits the samples in the order pass n + 1 of an uninterrupted
        run has. (What the dataset itself draws while it is read, an
        IterableDataset's order included, is not replayed.)

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
            indices = self._pass()
            if not self._iterable:  # an IterableDataset's indices never end
                for _ in indices:
                    pass


class _Reader:
    """One worker's reading in one pass (or the loader's own process's): a map-style
    dataset at the indices it is given, an IterableDataset from an iterator of its own,
    made as the pass starts, within the worker."""

    def __init__(self, loader: DataLoader, worker):
        self.loader = loader
        self.worker = worker
        self.samples = None
        self.ended = False
        if loader._iterable:
            with worker.acting():
                self.samples = iter(worker.dataset)

    def read(self, index):
        """The batch at ``index``, made within the worker; ``_ENDED`` when the worker's
        IterableDataset has no batch left."""
        if self.samples is None and self.loader._reads_whole_batches(self.worker.dataset):
            # no code of the user's runs, so no worker to act as: a batch of 64 rows of a
            # TensorDataset in 24 µs instead of 270 (the random streams swapped in and out)
            return self.loader._read(self.worker.dataset, index)
        with self.worker.acting():
            if self.samples is None:
                return self.loader._read(self.worker.dataset, index)
            samples = self._take(None if self.loader.batch_sampler is None else len(index))
            return samples if samples is _ENDED else self.loader.collate_fn(samples)

    def _take(self, count: int | None):
        """The next sample of the IterableDataset (without batching), or a list of the next
        ``count``; ``_ENDED`` once it has run out, or with ``drop_last`` left too few for a
        batch."""
        if count is None:
            return self._next()
        # taken while not _ENDED by identity: iter(self._next, _ENDED) would compare samples with ==
        samples = (self._next() for _ in range(count))
        batch = list(itertools.takewhile(lambda sample: sample is not _ENDED, samples))
        if not batch or (self.ended and self.loader.drop_last):
            return _ENDED
        return batch

    def _next(self):
        """The iterator's next sample; ``_ENDED`` once it has run out, and from then on
        without asking it again, as PyTorch does not (an iterator may give more after it
        has once stopped)."""
        if self.ended:
            return _ENDED
        sample = next(self.samples, _ENDED)
        self.ended = sample is _ENDED
        return sample


def _read_in_turn(readers: collections.deque, index):
    """The batch at ``index`` read by the first of ``readers`` that still has one, which then
    goes to the back of the round (PyTorch's round robin over its workers); a reader that
    has run out leaves the round. ``_ENDED`` when none is left."""
    while readers:
        batch = readers[0].read(index)
        if batch is not _ENDED:
            readers.rotate(-1)
            return batch
        readers.popleft()
    return _ENDED


class _Unindexed(Sampler):
    """The sampler of an IterableDataset, as PyTorch's: the dataset gives its samples in its
    own order, so every index is None, without end; the pass ends when the dataset does."""

    def __iter__(self):
        return itertools.repeat(None)


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


def _base_seeds(seed: int) -> numpy.random.Generator:
    """The workers' base seeds of a loader with its own ``seed``: a NumPy stream apart from
    its shuffle's (the seed's first spawned child), one draw per pass."""
    return numpy.random.default_rng(numpy.random.SeedSequence(seed).spawn(1)[0])


def _default_sampler(dataset, shuffle: bool, seed: int | None, generator: Generator | None) -> Sampler:
    """The sampler of a loader given none: in order, or shuffled as ``seed`` or ``generator``
    say; for an IterableDataset, indices of no meaning."""
    if isinstance(dataset, IterableDataset):
        return _Unindexed()
    if not shuffle:
        return SequentialSampler(dataset)
    if seed is not None:
        return _SeededShuffle(dataset, seed)
    return RandomSampler(dataset, generator=generator)
