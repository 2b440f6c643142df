"""The DataLoader's arguments, checked as PyTorch's DataLoader checks them: options that
exclude each other, an IterableDataset's (which decides its order itself), and the
options of worker processes. Each error says what was expected and what was given.

>>> worker_options(2, 0, None, False, None)
(2, None)
>>> worker_options(0, 0, 2, False, None)
Traceback (most recent call last):
    ...
ValueError: DataLoader: num_workers=0 starts no worker processes, ... got prefetch_factor=2 ...
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import numbers

DEFAULT_PREFETCH_FACTOR = 2  # PyTorch's batches read ahead per worker, kept for scripts that read it


def check_options(batch_size, shuffle, sampler, batch_sampler, drop_last, seed, generator):
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


def check_iterable_options(shuffle, sampler, batch_sampler):
    """Refuse what an IterableDataset decides itself, its order, as PyTorch's DataLoader does."""
    if shuffle not in (False, None):
        raise ValueError(f"DataLoader: an IterableDataset gives its samples in its own order, so shuffle must be "
                         f"left unset (False or None), got shuffle={shuffle!r}")
    for name, given in (("sampler", sampler), ("batch_sampler", batch_sampler)):
        if given is not None:
            raise ValueError(f"DataLoader: an IterableDataset gives its samples in its own order, so it takes no "
                             f"{name}; got {name}={given!r}")


def check_some_batch(dataset, sampler, batch_size: int, drop_last: bool):
    """Refuse ``drop_last`` with a batch larger than a pass (PyTorch would give no batches)."""
    if not drop_last or not hasattr(sampler, "__len__") or len(sampler) >= batch_size:
        return
    count = len(sampler)
    source = f"a dataset of {count} samples" if count == len(dataset) else f"the {count} samples the sampler gives"
    raise ValueError(
        f"drop_last=True with batch_size={batch_size} leaves no batch of {source}: use a smaller batch size"
    )


def worker_options(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context):
    """``prefetch_factor`` and ``multiprocessing_context`` as a loader keeps them (the
    factor 2 by default with workers, a start method's name as its context), after PyTorch's
    checks of the worker options; the errors say what was expected and what was given."""
    if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
        raise ValueError(f"DataLoader: num_workers must be an integer ≥ 0 (0 reads in this process), "
                         f"got {num_workers!r}")
    if timeout < 0:
        raise ValueError(f"DataLoader: timeout is the seconds to wait for a worker's batch and must be ≥ 0 "
                         f"(0 waits as long as it takes), got {timeout!r}")
    if num_workers == 0:
        _check_without_workers(timeout, prefetch_factor, persistent_workers, multiprocessing_context)
        return None, None
    if prefetch_factor is None:
        prefetch_factor = DEFAULT_PREFETCH_FACTOR
    if not isinstance(prefetch_factor, numbers.Integral) or prefetch_factor <= 0:
        raise ValueError(f"DataLoader: prefetch_factor must be a positive integer (batches read ahead per worker), "
                         f"got {prefetch_factor!r}")
    return prefetch_factor, _start_method(multiprocessing_context)


def _check_without_workers(timeout, prefetch_factor, persistent_workers, multiprocessing_context):
    """Refuse the worker options PyTorch refuses with ``num_workers=0`` (a ``timeout``
    when the pass starts, the others at once)."""
    given = []
    if timeout:
        given.append(f"timeout={timeout!r}")
    if prefetch_factor is not None:
        given.append(f"prefetch_factor={prefetch_factor!r}")
    if persistent_workers:
        given.append(f"persistent_workers={persistent_workers!r}")
    if multiprocessing_context is not None:
        given.append(f"multiprocessing_context={multiprocessing_context!r}")
    if given:
        raise ValueError("DataLoader: num_workers=0 starts no worker processes, so the options of workers must be "
                         f"left unset; got {', '.join(given)} (give num_workers > 0 to use them)")


def _start_method(context):
    """A ``multiprocessing_context`` as PyTorch takes one: None, a start method's name
    (made into its context) or a context."""
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(f"DataLoader: multiprocessing_context must be one of the start methods {methods}, "
                             f"got {context!r}")
        return multiprocessing.get_context(context)
    if context is not None and not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(f"DataLoader: multiprocessing_context must be a start method's name or a multiprocessing "
                        f"context, got {type(context).__name__}")
    return context
