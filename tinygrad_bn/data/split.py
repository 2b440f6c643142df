"""`Subset`, `ConcatDataset`, `StackDataset` and `random_split`, as PyTorch's: a dataset
seen through some of its indices, datasets one after another, datasets side by side,
and a seeded split of a dataset into non-overlapping subsets."""

from __future__ import annotations

import bisect
import math
import numbers
import warnings

import numpy

from tinygrad_bn import mersenne
from tinygrad_bn.data.dataset import Dataset, IterableDataset
from tinygrad_bn.generator import Generator, stream


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order. An integer or an
    integer array indexes ``dataset`` at the matching entries of ``indices``.

    >>> from tinygrad_bn import arange
    >>> from tinygrad_bn.data import TensorDataset
    >>> picked = Subset(TensorDataset(arange(10) * 10), [7, 2, 4])
    >>> len(picked), picked[-1][0].item(), picked[numpy.array([0, 1])][0].tolist()
    (3, 40, [70, 20])
    """

    def __init__(self, dataset, indices):
        shape = numpy.shape(indices)
        if len(shape) != 1:
            raise ValueError(f"Subset needs a 1-d sequence of indices, got shape {shape}")
        self.dataset = dataset
        self.indices = indices  # kept as given, as PyTorch keeps it (random_split gives lists)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, (int, numpy.integer)):
            return self.dataset[int(self.indices[index])]
        return self.dataset[numpy.asarray(self.indices, dtype=numpy.int64)[index]]


class StackDataset(Dataset):
    """Datasets of one length side by side: sample i is the tuple of their samples i
    (datasets given by position) or a dict of them (given by keyword), as PyTorch's.

    >>> from tinygrad_bn import arange
    >>> pairs = StackDataset(arange(3), arange(3) * 10)
    >>> named = StackDataset(x=arange(3), y=arange(3) * 10)
    >>> len(pairs), [t.item() for t in pairs[2]], {k: t.item() for k, t in named[1].items()}
    (3, [2, 20], {'x': 1, 'y': 10})
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset takes datasets either by position (tuple samples) or by keyword "
                             "(dict samples), not both")
        datasets = args or kwargs
        if not datasets:
            raise ValueError("StackDataset needs at least one dataset")
        parts = datasets if args else datasets.values()
        lengths = [len(d) for d in parts]
        if len(set(lengths)) > 1:
            raise ValueError(f"StackDataset needs datasets of one length, got lengths {lengths}")
        self._length = lengths[0]
        self.datasets = datasets

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)


class ConcatDataset(Dataset):
    """The samples of ``datasets`` one after another: sample i of the first, then of
    the second, and so on (``cumulative_sizes`` holds where each one ends).

    >>> from tinygrad_bn import arange
    >>> from tinygrad_bn.data import TensorDataset
    >>> both = ConcatDataset([TensorDataset(arange(3)), TensorDataset(arange(10, 12))])
    >>> len(both), both[3][0].item(), both[-1][0].item(), both.cumulative_sizes
    (5, 10, 11, [3, 5])
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        for position, dataset in enumerate(self.datasets):
            if isinstance(dataset, IterableDataset):
                raise TypeError(f"ConcatDataset joins indexable datasets, got an IterableDataset at position "
                                f"{position}; chain IterableDatasets with ChainDataset")
        self.cumulative_sizes = numpy.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError(f"ConcatDataset: index {index} is out of range for {len(self)} samples")
            index += len(self)
        part = bisect.bisect_right(self.cumulative_sizes, index)
        if part == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)} samples")
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][index - start]


def random_split(dataset, lengths, generator: Generator | None = None, *,
                 seed: int | None = None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s of the given
    ``lengths``: counts that sum to ``len(dataset)``, or fractions that sum to 1, as
    in PyTorch (see :func:`_split_sizes`).

    The samples are shuffled by ``generator`` (a :class:`tinygrad_bn.Generator`), by
    a new generator seeded with ``seed``, or else by the library's generator (set by
    :func:`tinygrad_bn.manual_seed`); the same seed gives the same split, and the split
    PyTorch's ``random_split`` makes with a generator of that seed.

    >>> from tinygrad_bn import arange
    >>> from tinygrad_bn.data import TensorDataset
    >>> train, test = random_split(TensorDataset(arange(10)), [0.75, 0.25], seed=0)
    >>> len(train), len(test), sorted(train.indices + test.indices) == list(range(10))
    (8, 2, True)
    """
    if seed is not None and generator is not None:
        raise TypeError("random_split() got both a generator and a seed; give one")
    sizes = _split_sizes(len(dataset), lengths)
    if seed is not None:
        generator = Generator().manual_seed(seed)
    order = mersenne.randperm(stream(generator), len(dataset))  # PyTorch's: randperm(n, generator)
    ends = numpy.cumsum(sizes)
    return [Subset(dataset, order[end - size : end].tolist()) for size, end in zip(sizes, ends)]


def _split_sizes(n: int, lengths) -> list[int]:
    """The sizes of the splits of ``n`` samples, by PyTorch's rule: counts as they are
    (they must sum to ``n``); fractions summing to 1 give split i ⌊fraction_i · n⌋
    samples, and the r samples left over go one each to splits 0, 1, ..., r − 1 (an
    empty split is warned about, as PyTorch does).

    >>> _split_sizes(10, [3, 7]), _split_sizes(10, [0.33, 0.33, 0.34]), _split_sizes(11, [0.5, 0.5])
    ([3, 7], [4, 3, 3], [6, 5])
    """
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split needs at least one length")
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        for position, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction {fraction} at index {position} is not between 0 and 1")
        sizes = [math.floor(n * fraction) for fraction in lengths]
        for position in range(n - sum(sizes)):
            sizes[position % len(sizes)] += 1
        for position, size in enumerate(sizes):
            if size == 0:
                warnings.warn(
                    f"random_split: split {position} gets none of the {n} samples (fractions {lengths})",
                    stacklevel=3,
                )
        return sizes
    if not all(isinstance(length, numbers.Integral) and length >= 0 for length in lengths):
        raise ValueError(
            f"random_split: lengths {lengths} are neither counts (integers ≥ 0) nor fractions that sum to 1"
        )
    if total != n:
        raise ValueError(
            f"random_split: lengths {lengths} sum to {total}, but the dataset has {n} samples; "
            f"give counts that sum to {n} or fractions that sum to 1"
        )
    return [int(length) for length in lengths]
