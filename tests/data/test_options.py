"""The DataLoader's arguments (tinygrad_bn/data/options.py) against PyTorch's: what it
refuses, with which kind of error, and what it keeps."""

import pytest

import tinygrad_bn

SEED = 3


def load(library, dataset, **options):
    return library.utils.data.DataLoader(dataset, **options)


# The options of workers ----------------------------------------------------------------------

REFUSED = [
    ({"num_workers": -1}, ValueError, "num_workers must be an integer ≥ 0.*got -1"),
    ({"timeout": -1}, ValueError, "timeout .* must be ≥ 0.*got -1"),
    ({"num_workers": 1, "timeout": -0.5}, ValueError, "got -0.5"),
    ({"prefetch_factor": 2}, ValueError, "num_workers=0 starts no worker.*got prefetch_factor=2"),
    ({"persistent_workers": True}, ValueError, "got persistent_workers=True"),
    ({"multiprocessing_context": "fork"}, ValueError, "got multiprocessing_context='fork'"),
    ({"num_workers": 1, "prefetch_factor": -1}, ValueError, "prefetch_factor must be a positive integer.*got -1"),
    ({"num_workers": 1, "multiprocessing_context": "nope"}, ValueError, "one of the start methods.*got 'nope'"),
    ({"num_workers": 1, "multiprocessing_context": 3}, TypeError, "name or a multiprocessing context, got int"),
]


@pytest.mark.parametrize("options, error, message", REFUSED)
def test_worker_options_pytorch_refuses_are_refused(torch, options, error, message):
    with pytest.raises(error):
        load(torch, range(4), **options)
    with pytest.raises(error, match=message):
        load(tinygrad_bn, range(4), **options)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # PyTorch's half-made iterator
@pytest.mark.parametrize("options", [{"timeout": 1}, {"num_workers": 1, "prefetch_factor": 0}])
def test_options_pytorch_refuses_when_a_pass_starts_are_refused_at_once(torch, options):
    theirs = load(torch, range(4), **options)
    with pytest.raises(AssertionError):
        iter(theirs)
    with pytest.raises(ValueError, match="got (timeout=1|0)"):
        load(tinygrad_bn, range(4), **options)


KEPT = ("num_workers", "timeout", "prefetch_factor", "persistent_workers", "pin_memory_device", "in_order")


@pytest.mark.parametrize("options", [
    {},
    {"num_workers": 2},
    {"num_workers": 2, "prefetch_factor": 4, "persistent_workers": True, "timeout": 5.0},
    {"num_workers": 1, "multiprocessing_context": "fork", "in_order": False, "pin_memory_device": "cpu"},
])
def test_worker_options_are_kept_as_pytorch_keeps_them_and_change_no_batch(torch, plain, options):
    def kept(library):
        loader = load(library, library.arange(10), batch_size=3, **options)
        context = loader.multiprocessing_context
        method = None if context is None else context.get_start_method()
        return [getattr(loader, name) for name in KEPT], method, plain(list(loader))

    assert kept(tinygrad_bn) == kept(torch)


def test_arguments_take_pytorchs_positions(torch, plain):
    def batches(library):
        generator = library.Generator().manual_seed(SEED)
        loader = library.utils.data.DataLoader(library.arange(10), 4, True, None, None, 0, None, False, True, 0,
                                               None, None, generator)
        return plain(list(loader)), loader.drop_last, loader.generator is generator

    assert batches(tinygrad_bn) == batches(torch)


# An IterableDataset's --------------------------------------------------------------------------


def stream(library):
    """An IterableDataset of ``library`` giving 0, 1, 2."""

    class Stream(library.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    return Stream()


@pytest.mark.parametrize("options, message", [
    ({"shuffle": True}, "shuffle must be left unset .*got shuffle=True"),
    ({"sampler": [0, 1]}, "takes no sampler; got sampler=\\[0, 1\\]"),
    ({"batch_sampler": [[0, 1]]}, "takes no batch_sampler; got batch_sampler=\\[\\[0, 1\\]\\]"),
])
def test_an_iterable_dataset_takes_no_order_as_in_pytorch(torch, options, message):
    with pytest.raises(ValueError):
        load(torch, stream(torch), **options)
    with pytest.raises(ValueError, match=message):
        load(tinygrad_bn, stream(tinygrad_bn), **options)


@pytest.mark.parametrize("shuffle", [False, None])
def test_an_iterable_dataset_takes_shuffle_unset_as_pytorch(torch, plain, shuffle):
    def batches(library):
        return plain(list(load(library, stream(library), batch_size=2, shuffle=shuffle)))

    assert batches(tinygrad_bn) == batches(torch)
