import numpy
import pytest

import tinygrad_bn
from tinygrad_bn.data import ArrayDataset, DataLoader, Subset, TensorDataset

pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create")  # PyTorch: more workers than cores


def numbered(n):
    """Sample i has feature i, so a batch shows which samples it holds."""
    return ArrayDataset(numpy.arange(n, dtype=numpy.float32)[:, None], numpy.arange(n) % 3)


def order(loader):
    return numpy.concatenate([x.numpy()[:, 0] for x, _ in loader]).astype(int).tolist()


@pytest.mark.parametrize(
    "n, batch_size, drop_last, sizes",
    [(10, 4, False, [4, 4, 2]), (10, 4, True, [4, 4]), (12, 4, True, [4, 4, 4]), (3, 5, False, [3])],
)
def test_batches_and_drop_last(n, batch_size, drop_last, sizes):
    loader = DataLoader(numbered(n), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(sizes)
    assert [len(x) for x, _ in loader] == sizes
    assert order(loader) == list(range(sum(sizes)))


def test_batches_are_tensors_with_float_features_and_integer_labels():
    x, y = next(iter(DataLoader(numbered(6), batch_size=4)))
    assert isinstance(x, tinygrad_bn.Tensor) and isinstance(y, tinygrad_bn.Tensor)
    assert x.dtype == numpy.float32 and y.dtype == numpy.int64 and x.device == "cpu"
    assert y.tolist() == [0, 1, 2, 0]


def test_seeded_shuffle_repeats_and_changes_between_epochs():
    first = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=7)
    second = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=7)
    epoch_1, epoch_2 = order(first), order(first)
    assert epoch_1 == order(second) and epoch_2 == order(second)
    assert epoch_1 != epoch_2
    assert sorted(epoch_1) == list(range(50)) and epoch_1 != list(range(50))


def test_shuffle_with_drop_last_drops_a_different_remainder_each_epoch():
    loader = DataLoader(numbered(10), batch_size=4, shuffle=True, drop_last=True, seed=0)
    seen = [set(order(loader)) for _ in range(5)]
    assert all(len(s) == 8 for s in seen)
    assert len({frozenset(s) for s in seen}) > 1


@pytest.mark.parametrize("skipped", [0, 1, 3])
@pytest.mark.parametrize("seed", [7, None])
def test_skipping_epochs_continues_the_order_of_an_uninterrupted_loader(skipped, seed):
    tinygrad_bn.manual_seed(5)  # the generator of a loader without a seed
    straight = DataLoader(numbered(20), batch_size=6, shuffle=True, drop_last=True, seed=seed)
    orders = [order(straight) for _ in range(skipped + 2)]
    tinygrad_bn.manual_seed(5)
    resumed = DataLoader(numbered(20), batch_size=6, shuffle=True, drop_last=True, seed=seed)
    resumed.skip_epochs(skipped)
    assert [order(resumed), order(resumed)] == orders[skipped:]


def test_skipping_epochs_of_an_unshuffled_loader_changes_nothing():
    loader = DataLoader(numbered(5), batch_size=2)
    loader.skip_epochs(3)
    assert order(loader) == [0, 1, 2, 3, 4]


def test_unseeded_shuffle_follows_manual_seed():
    tinygrad_bn.manual_seed(3)
    first = order(DataLoader(numbered(30), batch_size=30, shuffle=True))
    tinygrad_bn.manual_seed(3)
    assert order(DataLoader(numbered(30), batch_size=30, shuffle=True)) == first


def test_drop_last_that_leaves_nothing_is_an_error():
    with pytest.raises(ValueError, match="leaves no batch of a dataset of 3 samples"):
        DataLoader(numbered(3), batch_size=4, drop_last=True)


def test_bad_batch_size_is_an_error():
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        DataLoader(numbered(3), batch_size=0)


# Tensor datasets and subsets ------------------------------------------------------------


def tensor_columns(n, count):
    """``count`` tensors of first length n whose row i holds i (float, int64, float64)."""
    index = numpy.arange(n)
    return [
        tinygrad_bn.from_numpy(numpy.stack([index, -index], axis=1).astype(numpy.float32)),
        tinygrad_bn.from_numpy(index),
        tinygrad_bn.from_numpy(index / 10),
    ][:count]


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("batch_size, drop_last", [(4, False), (4, True), (10, False)])
def test_tensor_dataset_batches_match_pytorchs_loader(count, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    tensors = tensor_columns(10, count)
    ours = DataLoader(TensorDataset(*tensors), batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(*(torch.from_numpy(t.numpy()) for t in tensors)),
        batch_size=batch_size, drop_last=drop_last,
    )
    batches = list(ours)
    assert len(batches) == len(ours) == len(theirs)
    for mine, expected in zip(batches, theirs, strict=True):
        assert isinstance(mine, type(expected)) and len(mine) == count  # a list, as PyTorch gives
        for part, reference in zip(mine, expected, strict=True):
            assert f"torch.{part.dtype}" == str(reference.dtype)
            numpy.testing.assert_array_equal(part.numpy(), reference.numpy())


def test_shuffled_tensor_dataset_keeps_the_rows_of_its_tensors_together():
    loader = DataLoader(TensorDataset(*tensor_columns(20, 3)), batch_size=6, shuffle=True, seed=0)
    rows = [(x.numpy(), y.numpy(), w.numpy()) for x, y, w in loader]
    for x, y, w in rows:
        numpy.testing.assert_array_equal(x[:, 0], y)
        numpy.testing.assert_array_equal(w, y / 10)
    assert sorted(numpy.concatenate([y for _, y, _ in rows]).tolist()) == list(range(20))


def test_subset_of_a_tensor_dataset_loads_its_samples_in_its_order():
    subset = Subset(TensorDataset(*tensor_columns(10, 2)), [7, 2, 9, 4, 0])
    batches = [y.tolist() for _, y in DataLoader(subset, batch_size=2)]
    assert batches == [[7, 2], [9, 4], [0]]


def test_tensor_dataset_batches_on_the_device(strict_cuda):
    host = tensor_columns(7, 2)
    on_device = TensorDataset(*(t.to("cuda") for t in host))
    for loader in (DataLoader(on_device, batch_size=3), DataLoader(TensorDataset(*host), batch_size=3, device="cuda")):
        batches = list(loader)
        assert all(part.device == "cuda" for batch in batches for part in batch)
        assert numpy.concatenate([y.numpy() for _, y in batches]).tolist() == list(range(7))


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("source", ["generator", "manual_seed"])
def test_shuffled_orders_are_pytorchs_pass_after_pass(torch, source, drop_last):
    def orders(library):
        if source == "generator":
            options = {"generator": library.Generator().manual_seed(3)}
        else:
            library.manual_seed(3)
            options = {}
        loader = library.utils.data.DataLoader(library.utils.data.TensorDataset(library.arange(23)), batch_size=5,
                                               shuffle=True, drop_last=drop_last, **options)
        return [[int(i) for (batch,) in loader for i in batch.tolist()] for _ in range(3)]

    assert orders(tinygrad_bn) == orders(torch)


def test_concat_dataset_refuses_indices_out_of_range_as_pytorch(torch):
    from tinygrad_bn.data import ConcatDataset
    for framework, concat in ((tinygrad_bn, ConcatDataset), (torch, torch.utils.data.ConcatDataset)):
        both = concat([framework.arange(3), framework.arange(2)])
        assert both[4].item() == 1 and both[-5].item() == 0
        with pytest.raises(ValueError):
            both[-6]
        with pytest.raises(IndexError):
            both[5]


# Iterable datasets ---------------------------------------------------------------------------

def shards(library, sizes, sized=True):
    """An IterableDataset whose worker w gives (w, 0), (w, 1), ..., (w, sizes[w] - 1), and
    which gives (0, 0), ..., (0, sizes[0] - 1) without workers; ``len()`` is the total when ``sized``."""

    class Shards(library.utils.data.IterableDataset):
        def __iter__(self):
            info = library.utils.data.get_worker_info()
            worker = 0 if info is None else info.id
            return iter([(worker, i) for i in range(sizes[worker])])

    if sized:
        Shards.__len__ = lambda self: sum(sizes)
    return Shards()


def load(library, dataset, **options):
    return library.utils.data.DataLoader(dataset, **options)


BATCHINGS = [(None, False), (1, False), (3, False), (3, True), (10, False), (10, True)]


@pytest.mark.parametrize("n", [0, 5, 6])
@pytest.mark.parametrize("batch_size, drop_last", BATCHINGS)
def test_iterable_dataset_batches_and_length_are_pytorchs(torch, plain, n, batch_size, drop_last):
    def batches(library):
        loader = load(library, shards(library, [n]), batch_size=batch_size, drop_last=drop_last)
        return len(loader), plain(list(loader)), plain(list(loader))

    assert batches(tinygrad_bn) == batches(torch)


@pytest.mark.parametrize("batch_size, drop_last", BATCHINGS)
def test_an_iterable_dataset_of_tensors_batches_as_pytorchs(torch, plain, batch_size, drop_last):
    """Samples that are tensors, whose == is elementwise, end a batch only when the data does."""
    def batches(library):
        class Stream(library.utils.data.IterableDataset):
            def __iter__(self):
                return (library.tensor([float(i), -1.0]) for i in range(5))

        return plain(list(load(library, Stream(), batch_size=batch_size, drop_last=drop_last)))

    assert batches(tinygrad_bn) == batches(torch)


@pytest.mark.parametrize("sizes", [[5, 2], [2, 5], [0, 3], [1, 4, 3]])
@pytest.mark.parametrize("batch_size, drop_last", [(None, False), (2, False), (2, True)])
def test_workers_batches_of_a_split_iterable_dataset_come_in_pytorchs_order(torch, plain, sizes, batch_size,
                                                                            drop_last):
    def batches(library):
        loader = load(library, shards(library, sizes), batch_size=batch_size, drop_last=drop_last,
                      num_workers=len(sizes))
        return len(loader), plain(list(loader))

    assert batches(tinygrad_bn) == batches(torch)


def test_an_iterable_dataset_that_does_not_split_is_read_whole_by_every_worker_as_in_pytorch(torch, plain):
    def batches(library):
        class Whole(library.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(5))

        return plain(list(load(library, Whole(), batch_size=2, num_workers=2)))

    assert batches(tinygrad_bn) == batches(torch)


def stepping(library):
    """An IterableDataset that is its own iterator, stepping through 0..6 by the number of workers."""

    class Stepping(library.utils.data.IterableDataset):
        def __iter__(self):
            info = library.utils.data.get_worker_info()
            self.position, self.step = (0, 1) if info is None else (info.id, info.num_workers)
            return self

        def __next__(self):
            if self.position >= 7:
                raise StopIteration
            self.position += self.step
            return self.position - self.step

    return Stepping()


@pytest.mark.parametrize("num_workers", [0, 2])
def test_an_iterable_dataset_that_is_its_own_iterator_is_copied_per_worker_as_in_pytorch(torch, plain, num_workers):
    def batches(library):
        return [plain(list(load(library, stepping(library), batch_size=2, num_workers=num_workers)))
                for _ in range(2)]

    assert batches(tinygrad_bn) == batches(torch)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_an_iterator_that_has_stopped_is_not_asked_again_as_in_pytorch(torch, plain, num_workers):
    def batches(library):
        class Resuming(library.utils.data.IterableDataset):
            """Stops after 0..4, then would give 5, 6, ... if asked again."""

            def __iter__(self):
                self.position = 0
                return self

            def __next__(self):
                self.position += 1
                if self.position == 6 or self.position > 12:
                    raise StopIteration
                return self.position - 1

        return plain(list(load(library, Resuming(), batch_size=2, num_workers=num_workers)))

    assert batches(tinygrad_bn) == batches(torch)


def test_worker_init_fn_can_split_a_workers_copy_as_in_pytorch(torch, plain):
    def batches(library):
        class Span(library.utils.data.IterableDataset):
            def __init__(self, start, end):
                self.start, self.end = start, end

            def __iter__(self):
                return iter(range(self.start, self.end))

        def split(worker_id):
            info = library.utils.data.get_worker_info()
            copy = info.dataset
            share = (copy.end - copy.start + info.num_workers - 1) // info.num_workers
            copy.start, copy.end = copy.start + worker_id * share, min(copy.end, copy.start + (worker_id + 1) * share)

        loader = load(library, Span(3, 10), batch_size=3, num_workers=2, worker_init_fn=split)
        seen = plain(list(loader))
        assert (loader.dataset.start, loader.dataset.end) == (3, 10)
        return seen

    assert batches(tinygrad_bn) == batches(torch)


@pytest.mark.parametrize("persistent", [False, True])
def test_each_pass_iterates_the_workers_copies_anew_as_in_pytorch(torch, plain, persistent):
    def passes(library):
        class Counting(library.utils.data.IterableDataset):
            passes = 0

            def __iter__(self):
                self.passes += 1
                worker = library.utils.data.get_worker_info().id
                return iter([(worker, self.passes, i) for i in range(3)])

        loader = load(library, Counting(), batch_size=2, num_workers=2, persistent_workers=persistent)
        return [plain(list(loader)) for _ in range(2)]

    assert passes(tinygrad_bn) == passes(torch)


def test_the_length_of_an_iterable_dataset_without_one_is_an_error_as_in_pytorch(torch, plain):
    for library in (torch, tinygrad_bn):
        loader = load(library, shards(library, [4], sized=False), batch_size=3)
        with pytest.raises(TypeError):
            len(loader)
        assert plain(list(loader)) == plain(list(load(torch, shards(torch, [4]), batch_size=3)))


@pytest.mark.parametrize("persistent", [False, True])
def test_skipping_passes_of_an_iterable_dataset_draws_what_pytorchs_passes_draw(torch, persistent):
    def loader(library):
        return load(library, shards(library, [2, 1]), num_workers=2, persistent_workers=persistent,
                    generator=library.Generator().manual_seed(3))

    theirs = loader(torch)
    for _ in range(2):
        list(theirs)
    ours = loader(tinygrad_bn)
    ours.skip_epochs(2)
    assert tinygrad_bn.randperm(9, generator=ours.generator).tolist() == \
        torch.randperm(9, generator=theirs.generator).tolist()


def test_a_chain_of_iterable_datasets_loads_as_pytorchs(torch, plain):
    def batches(library):
        chain = library.utils.data.ChainDataset([shards(library, [3]), shards(library, [2])])
        loader = load(library, chain, batch_size=2)
        return len(loader), plain(list(loader))

    assert batches(tinygrad_bn) == batches(torch)
