"""PyTorch's samplers: the order in which a :class:`DataLoader` visits a dataset.

A sampler is an iterable of indices (a batch sampler, of lists of indices), made anew
on each pass; ``len(sampler)`` is how many it gives, when it knows. The loader reads
``dataset[i]`` for each index i, and batches them unless given a batch sampler.

* :class:`SequentialSampler`: 0, 1, ..., n − 1;
* :class:`RandomSampler`: a random permutation each pass, or draws with replacement;
* :class:`SubsetRandomSampler`: some indices, in a random order each pass;
* :class:`WeightedRandomSampler`: indices drawn with probability proportional to weights;
* :class:`BatchSampler`: another sampler's indices, in lists of ``batch_size``.

The random ones draw as PyTorch's do, from PyTorch's CPU stream
(:mod:`tinygrad_bn.mersenne`, :mod:`tinygrad_bn.ops.sampling`): given a
``Generator().manual_seed(s)``, or after ``manual_seed(s)`` without one, they give
PyTorch's indices for that seed, and leave the generator where PyTorch leaves its.

>>> import tinygrad_bn as torch
>>> list(RandomSampler(range(6), generator=torch.Generator().manual_seed(0)))
[2, 5, 3, 0, 1, 4]
>>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
[[0, 1, 2], [3, 4, 5], [6]]
"""

from __future__ import annotations

import numbers
import types

from tinygrad_bn import mersenne
from tinygrad_bn.errors import ArgumentError
from tinygrad_bn.generator import Generator, stream
from tinygrad_bn.ops import sampling, tensor

_RANDINT_BLOCK = 32  # PyTorch's RandomSampler draws with replacement 32 indices at a time


class Sampler:
    """The base of a sampler: a subclass writes ``__iter__``, giving indices (or lists of
    them, for a batch sampler), and ``__len__`` when it knows how many. There is no
    default ``__len__``, so that ``len()`` of a sampler without one fails at once.

    >>> class Evens(Sampler[int]):
    ...     def __init__(self, data_source):
    ...         self.data_source = data_source
    ...     def __iter__(self):
    ...         return iter(range(0, len(self.data_source), 2))
    >>> list(Evens(range(7)))
    [0, 2, 4, 6]
    """

    __class_getitem__ = classmethod(types.GenericAlias)  # Sampler[int], as in PyTorch's type hints

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} does not define __iter__")


class SequentialSampler(Sampler):
    """The indices 0, 1, ..., ``len(data_source)`` − 1, in order, every pass.

    >>> list(SequentialSampler("abc")), len(SequentialSampler("abc"))
    ([0, 1, 2], 3)
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """``num_samples`` random indices into ``data_source`` (``len(data_source)`` unless
    given), drawn anew each pass.

    Without replacement, each pass is a permutation of the n indices (PyTorch's
    ``randperm``); a ``num_samples`` above n takes whole permutations one after another
    and the start of one more. With ``replacement=True`` each index is drawn uniformly
    and independently (PyTorch's ``randint``, 32 at a time).

    The draws come from ``generator``; without one, each pass seeds a generator of its
    own with a 64-bit seed drawn from the library's (set by
    :func:`tinygrad_bn.manual_seed`), as PyTorch's does. Either way the indices are
    PyTorch's for the same seed.

    >>> import tinygrad_bn as torch
    >>> g = torch.Generator().manual_seed(0)
    >>> list(RandomSampler(range(6), replacement=True, num_samples=8, generator=g))
    [2, 3, 5, 0, 1, 3, 1, 1]
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator: Generator | None = None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be True or False, got {replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_count("RandomSampler", "num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        """The number of indices a pass gives: as given, or the dataset's length now."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        if n == 0:
            raise ArgumentError(f"RandomSampler cannot draw {self.num_samples} indices from an empty data_source")
        bits = self._stream()
        if self.replacement:
            for start in range(0, self.num_samples, _RANDINT_BLOCK):
                yield from sampling.draw_randint(bits, n, min(_RANDINT_BLOCK, self.num_samples - start)).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from mersenne.randperm(bits, n).tolist()
        yield from mersenne.randperm(bits, n)[: self.num_samples % n].tolist()  # drawn whole, as PyTorch does

    def _stream(self):
        """The stream of the pass: the generator's, or a new one seeded from the library's."""
        if self.generator is not None:
            return stream(self.generator)
        return mersenne.mt19937(mersenne.seed64(stream()))

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The entries of ``indices`` in a random order each pass (PyTorch's ``randperm`` of
    their positions, drawn from ``generator`` or the library's generator).

    >>> import tinygrad_bn as torch
    >>> list(SubsetRandomSampler([10, 20, 30, 40], generator=torch.Generator().manual_seed(0)))
    [10, 20, 40, 30]
    """

    def __init__(self, indices, generator: Generator | None = None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for position in mersenne.randperm(stream(self.generator), len(self.indices)).tolist():
            yield self.indices[position]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices into ``weights``, index i drawn with probability
    proportional to ``weights[i]`` (the weights need not sum to 1), anew each pass.

    With replacement (the default) every draw is independent; without, an index drawn
    is not drawn again in that pass, and each next one is drawn among those left, in
    proportion to their weights. The draws are PyTorch's ``multinomial``, from
    ``generator`` or the library's generator (see :mod:`tinygrad_bn.ops.sampling` for
    the one case where the order can differ: more draws without replacement than
    positive weights). Weights that are negative, infinite or NaN, or all zero, are
    refused when the pass begins, as PyTorch refuses them.

    >>> import tinygrad_bn as torch
    >>> g = torch.Generator().manual_seed(0)
    >>> list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, generator=g))
    [5, 4, 4, 5, 4]
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator: Generator | None = None):
        _check_count("WeightedRandomSampler", "num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement must be True or False, got {replacement!r}")
        self.weights = tensor(weights, dtype="float64")
        if self.weights.ndim != 1:
            raise ValueError(
                f"WeightedRandomSampler: weights must be a 1-d sequence, got shape {tuple(self.weights.shape)}"
            )
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        bits = stream(self.generator)
        yield from sampling.draw_multinomial(bits, self.weights.numpy(), self.num_samples, self.replacement).tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """The indices of ``sampler`` (any iterable of indices) in lists of ``batch_size``;
    the last list is shorter when they run out, or left out with ``drop_last=True``.
    A list is given as soon as it is full, before the next index is drawn, as in
    PyTorch; ``len()`` needs ``len(sampler)``.

    >>> list(BatchSampler(range(7), batch_size=3, drop_last=True))
    [[0, 1, 2], [3, 4, 5]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        _check_count("BatchSampler", "batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last must be True or False, got {drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        """The number of lists: ⌊len(sampler) / batch_size⌋ with ``drop_last``, else ⌈·⌉."""
        whole, rest = divmod(len(self.sampler), self.batch_size)
        return whole if self.drop_last or rest == 0 else whole + 1


def _check_count(owner: str, name: str, value):
    """Refuse a ``value`` of argument ``name`` that is not a positive integer (a NumPy
    integer will do, where PyTorch takes only Python's)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
