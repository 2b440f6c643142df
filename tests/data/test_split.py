"""Subset and random_split: PyTorch's sizes, disjoint and complete, seeded, clear errors."""

import warnings

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn.data import ArrayDataset, ConcatDataset, Subset, TensorDataset, random_split


def numbered(n):
    """Sample i is the tensor row i, so a subset shows which samples it holds."""
    return TensorDataset(tinygrad_bn.arange(n))


def samples(subset):
    return [int(subset[i][0].item()) for i in range(len(subset))]


LENGTHS = [
    (10, [3, 7]),
    (10, [0, 10]),
    (7, [0.5, 0.5]),
    (10, [0.3, 0.7]),
    (10, [0.33, 0.33, 0.34]),
    (11, [1 / 3, 1 / 3, 1 / 3]),
    (100, [0.29, 0.71]),
    (13, [0.1, 0.2, 0.3, 0.4]),
    (1, [1]),
]


@pytest.mark.parametrize("n, lengths", LENGTHS)
def test_sizes_follow_pytorchs_rule(n, lengths):
    torch = pytest.importorskip("torch")
    ours = random_split(numbered(n), lengths, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns of empty splits, as we do (tested below)
        theirs = torch.utils.data.random_split(range(n), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]


@pytest.mark.parametrize("n, lengths", LENGTHS)
def test_splits_are_disjoint_and_complete_subsets(n, lengths):
    splits = random_split(numbered(n), lengths, seed=3)
    assert all(isinstance(s, Subset) for s in splits)
    assert sorted(sum((samples(s) for s in splits), [])) == list(range(n))


def test_the_same_seed_or_generator_state_gives_the_same_split():
    def split(**source):
        return [samples(s) for s in random_split(numbered(30), [0.5, 0.3, 0.2], **source)]

    assert split(seed=4) == split(seed=4) != split(seed=5)
    assert split(generator=tinygrad_bn.Generator().manual_seed(4)) == split(seed=4)
    tinygrad_bn.manual_seed(8)
    first = split()
    tinygrad_bn.manual_seed(8)
    assert split() == first
    assert split() != first


@pytest.mark.parametrize("seed", [0, 7])
def test_a_generator_splits_as_pytorchs_does(torch, seed):
    ours = random_split(numbered(20), [0.6, 0.4], generator=tinygrad_bn.Generator().manual_seed(seed))
    theirs = torch.utils.data.random_split(range(20), [0.6, 0.4], generator=torch.Generator().manual_seed(seed))
    assert [samples(s) for s in ours] == [list(s) for s in theirs]


def test_a_splits_indices_are_a_list_as_in_pytorch(torch):
    """Lists, so that + joins them and json writes them, as users of PyTorch's do."""
    ours = random_split(numbered(10), [6, 4], generator=tinygrad_bn.Generator().manual_seed(3))
    theirs = torch.utils.data.random_split(range(10), [6, 4], generator=torch.Generator().manual_seed(3))
    assert [type(s.indices) for s in ours] == [type(s.indices) for s in theirs] == [list, list]
    assert ours[0].indices + ours[1].indices == theirs[0].indices + theirs[1].indices
    assert all(type(i) is int for i in ours[0].indices)


def test_the_split_is_shuffled():
    train, test = random_split(numbered(50), [40, 10], seed=0)
    assert samples(train) + samples(test) != list(range(50))


def test_a_fraction_that_leaves_a_split_empty_is_warned_about_as_in_pytorch():
    with pytest.warns(UserWarning, match="split 1 gets none of the 5 samples"):
        sizes = [len(s) for s in random_split(numbered(5), [0.1, 0.1, 0.8], seed=0)]
    assert sizes == [1, 0, 4]


@pytest.mark.parametrize("lengths, arguments, error, words", [
    ([3, 3], {}, ValueError, r"lengths \[3, 3\] sum to 6, but the dataset has 10 samples; give counts that sum to 10"),
    ([0.3, 0.3], {}, ValueError, "neither counts .* nor fractions that sum to 1"),
    ([2.5, 7.5], {}, ValueError, "neither counts"),
    ([12, -2], {}, ValueError, "neither counts"),
    ([1.5, -0.5], {}, ValueError, "fraction 1.5 at index 0 is not between 0 and 1"),
    ([], {}, ValueError, "at least one length"),
    ([5, 5], {"seed": 1, "generator": tinygrad_bn.Generator()}, TypeError, "both a generator and a seed"),
    ([5, 5], {"generator": 1}, TypeError, "generator must be a tinygrad_bn.Generator, got int"),
])
def test_bad_lengths_and_generators_are_reported(lengths, arguments, error, words):
    with pytest.raises(error, match=words):
        random_split(numbered(10), lengths, **arguments)


# Subset ----------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, -1, 2, numpy.array([2, 0]), slice(1, None)], ids=str)
def test_subset_indexes_the_dataset_at_its_indices(index):
    base = numbered(10)
    subset = Subset(base, [7, 2, 9])
    numpy.testing.assert_array_equal(subset[index][0].numpy(), base[numpy.array([7, 2, 9])[index]][0].numpy())


def test_subset_of_an_array_dataset_and_of_a_subset():
    data = ArrayDataset(numpy.arange(8.0)[:, None], numpy.arange(8) % 2)
    inner = Subset(data, [6, 5, 4, 3])
    outer = Subset(inner, [3, 0])
    x, y = outer[numpy.array([0, 1])]
    assert len(outer) == 2 and x[:, 0].tolist() == [3.0, 6.0] and y.tolist() == [1, 0]


def test_subset_needs_a_flat_list_of_indices():
    with pytest.raises(ValueError, match=r"1-d sequence of indices, got shape \(2, 2\)"):
        Subset(numbered(4), [[0, 1], [2, 3]])


def test_concat_dataset_refuses_an_iterable_dataset_as_pytorchs_does(torch):
    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    class OurStream(tinygrad_bn.data.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    with pytest.raises(AssertionError):  # PyTorch's kind of error
        torch.utils.data.ConcatDataset([torch.arange(2), Stream()])
    with pytest.raises(TypeError, match="IterableDataset at position 1; chain IterableDatasets with ChainDataset"):
        ConcatDataset([tinygrad_bn.arange(2), OurStream()])


def test_stack_dataset_gives_pytorchs_samples_and_batches(torch):
    from torch.utils.data import DataLoader as TorchLoader
    from torch.utils.data import StackDataset as TorchStack

    from tinygrad_bn.data import DataLoader, StackDataset

    x = numpy.arange(12, dtype=numpy.float32).reshape(6, 2)
    y = numpy.arange(6)
    ours = [StackDataset(tinygrad_bn.tensor(x), tinygrad_bn.tensor(y)),
            StackDataset(feat=tinygrad_bn.tensor(x), label=tinygrad_bn.tensor(y))]
    theirs = [TorchStack(torch.tensor(x), torch.tensor(y)), TorchStack(feat=torch.tensor(x), label=torch.tensor(y))]
    for mine, other in zip(ours, theirs, strict=True):
        assert len(mine) == len(other) == 6
        for got, expected in zip(DataLoader(mine, batch_size=4), TorchLoader(other, batch_size=4), strict=True):
            if isinstance(expected, dict):
                assert list(got) == list(expected)
                got, expected = list(got.values()), list(expected.values())
            for g, e in zip(got, expected, strict=True):
                numpy.testing.assert_array_equal(g.numpy(), e.numpy())
    assert [t.tolist() for t in ours[0][-1]] == [t.tolist() for t in theirs[0][-1]]


@pytest.mark.parametrize("args, kwargs, words", [
    ((), {}, "at least one dataset"), ((range(3),), {"b": range(3)}, "not both"),
    ((range(3), range(4)), {}, r"one length, got lengths \[3, 4\]"),
])
def test_stack_dataset_refuses_what_pytorch_refuses(torch, args, kwargs, words):
    from tinygrad_bn.data import StackDataset

    with pytest.raises(ValueError):
        torch.utils.data.StackDataset(*args, **kwargs)
    with pytest.raises(ValueError, match=words):
        StackDataset(*args, **kwargs)
