"""Datasets held in memory: `ArrayDataset` (features and integer labels as host
NumPy arrays, with a seeded train/test split) and PyTorch's `TensorDataset`; PyTorch's
`Dataset`, the base of a user's own dataset, read one sample at a time; and PyTorch's
`IterableDataset`, a stream of samples read in the order it gives them, with
`ChainDataset`, streams one after another."""

from __future__ import annotations

import numpy

from tinygrad_bn.autograd import Tensor


class Dataset:
    """PyTorch's ``Dataset``: a subclass writes ``__len__`` and ``__getitem__(i)``, which
    gives sample i (Tensors, arrays, numbers, or a tuple or dict of them); :class:`DataLoader` collates
    samples into batches.

    >>> from tinygrad_bn import tensor
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, i):
    ...         return tensor([float(i)]), i * i
    >>> from tinygrad_bn.data import DataLoader
    >>> [y.tolist() for x, y in DataLoader(Squares(), batch_size=2)]
    [[0, 1], [4, 9]]
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")


class IterableDataset(Dataset):
    """PyTorch's ``IterableDataset``: a subclass writes ``__iter__``, which gives the
    samples one after another (lines of a file, records of a stream, samples made on the
    fly), and ``__len__`` when it knows how many. :class:`DataLoader` batches them in the
    order they come; it takes no sampler and no ``shuffle``, since the dataset decides
    the order.

    With ``num_workers=n`` each of the n workers iterates a copy of its own, as in
    PyTorch, so a dataset that does not split its samples among the workers gives each
    sample n times. To split them, ``__iter__`` (or ``worker_init_fn``) reads
    :func:`get_worker_info`: None in a loader without workers, else the worker's ``id``
    and ``num_workers``.

    >>> from tinygrad_bn.data import DataLoader, get_worker_info
    >>> class Evens(IterableDataset):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         info = get_worker_info()
    ...         share = 0 if info is None else info.id
    ...         step = 1 if info is None else info.num_workers
    ...         return iter(range(2 * share, 2 * self.n, 2 * step))
    >>> [batch.tolist() for batch in DataLoader(Evens(5), batch_size=2)]
    [[0, 2], [4, 6], [8]]
    >>> [batch.tolist() for batch in DataLoader(Evens(5), batch_size=2, num_workers=2)]
    [[0, 4], [2, 6], [8]]
    >>> list(Evens(2) + Evens(1))
    [0, 2, 0]
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} does not define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """PyTorch's ``ChainDataset``: the samples of each of ``datasets`` (each an
    :class:`IterableDataset`) one after another; ``len()`` is the sum of theirs.

    >>> class Count(IterableDataset):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         return iter(range(self.n))
    ...     def __len__(self):
    ...         return self.n
    >>> both = ChainDataset([Count(2), Count(3)])
    >>> list(both), len(both)
    ([0, 1, 0, 1, 2], 5)
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        for position, dataset in enumerate(self.datasets):
            if not isinstance(dataset, IterableDataset):
                raise TypeError(f"ChainDataset chains IterableDatasets, got {type(dataset).__name__} at position "
                                f"{position}; join indexable datasets with ConcatDataset")

    def __iter__(self):
        for dataset in self.datasets:
            yield from dataset

    def __len__(self) -> int:
        return sum(len(dataset) for dataset in self.datasets)


class ArrayDataset:
    """Samples ``features[i]`` with integer labels ``labels[i]``, kept on the host.

    Indexing with an integer array gives a batch: ``(features[index], labels[index])``.

    >>> import numpy
    >>> data = ArrayDataset(numpy.zeros((5, 2)), numpy.array([0, 1, 1, 0, 1]))
    >>> len(data), data.feature_shape, data.num_classes
    (5, (2,), 2)
    >>> x, y = data[numpy.array([1, 2])]
    >>> x.shape, y.tolist()
    ((2, 2), [1, 1])
    """

    def __init__(self, features, labels, num_classes: int | None = None, name: str = "arrays"):
        features = numpy.asarray(features, dtype=numpy.float32)
        labels = numpy.asarray(labels)
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise ValueError(
                f"labels must be a 1-d integer array, got shape {labels.shape} of dtype {labels.dtype}"
            )
        if len(features) != len(labels):
            raise ValueError(f"{len(features)} samples of features but {len(labels)} labels")
        self.features = features
        self.labels = labels.astype(numpy.int64)
        self.num_classes = int(num_classes if num_classes is not None else self.labels.max(initial=-1) + 1)
        self.name = name

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        return self.features[index], self.labels[index]

    @property
    def feature_shape(self) -> tuple:
        """The shape of one sample, e.g. ``(1, 8, 8)`` for a digit image."""
        return self.features.shape[1:]

    def subset(self, index, name: str | None = None) -> ArrayDataset:
        """The samples at ``index`` as a new dataset with the same classes."""
        features, labels = self[index]
        return ArrayDataset(features, labels, self.num_classes, name or self.name)

    def split(self, test_fraction: float = 0.2, seed: int = 0) -> tuple[ArrayDataset, ArrayDataset]:
        """A seeded random ``(train, test)`` split; the same seed gives the same split."""
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
        order = numpy.random.default_rng(seed).permutation(len(self))
        n_test = max(1, round(test_fraction * len(self)))
        return (
            self.subset(numpy.sort(order[n_test:]), f"{self.name}/train"),
            self.subset(numpy.sort(order[:n_test]), f"{self.name}/test"),
        )

    def __repr__(self):
        return (
            f"ArrayDataset({self.name!r}, {len(self)} samples of shape {self.feature_shape}, "
            f"{self.num_classes} classes)"
        )


class TensorDataset:
    """PyTorch's ``TensorDataset``: sample i is ``tuple(t[i] for t in tensors)``.

    The tensors share their first length, the number of samples. Indexing with an
    integer array gives a batch the same way, which is how :class:`DataLoader` reads it.

    >>> import numpy
    >>> from tinygrad_bn import arange, zeros
    >>> data = TensorDataset(zeros(5, 2), arange(5))
    >>> x, y = data[numpy.array([1, 3])]
    >>> len(data), x.shape, y.tolist()
    (5, (2, 2), [1, 3])
    """

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for position, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset expects Tensors, got {type(t).__name__} at position {position}")
            if t.ndim == 0:
                raise ValueError(
                    f"TensorDataset needs tensors of at least one dimension, got shape () at position {position}"
                )
        lengths = [t.shape[0] for t in tensors]
        if len(set(lengths)) > 1:
            shapes = ", ".join(str(t.shape) for t in tensors)
            raise ValueError(f"TensorDataset needs tensors of one first length, got shapes {shapes}")
        self.tensors = tensors

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)
