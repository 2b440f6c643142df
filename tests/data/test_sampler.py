"""The samplers, and the DataLoader's sampler=, batch_sampler= and batch_size=None: the
indices PyTorch gives for the same seed (against PyTorch where installed), the
distributions of the random draws (a chi-square test at a fixed seed), lengths and errors."""

import math

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn.data import ArrayDataset, TensorDataset
from tinygrad_bn.utils import data
from tinygrad_bn.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

WEIGHTS = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6, 0.0]


def seeded(seed):
    return tinygrad_bn.Generator().manual_seed(seed)


def numbered(n):
    """Sample i has feature i, so a batch shows which samples it holds."""
    return ArrayDataset(numpy.arange(n, dtype=numpy.float32)[:, None], numpy.arange(n) % 3)


def visited(loader):
    """The samples a pass of ``loader`` over :func:`numbered` visits, batch by batch."""
    return [x.numpy()[:, 0].astype(int).tolist() for x, _ in loader]


def assert_fits(counts, probabilities):
    """A chi-square test of ``counts`` against ``probabilities`` at the 0.1% level (the
    quantile by Wilson and Hilferty's approximation)."""
    counts, probabilities = numpy.asarray(counts, dtype=float), numpy.asarray(probabilities, dtype=float)
    expected = probabilities / probabilities.sum() * counts.sum()
    statistic = ((counts - expected) ** 2 / expected).sum()
    df = len(counts) - 1
    limit = df * (1 - 2 / (9 * df) + 3.09 * math.sqrt(2 / (9 * df))) ** 3
    assert statistic < limit, f"chi-square {statistic:.1f} ≥ {limit:.1f}: counts {counts} for {expected}"


# Sequential and batch samplers ----------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 7])
def test_sequential_sampler_counts_up(n):
    sampler = SequentialSampler(range(n))
    assert list(sampler) == list(range(n)) and len(sampler) == n


@pytest.mark.parametrize(
    "n, batch_size, drop_last, sizes",
    [(10, 3, False, [3, 3, 3, 1]), (10, 3, True, [3, 3, 3]), (9, 3, False, [3, 3, 3]), (9, 3, True, [3, 3, 3]),
     (2, 3, False, [2]), (2, 3, True, []), (0, 2, False, [])],
)
def test_batch_sampler_cuts_the_indices_into_lists(n, batch_size, drop_last, sizes):
    batches = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    assert [len(batch) for batch in batches] == sizes and len(batches) == len(sizes)
    assert sum(batches, []) == list(range(sum(sizes)))


def test_batch_sampler_gives_a_full_list_before_drawing_the_next_index():
    drawn = []

    def indices():
        for i in range(10):
            drawn.append(i)
            yield i

    batches = iter(BatchSampler(indices(), 4, drop_last=True))
    assert next(batches) == [0, 1, 2, 3] and drawn == [0, 1, 2, 3]


def test_a_sampler_of_ones_own_subclasses_sampler_as_in_pytorch():
    class Evens(Sampler[int]):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

    assert list(Evens(7)) == [0, 2, 4, 6] and Sampler[list[int]] is not None
    with pytest.raises(NotImplementedError, match="Sampler does not define __iter__"):
        iter(Sampler())
    with pytest.raises(TypeError):
        len(Evens(7))


# Random samplers: orders, seeds and distributions ----------------------------------------


@pytest.mark.parametrize("n, num_samples", [(7, None), (7, 3), (7, 7), (7, 16), (1, 3)])
def test_random_sampler_without_replacement_gives_whole_permutations_then_part_of_one(n, num_samples):
    indices = list(RandomSampler(range(n), num_samples=num_samples, generator=seeded(0)))
    expected_count = n if num_samples is None else num_samples
    assert len(indices) == expected_count == len(RandomSampler(range(n), num_samples=num_samples))
    for start in range(0, expected_count, n):
        block = indices[start : start + n]
        assert len(set(block)) == len(block) and set(block) <= set(range(n))
        assert len(block) < n or sorted(block) == list(range(n))


SAMPLERS = {
    "random": lambda generator: RandomSampler(range(30), generator=generator),
    "random-replacement": lambda generator: RandomSampler(range(30), True, 40, generator=generator),
    "subset": lambda generator: SubsetRandomSampler(list(range(100, 130)), generator=generator),
    "weighted": lambda generator: WeightedRandomSampler(WEIGHTS, 30, generator=generator),
    "weighted-no-replacement": lambda generator: WeightedRandomSampler(WEIGHTS, 6, False, generator=generator),
}


@pytest.mark.parametrize("make", SAMPLERS.values(), ids=SAMPLERS)
def test_a_seed_repeats_the_passes_and_each_pass_draws_anew(make):
    first, second = make(seeded(3)), make(seeded(3))
    passes = [list(first) for _ in range(3)]
    assert [list(second) for _ in range(3)] == passes
    assert passes[0] != passes[1] and passes[0] != list(make(seeded(4)))


@pytest.mark.parametrize("make", SAMPLERS.values(), ids=SAMPLERS)
def test_without_a_generator_the_draws_follow_manual_seed(make):
    tinygrad_bn.manual_seed(5)
    first = list(make(None))
    tinygrad_bn.manual_seed(5)
    assert list(make(None)) == first
    tinygrad_bn.manual_seed(6)
    assert list(make(None)) != first


@pytest.mark.parametrize("generator", [None, 2], ids=["manual_seed", "generator"])
@pytest.mark.parametrize("make", [lambda g: RandomSampler(range(3), generator=g),
                                  lambda g: SubsetRandomSampler([0, 1, 2], generator=g)], ids=["random", "subset"])
def test_every_permutation_is_equally_likely(make, generator):
    tinygrad_bn.manual_seed(0)
    sampler = make(None if generator is None else seeded(generator))
    draws = [tuple(sampler) for _ in range(1800)]
    permutations = sorted(set(draws))
    assert len(permutations) == 6
    assert_fits([draws.count(p) for p in permutations], [1] * 6)


@pytest.mark.parametrize("num_samples", [5, 20000])
def test_random_sampler_with_replacement_draws_uniformly(num_samples):
    sampler = RandomSampler(range(10), replacement=True, num_samples=num_samples, generator=seeded(1))
    indices = [i for _ in range(20000 // num_samples) for i in sampler]
    assert_fits(numpy.bincount(indices, minlength=10), [1] * 10)


@pytest.mark.parametrize("num_samples", [1, 20000])
def test_weighted_sampler_with_replacement_draws_in_proportion_to_the_weights(num_samples):
    sampler = WeightedRandomSampler(WEIGHTS, num_samples, generator=seeded(2))
    counts = numpy.bincount([i for _ in range(20000 // num_samples) for i in sampler], minlength=len(WEIGHTS))
    assert counts[-1] == 0  # weight 0
    assert_fits(counts[:-1], WEIGHTS[:-1])


def test_weighted_sampler_without_replacement_draws_each_next_among_those_left():
    weights = [1.0, 2.0, 3.0, 4.0]
    sampler = WeightedRandomSampler(weights, 2, replacement=False, generator=seeded(3))
    pairs = [tuple(sampler) for _ in range(8000)]
    cells = [(i, j) for i in range(4) for j in range(4) if i != j]
    # P(i, then j) = wᵢ / W · wⱼ / (W − wᵢ)
    probabilities = [weights[i] / 10 * weights[j] / (10 - weights[i]) for i, j in cells]
    assert all(i != j for i, j in pairs)
    assert_fits([pairs.count(cell) for cell in cells], probabilities)


def test_weighted_sampler_without_replacement_draws_zero_weights_last():
    indices = list(WeightedRandomSampler([0.0, 1.0, 0.0, 5.0], 4, replacement=False, generator=seeded(0)))
    assert sorted(indices[:2]) == [1, 3] and sorted(indices[2:]) == [0, 2]


def test_subset_random_sampler_visits_its_indices_in_a_new_order_each_pass():
    sampler = SubsetRandomSampler([5, 50, 500, 5000, 7, 70], generator=seeded(1))
    passes = [list(sampler) for _ in range(2)]
    assert all(sorted(p) == [5, 7, 50, 70, 500, 5000] for p in passes) and passes[0] != passes[1]
    assert len(sampler) == 6


def test_random_sampler_follows_a_dataset_that_grows():
    samples = list(range(3))
    sampler = RandomSampler(samples)
    samples.extend([3, 4])
    assert len(sampler) == 5 and sorted(sampler) == [0, 1, 2, 3, 4]


def test_numpy_integers_count_as_integers():
    assert len(RandomSampler(range(5), num_samples=numpy.int64(3))) == 3
    assert len(WeightedRandomSampler(WEIGHTS, numpy.int32(4))) == 4
    assert len(BatchSampler(range(5), numpy.int64(2), False)) == 3


# Errors ----------------------------------------------------------------------------------

BAD_ARGUMENTS = {
    "replacement-not-bool": (lambda d: d.RandomSampler(range(3), replacement=1), TypeError,
                             "replacement must be True or False, got 1"),
    "num_samples-zero": (lambda d: d.RandomSampler(range(3), num_samples=0), ValueError,
                         "num_samples must be a positive integer, got 0"),
    "num_samples-float": (lambda d: d.RandomSampler(range(3), num_samples=2.0), ValueError, "got 2.0"),
    "empty-data-source": (lambda d: d.RandomSampler([]), ValueError, "num_samples must be a positive integer, got 0"),
    "weighted-num_samples-bool": (lambda d: d.WeightedRandomSampler([1, 2], True), ValueError, "got True"),
    "weighted-num_samples-negative": (lambda d: d.WeightedRandomSampler([1, 2], -1), ValueError, "got -1"),
    "weighted-replacement-not-bool": (lambda d: d.WeightedRandomSampler([1, 2], 2, replacement="no"), ValueError,
                                      "replacement must be True or False, got 'no'"),
    "weights-2d": (lambda d: d.WeightedRandomSampler([[1, 2]], 2), ValueError, r"1-d sequence, got shape \(1, 2\)"),
    "weights-scalar": (lambda d: d.WeightedRandomSampler(3.0, 2), ValueError, r"1-d sequence, got shape \(\)"),
    "batch_size-zero": (lambda d: d.BatchSampler(range(3), 0, False), ValueError,
                        "batch_size must be a positive integer, got 0"),
    "drop_last-not-bool": (lambda d: d.BatchSampler(range(3), 2, None), ValueError,
                           "drop_last must be True or False, got None"),
    "loader-sampler-and-shuffle": (lambda d: d.DataLoader(range(5), sampler=[0, 1], shuffle=True), ValueError,
                                   "cannot be combined with shuffle=True"),
    "loader-batch_sampler-and-batch_size": (lambda d: d.DataLoader(range(5), batch_size=2, batch_sampler=[[0]]),
                                            ValueError, "excludes batch_size, .*; got batch_size beside it"),
    "loader-batch_sampler-and-others": (
        lambda d: d.DataLoader(range(5), sampler=[0], batch_sampler=[[0]], drop_last=True),
        ValueError, "got sampler and drop_last beside it"),
    "loader-batch_sampler-and-shuffle": (lambda d: d.DataLoader(range(5), shuffle=True, batch_sampler=[[0]]),
                                         ValueError, "got shuffle beside it"),
    "loader-unbatched-drop_last": (lambda d: d.DataLoader(range(5), batch_size=None, drop_last=True), ValueError,
                                   "batch_size=None loads samples unbatched"),
    "loader-batch_size-zero": (lambda d: d.DataLoader(range(5), batch_size=0), ValueError,
                               "batch_size must be a positive integer, got 0"),
}


@pytest.mark.parametrize("make, kind, words", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS)
def test_bad_arguments_are_refused(make, kind, words):
    with pytest.raises(kind, match=words):
        make(data)


@pytest.mark.parametrize("make, kind, words", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS)
def test_bad_arguments_raise_pytorchs_kind_of_error(torch, make, kind, words):
    with pytest.raises(kind):
        make(torch.utils.data)


BAD_WEIGHTS = {
    "negative": ([1.0, -2.0], 2, True),
    "infinite": ([1.0, numpy.inf], 2, True),
    "nan": ([numpy.nan, 1.0], 1, False),
    "all-zero": ([0.0, 0.0], 2, True),
    "more-than-there-are": ([1.0, 2.0], 3, False),
}


@pytest.mark.parametrize("weights, num_samples, replacement", BAD_WEIGHTS.values(), ids=BAD_WEIGHTS)
def test_bad_weights_are_refused_when_the_pass_begins_as_in_pytorch(weights, num_samples, replacement):
    sampler = WeightedRandomSampler(weights, num_samples, replacement)
    with pytest.raises(RuntimeError) as error:
        list(sampler)
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize("replacement", [False, True])
def test_drawing_from_an_empty_data_source_is_an_error_when_the_pass_begins(replacement):
    samples = [0]
    sampler = RandomSampler(samples, replacement, num_samples=3)
    samples.clear()
    with pytest.raises(RuntimeError, match="cannot draw 3 indices from an empty data_source") as error:
        list(sampler)
    assert isinstance(error.value, ValueError)


def test_drop_last_with_a_sampler_shorter_than_a_batch_is_an_error():
    with pytest.raises(ValueError, match="leaves no batch of the 3 samples the sampler gives"):
        DataLoader(numbered(10), batch_size=4, drop_last=True, sampler=[1, 2, 3])


# The DataLoader with samplers ------------------------------------------------------------

LOADER_SAMPLERS = {
    "list": lambda n, generator: [n - 1, 0, n - 1, 3, 5],
    "sequential": lambda n, generator: SequentialSampler(range(n)),
    "random": lambda n, generator: RandomSampler(range(n), generator=generator),
    "random-more": lambda n, generator: RandomSampler(range(n), num_samples=2 * n + 3, generator=generator),
    "random-replacement": lambda n, generator: RandomSampler(range(n), True, 9, generator=generator),
    "subset": lambda n, generator: SubsetRandomSampler([1, 4, 6, 7], generator=generator),
    "weighted": lambda n, generator: WeightedRandomSampler(numpy.arange(n) % 3, 11, generator=generator),
}


@pytest.mark.parametrize("dataset", [numbered, lambda n: [(float(i), i % 3) for i in range(n)]],
                         ids=["read-a-batch-at-a-time", "read-sample-by-sample"])
@pytest.mark.parametrize("batch_size, drop_last", [(4, False), (4, True), (1, False)])
@pytest.mark.parametrize("make", LOADER_SAMPLERS.values(), ids=LOADER_SAMPLERS)
def test_the_loader_visits_the_samplers_indices_in_batches(make, batch_size, drop_last, dataset):
    n = 10
    indices = list(make(n, seeded(7)))
    loader = DataLoader(dataset(n), batch_size=batch_size, drop_last=drop_last, sampler=make(n, seeded(7)))
    batches = [x.numpy().reshape(-1).astype(int).tolist() for x, _ in loader]
    whole = len(indices) // batch_size * batch_size if drop_last else len(indices)
    assert sum(batches, []) == indices[:whole]
    assert all(len(batch) == batch_size for batch in batches[:-1]) and len(batches) == len(loader)


def test_batch_sampler_makes_the_loaders_batches():
    batch_sampler = [[3, 1], [0], [2, 2, 2]]
    loader = DataLoader(numbered(5), batch_sampler=batch_sampler)
    assert visited(loader) == batch_sampler and len(loader) == 3
    assert loader.batch_size is None and loader.drop_last is False


def test_a_batch_sampler_of_a_random_sampler_reads_what_it_draws():
    batch_sampler = BatchSampler(RandomSampler(range(11), generator=seeded(1)), 4, drop_last=True)
    expected = list(BatchSampler(RandomSampler(range(11), generator=seeded(1)), 4, drop_last=True))
    loader = DataLoader(TensorDataset(tinygrad_bn.arange(11) * 10), batch_sampler=batch_sampler)
    assert [(x // 10).tolist() for (x,) in loader] == expected and len(loader) == 2


def test_unbatched_loader_gives_samples_one_by_one():
    dataset = numbered(4)
    loader = DataLoader(dataset, batch_size=None, sampler=[2, 0])
    samples = list(loader)
    assert len(loader) == 2 and len(samples) == 2
    for (x, y), i in zip(samples, [2, 0]):
        assert isinstance(x, tinygrad_bn.Tensor) and x.shape == (1,) and x.dtype == numpy.float32
        assert x.tolist() == [float(i)] and y.shape == () and y.item() == i % 3
    assert list(DataLoader([5, "a", 2.5], batch_size=None)) == [5, "a", 2.5]
    assert list(DataLoader([(1, 2)], batch_size=None, collate_fn=lambda sample: sample)) == [(1, 2)]


@pytest.mark.parametrize("seed", [7, None])
def test_skipping_epochs_with_a_sampler_continues_an_uninterrupted_loader(seed):
    def loader():
        tinygrad_bn.manual_seed(2)
        generator = None if seed is None else seeded(seed)
        return DataLoader(numbered(13), batch_size=4, sampler=RandomSampler(range(13), True, 10, generator=generator))

    straight = loader()
    passes = [visited(straight) for _ in range(4)]
    resumed = loader()
    resumed.skip_epochs(2)
    assert [visited(resumed), visited(resumed)] == passes[2:]


# Against PyTorch -------------------------------------------------------------------------


def pytorch_like(library):
    """The sampler and loader names of ``library`` (tinygrad_bn or torch)."""
    return library.utils.data


def draw(library, source, seed=3):
    """A generator seeded with ``seed``, or None after seeding the library's with it."""
    if source == "generator":
        return library.Generator().manual_seed(seed)
    library.manual_seed(seed)
    return None


def as_lists(batch):
    """A batch, a sample or an index as nested Python lists and numbers."""
    if hasattr(batch, "tolist"):
        return batch.tolist()
    if isinstance(batch, (list, tuple)):
        return [as_lists(part) for part in batch]
    return batch


def passes_then_stream(library, source, make, count=3):
    """``count`` passes over what ``make`` builds, then where the generator was left."""
    generator = draw(library, source)
    iterable = make(pytorch_like(library), library, generator)
    passes = [[as_lists(item) for item in iterable] for _ in range(count)]
    return passes, library.randperm(12, generator=generator).tolist()


SAMPLER_CASES = {
    "random": lambda d, lib, g: d.RandomSampler(range(23), generator=g),
    "random-fewer": lambda d, lib, g: d.RandomSampler(range(23), num_samples=5, generator=g),
    "random-more": lambda d, lib, g: d.RandomSampler(range(23), num_samples=50, generator=g),
    "random-whole-passes": lambda d, lib, g: d.RandomSampler(range(23), num_samples=46, generator=g),
    "random-replacement": lambda d, lib, g: d.RandomSampler(range(23), True, generator=g),
    "random-replacement-blocks": lambda d, lib, g: d.RandomSampler(range(23), True, 70, generator=g),
    "subset": lambda d, lib, g: d.SubsetRandomSampler([3, 30, 300, 3000, 4, 40], generator=g),
    "weighted": lambda d, lib, g: d.WeightedRandomSampler(WEIGHTS, 40, generator=g),
    "weighted-one": lambda d, lib, g: d.WeightedRandomSampler(WEIGHTS, 1, generator=g),
    "weighted-no-replacement": lambda d, lib, g: d.WeightedRandomSampler(WEIGHTS, 6, False, generator=g),
    "weighted-tensor": lambda d, lib, g: d.WeightedRandomSampler(lib.tensor(WEIGHTS) * 2, 9, generator=g),
    "batches": lambda d, lib, g: d.BatchSampler(d.RandomSampler(range(23), generator=g), 5, False),
}


@pytest.mark.parametrize("source", ["generator", "manual_seed"])
@pytest.mark.parametrize("make", SAMPLER_CASES.values(), ids=SAMPLER_CASES)
def test_samplers_draw_pytorchs_indices_and_leave_the_generator_as_pytorch_does(torch, make, source):
    assert passes_then_stream(tinygrad_bn, source, make) == passes_then_stream(torch, source, make)


def tensor_data(library):
    return library.utils.data.TensorDataset(library.arange(23) * 10, library.arange(23) % 4)


LOADER_CASES = {
    "in-order": lambda d, lib, g: d.DataLoader(tensor_data(lib), batch_size=5, generator=g),
    "shuffled": lambda d, lib, g: d.DataLoader(tensor_data(lib), batch_size=5, shuffle=True, generator=g),
    "random-sampler": lambda d, lib, g: d.DataLoader(
        tensor_data(lib), batch_size=4, drop_last=True, sampler=d.RandomSampler(range(23), generator=g)),
    "replacement": lambda d, lib, g: d.DataLoader(
        tensor_data(lib), batch_size=3, sampler=d.RandomSampler(range(23), True, 17, generator=g), generator=g),
    "weighted": lambda d, lib, g: d.DataLoader(
        tensor_data(lib), batch_size=6, sampler=d.WeightedRandomSampler(lib.arange(23.0), 20, generator=g)),
    "subset": lambda d, lib, g: d.DataLoader(
        list(range(0, 230, 10)), batch_size=2, sampler=d.SubsetRandomSampler(range(5, 12), generator=g)),
    "batch-sampler": lambda d, lib, g: d.DataLoader(
        tensor_data(lib), batch_sampler=d.BatchSampler(d.RandomSampler(range(23), generator=g), 4, True)),
    "unbatched": lambda d, lib, g: d.DataLoader(
        tensor_data(lib), batch_size=None, sampler=d.RandomSampler(range(23), num_samples=6, generator=g)),
    "unbatched-list": lambda d, lib, g: d.DataLoader([[i, -i] for i in range(9)], batch_size=None, shuffle=True),
}


@pytest.mark.parametrize("source", ["generator", "manual_seed"])
@pytest.mark.parametrize("make", LOADER_CASES.values(), ids=LOADER_CASES)
def test_loaders_give_pytorchs_batches_and_leave_the_generator_as_pytorch_does(torch, make, source):
    assert passes_then_stream(tinygrad_bn, source, make) == passes_then_stream(torch, source, make)


@pytest.mark.parametrize("source", ["generator", "manual_seed"])
def test_a_pass_left_early_draws_what_pytorchs_draws(torch, source):
    def first_batch_then_stream(library):
        generator = draw(library, source)
        loader = library.utils.data.DataLoader(tensor_data(library), batch_size=5, shuffle=True, generator=generator)
        first = as_lists(next(iter(loader)))
        return first, library.randperm(12, generator=generator).tolist()

    assert first_batch_then_stream(tinygrad_bn) == first_batch_then_stream(torch)


LENGTHS = {
    "default": {"batch_size": 4},
    "drop_last": {"batch_size": 4, "drop_last": True},
    "fewer-samples": {"batch_size": 4, "sampler": "random-7"},
    "fewer-samples-drop_last": {"batch_size": 3, "drop_last": True, "sampler": "random-7"},
    "more-samples": {"batch_size": 4, "sampler": "random-30"},
    "batch_sampler": {"batch_sampler": "batches"},
    "unbatched": {"batch_size": None},
    "unbatched-sampler": {"batch_size": None, "sampler": "random-7"},
}


@pytest.mark.parametrize("options", LENGTHS.values(), ids=LENGTHS)
def test_loader_lengths_are_pytorchs(torch, options):
    def length(d):
        samplers = {"random-7": d.RandomSampler(range(10), True, 7), "random-30": d.RandomSampler(range(10), True, 30),
                    "batches": d.BatchSampler(range(10), 3, False)}
        chosen = {key: samplers.get(value, value) if isinstance(value, str) else value
                  for key, value in options.items()}
        return len(d.DataLoader(list(range(10)), **chosen))

    assert length(data) == length(torch.utils.data)
