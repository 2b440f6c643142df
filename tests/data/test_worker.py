"""The DataLoader's workers (tinygrad_bn/data/worker.py) against PyTorch's worker processes:
``worker_init_fn``, ``get_worker_info``, each worker's copy of the dataset and its random
streams. PyTorch reads in real processes; its batches, seeds and draws are deterministic
for a seeded generator, so they are compared as they are."""

import random

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn.data import DataLoader, Dataset, WorkerInfo, get_worker_info

SEED = 3

pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create")  # PyTorch: more workers than cores


def load(library, dataset, **options):
    return library.utils.data.DataLoader(dataset, **options)


# worker_init_fn and get_worker_info ---------------------------------------------------------


def numbered(library):
    """A dataset whose sample i tells who read it: the worker's info, the reads of that
    worker's copy so far, and what its worker_init_fn left in the copy."""

    class Numbered(library.utils.data.Dataset):
        def __init__(self):
            self.reads = 0
            self.started = None

        def __len__(self):
            return 7

        def __getitem__(self, i):
            info = library.utils.data.get_worker_info()
            self.reads += 1
            if info is None:
                return i, None, self.reads, self.started
            return i, (info.id, info.num_workers, info.seed, info.dataset is self), self.reads, self.started

    return Numbered()


def starter(library):
    def start(worker_id):
        info = library.utils.data.get_worker_info()
        info.dataset.started = (worker_id, info.id)

    return start


@pytest.mark.parametrize("num_workers, persistent", [(0, False), (1, False), (2, False), (2, True), (3, True)])
def test_each_worker_reads_its_batches_with_its_info_and_copy_as_in_pytorch(torch, num_workers, persistent):
    def passes(library):
        loader = load(library, numbered(library), batch_size=2, num_workers=num_workers, collate_fn=list,
                      worker_init_fn=starter(library), persistent_workers=persistent,
                      generator=library.Generator().manual_seed(SEED))
        seen = [list(loader) for _ in range(2)]
        assert (loader.dataset.reads, loader.dataset.started) == ((14, None) if num_workers == 0 else (0, None))
        return seen

    assert passes(tinygrad_bn) == passes(torch)


def test_a_dataset_that_hands_its_attributes_on_is_read_by_workers_as_in_pytorch(torch, plain):
    def batches(library):
        class Handing(library.utils.data.Dataset):
            def __init__(self, inner):
                self.inner = inner

            def __getattr__(self, name):
                return getattr(self.inner, name)

            def __len__(self):
                return len(self.inner)

            def __getitem__(self, i):
                return self.inner[i] * 10, self.index(self.inner[i])

        return plain(list(load(library, Handing([4, 5, 6]), batch_size=2, num_workers=2)))

    assert batches(tinygrad_bn) == batches(torch)


@pytest.mark.parametrize("persistent", [False, True])
def test_worker_init_fn_is_called_for_each_worker_as_a_pass_starts_or_once_when_persistent(persistent):
    calls = []
    loader = DataLoader(range(6), batch_size=2, num_workers=3, persistent_workers=persistent,
                        worker_init_fn=calls.append)
    passes = [iter(loader)]
    assert calls == [0, 1, 2]
    passes.append(iter(loader))
    assert calls == [0, 1, 2] * (1 if persistent else 2)


def test_without_workers_worker_init_fn_is_not_called():
    calls = []
    assert len(list(DataLoader(range(6), worker_init_fn=calls.append))) == 6
    assert calls == []


def test_collate_fn_runs_on_the_worker_as_in_pytorch(torch):
    def batches(library):
        info = library.utils.data.get_worker_info
        loader = load(library, range(7), batch_size=2, num_workers=2, collate_fn=lambda samples: (info().id, samples))
        return list(loader)

    assert batches(tinygrad_bn) == batches(torch)


def test_worker_info_is_none_between_the_reads():
    loader = DataLoader(numbered(tinygrad_bn), batch_size=3, num_workers=2, collate_fn=list)
    assert [get_worker_info() for _ in loader] == [None, None, None]


def test_worker_info_cannot_be_changed_as_in_pytorch(torch):
    from torch.utils.data._utils.worker import WorkerInfo as PyTorchWorkerInfo

    for kind in (WorkerInfo, PyTorchWorkerInfo):
        info = kind(id=1, num_workers=2, seed=5, dataset=None)
        assert (info.id, info.num_workers, info.seed, info.dataset) == (1, 2, 5, None)
        with pytest.raises(AttributeError):
            info.id = 0


def test_the_new_names_are_where_pytorch_has_them(torch):
    import tinygrad_bn.utils.data as utils_data

    for name in ("get_worker_info", "IterableDataset", "ChainDataset"):
        assert hasattr(torch.utils.data, name)
        assert getattr(utils_data, name) is getattr(tinygrad_bn.data, name)


# Random streams ------------------------------------------------------------------------------


def drawing(library):
    """A dataset whose samples are random draws from ``random``, ``numpy.random`` and the library's generator."""

    class Drawing(library.utils.data.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return random.randrange(1000), int(numpy.random.randint(1000)), library.randperm(6).tolist()

    return Drawing()


def seed_everything(library):
    library.manual_seed(SEED)
    random.seed(SEED)
    numpy.random.seed(SEED)


@pytest.mark.parametrize("num_workers, persistent", [(0, False), (2, False), (2, True)])
def test_draws_on_workers_are_pytorchs_and_leave_the_main_streams_as_pytorch_does(torch, num_workers, persistent):
    def run(library):
        seed_everything(library)
        loader = load(library, drawing(library), batch_size=2, shuffle=True, num_workers=num_workers, collate_fn=list,
                      persistent_workers=persistent)
        passes = [list(loader) for _ in range(2)]
        return passes, random.random(), float(numpy.random.rand()), library.randperm(8).tolist()

    assert run(tinygrad_bn) == run(torch)


def test_a_worker_that_fails_leaves_the_main_process_as_it_was():
    class Failing(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            random.random()
            numpy.random.rand()
            raise KeyError(i)

    random.seed(SEED)
    numpy.random.seed(SEED)
    expected = random.random(), numpy.random.rand()
    random.seed(SEED)
    numpy.random.seed(SEED)
    with pytest.raises(KeyError):
        list(DataLoader(Failing(), num_workers=2))
    assert get_worker_info() is None
    assert (random.random(), numpy.random.rand()) == expected


@pytest.mark.parametrize("persistent", [False, True])
def test_the_generator_is_drawn_from_as_pytorchs_workers_draw_it(torch, persistent):
    def after(library):
        generator = library.Generator().manual_seed(SEED)
        loader = load(library, library.arange(6), batch_size=2, num_workers=2, persistent_workers=persistent,
                      generator=generator)
        for _ in range(3):
            list(loader)
        return library.randperm(10, generator=generator).tolist()

    assert after(tinygrad_bn) == after(torch)


@pytest.mark.parametrize("persistent", [False, True])
def test_skipped_passes_draw_what_pytorchs_passes_draw(torch, plain, persistent):
    def loader(library):
        return load(library, library.arange(6), batch_size=4, shuffle=True, num_workers=2,
                    persistent_workers=persistent, generator=library.Generator().manual_seed(SEED))

    theirs = loader(torch)
    third = [plain(list(theirs)) for _ in range(3)][2]
    expected = third, torch.randperm(10, generator=theirs.generator).tolist()
    ours = loader(tinygrad_bn)
    ours.skip_epochs(2)
    assert (plain(list(ours)), tinygrad_bn.randperm(10, generator=ours.generator).tolist()) == expected
