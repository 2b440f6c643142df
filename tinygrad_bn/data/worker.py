"""A DataLoader's workers, played in the loader's own process: :class:`Worker`,
:class:`WorkerInfo` and :func:`get_worker_info`.

PyTorch's loader with ``num_workers=n`` starts n processes at the start of a pass. Worker
w gets a copy of the dataset, seeds Python's ``random``, PyTorch's generator and NumPy's
global generator from the pass's base seed and w, calls ``worker_init_fn(w)``, and then
reads the batches the loader hands it, one in turn with the other workers. Here each
worker is a :class:`Worker` object instead of a process, read from in turn by the loader
itself: while it reads (and while ``worker_init_fn`` runs) :func:`get_worker_info` gives
its :class:`WorkerInfo`, it reads its own shallow copy of the dataset, and the library's
generator, ``random`` and ``numpy.random`` draw from the worker's own streams, seeded as
PyTorch seeds a worker's, and put back as they were when it stops. A dataset that draws
random numbers on a worker therefore leaves the loader's process where PyTorch leaves
it, and draws the orders, ``random`` and ``numpy.random`` numbers PyTorch's worker draws.

>>> print(get_worker_info())
None
"""

from __future__ import annotations

import contextlib
import dataclasses
import random

import numpy

from tinygrad_bn import generator


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` tells a dataset read on a worker's behalf: the
    worker's ``id`` (0 to ``num_workers`` − 1), the loader's ``num_workers``, the
    worker's ``seed`` (the pass's base seed + ``id``, as in PyTorch) and its own copy of
    the ``dataset``, which ``worker_init_fn`` may change (to read a shard of it, say).

    >>> WorkerInfo(id=1, num_workers=2, seed=10, dataset=range(4))
    WorkerInfo(id=1, num_workers=2, seed=10, dataset=range(0, 4))
    """

    id: int
    num_workers: int
    seed: int
    dataset: object


_current: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The :class:`WorkerInfo` of the worker a DataLoader is reading on behalf of, as
    PyTorch's: set while the dataset's ``__getitem__``, ``__iter__`` (and the samples it
    yields), ``collate_fn`` and ``worker_init_fn`` run for a loader with
    ``num_workers > 0``; None anywhere else, in a loader with ``num_workers=0`` too.

    >>> from tinygrad_bn.data import DataLoader
    >>> class Reader:
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, i):
    ...         return get_worker_info().id
    >>> [ids.tolist() for ids in DataLoader(Reader(), batch_size=1, num_workers=2)]
    [[0], [1], [0], [1]]
    """
    return _current


class MainProcess:
    """Where a loader with ``num_workers=0`` reads: the loader's own process and dataset."""

    def __init__(self, dataset):
        self.dataset = dataset

    def acting(self):
        """A context in which nothing changes: the loader reads as itself."""
        return contextlib.nullcontext()


class Worker:
    """Worker ``worker_id`` of ``num_workers``, as PyTorch starts one for a pass whose base
    seed is ``base_seed``: with a shallow copy of ``dataset`` (see :func:`_own_copy`), its
    random streams seeded, and ``init_fn(worker_id)`` called within :meth:`acting`."""

    def __init__(self, worker_id: int, num_workers: int, base_seed: int, dataset, init_fn=None):
        self.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=base_seed + worker_id,
                               dataset=_own_copy(dataset))
        self.dataset = self.info.dataset
        self._streams = _seeded_streams(base_seed, worker_id)
        if init_fn is not None:
            with self.acting():
                init_fn(worker_id)

    @contextlib.contextmanager
    def acting(self):
        """A context in which the loader reads as this worker: :func:`get_worker_info` gives
        its info, and the random streams are its own; both are put back on leaving."""
        global _current
        outer_info, outer_streams = _current, _current_streams()
        _current = self.info
        _use_streams(self._streams)
        try:
            yield
        finally:
            self._streams = _current_streams()
            _use_streams(outer_streams)
            _current = outer_info


def _own_copy(dataset):
    """A worker's copy of ``dataset``, as a forked process of its own would hold it: for an
    object of a plain class, a new object of that class with the same attributes, so that
    ``worker_init_fn`` setting ``get_worker_info().dataset.start`` changes that worker's
    alone, while the arrays and tensors it holds are shared (made without ``copy.copy``,
    which recurses forever on a dataset that hands unknown attributes to another through
    ``__getattr__``); anything else (a Tensor, an array, a list) is the object itself,
    which no worker changes."""
    kind = type(dataset)
    if kind.__new__ is not object.__new__ or not hasattr(dataset, "__dict__"):
        return dataset
    clone = object.__new__(kind)
    vars(clone).update(vars(dataset))
    return clone


def _seeded_streams(base_seed: int, worker_id: int) -> tuple:
    """The random streams of a new worker, seeded as PyTorch seeds them: the library's
    generator and ``random`` with ``base_seed + worker_id``, and NumPy's global generator
    with four words of NumPy's SeedSequence of (worker_id, the low and the high 32 bits of
    ``base_seed``, 0), which is how PyTorch mixes them."""
    seed = base_seed + worker_id
    library = generator.Generator().manual_seed(seed)
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    legacy = numpy.random.RandomState(numpy.random.SeedSequence(entropy).generate_state(4))
    return (library.rng, library.stream, library.kept_normal), random.Random(seed).getstate(), legacy.get_state()


def _current_streams() -> tuple:
    """The random streams a dataset may draw from: the library generator's two (the objects
    themselves, swapped in and out at no cost) with the normal it keeps, ``random``'s state
    and ``numpy.random``'s."""
    library = generator.default_generator
    return (library.rng, library.stream, library.kept_normal), random.getstate(), numpy.random.get_state()


def _use_streams(streams: tuple) -> None:
    library = generator.default_generator
    (library.rng, library.stream, library.kept_normal), python, legacy = streams
    random.setstate(python)
    numpy.random.set_state(legacy)
