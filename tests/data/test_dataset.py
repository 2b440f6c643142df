import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.data import ArrayDataset, TensorDataset


def test_features_become_float32_and_labels_int64():
    data = ArrayDataset(numpy.ones((4, 3), dtype=numpy.float64), numpy.array([0, 2, 1, 2], dtype=numpy.uint8))
    assert data.features.dtype == numpy.float32 and data.labels.dtype == numpy.int64
    assert data.num_classes == 3 and data.feature_shape == (3,)


@pytest.mark.parametrize(
    "features, labels, message",
    [
        (numpy.zeros((3, 2)), numpy.zeros(4, dtype=int), "3 samples of features but 4 labels"),
        (numpy.zeros((3, 2)), numpy.zeros(3), "1-d integer array, got shape \\(3,\\) of dtype float64"),
        (numpy.zeros((3, 2)), numpy.zeros((3, 1), dtype=int), "got shape \\(3, 1\\)"),
    ],
)
def test_bad_arrays_are_rejected(features, labels, message):
    with pytest.raises(ValueError, match=message):
        ArrayDataset(features, labels)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_split_fraction_must_be_a_proper_fraction(fraction):
    data = ArrayDataset(numpy.zeros((10, 1)), numpy.zeros(10, dtype=int))
    with pytest.raises(ValueError, match=f"strictly between 0 and 1, got {fraction}"):
        data.split(fraction)


def test_split_keeps_the_number_of_classes():
    data = ArrayDataset(numpy.zeros((10, 1)), numpy.array([0] * 9 + [4]))
    train, test = data.split(0.1, seed=0)
    assert train.num_classes == test.num_classes == 5


@pytest.mark.parametrize("n, fraction", [(10, 0.2), (101, 0.3)])
def test_split_is_disjoint_and_complete(n, fraction):
    data = ArrayDataset(numpy.arange(n)[:, None], numpy.zeros(n, dtype=int))
    train, test = data.split(fraction, seed=5)
    held_out = test.features[:, 0].astype(int).tolist()
    assert len(held_out) == round(fraction * n)
    assert sorted(train.features[:, 0].astype(int).tolist() + held_out) == list(range(n))


# TensorDataset ---------------------------------------------------------------------------


def columns(n):
    """Three tensors of first length n: row i of each holds i (features, labels, weights)."""
    index = numpy.arange(n)
    return (
        tg.from_numpy(numpy.stack([index, -index], axis=1).astype(numpy.float32)),
        tg.from_numpy(index),
        tg.from_numpy(index.astype(numpy.float64) / 10),
    )


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("index", [4, -1, numpy.array([3, 0, 3]), slice(1, 4)], ids=["4", "-1", "array", "slice"])
def test_tensor_dataset_indexes_every_tensor_alike(count, index):
    tensors = columns(5)[:count]
    data = TensorDataset(*tensors)
    sample = data[index]
    assert len(data) == 5 and isinstance(sample, tuple) and len(sample) == count
    for part, t in zip(sample, tensors, strict=True):
        assert isinstance(part, tg.Tensor) and part.dtype == t.dtype
        numpy.testing.assert_array_equal(part.numpy(), t.numpy()[index])


def test_tensor_dataset_indexes_like_pytorchs():
    torch = pytest.importorskip("torch")
    tensors = columns(6)
    ours = TensorDataset(*tensors)
    theirs = torch.utils.data.TensorDataset(*(torch.from_numpy(t.numpy()) for t in tensors))
    for index in (0, 5, -2, slice(None, None, 2)):
        for mine, expected in zip(ours[index], theirs[index], strict=True):
            numpy.testing.assert_array_equal(mine.numpy(), expected.numpy())


@pytest.mark.parametrize("tensors, error, words", [
    ((tg.zeros(5, 2), tg.zeros(4)), ValueError, r"one first length, got shapes \(5, 2\), \(4,\)"),
    ((tg.zeros(3), tg.zeros(3), tg.zeros(2, 3)), ValueError, r"\(3,\), \(3,\), \(2, 3\)"),
    ((tg.zeros(3), numpy.zeros(3)), TypeError, "TensorDataset expects Tensors, got ndarray at position 1"),
    ((tg.zeros(()),), ValueError, r"at least one dimension, got shape \(\) at position 0"),
    ((), ValueError, "needs at least one tensor"),
])
def test_tensor_dataset_rejects_what_it_cannot_index(tensors, error, words):
    with pytest.raises(error, match=words):
        TensorDataset(*tensors)


# IterableDataset and ChainDataset --------------------------------------------------------------


def counting(library, start, stop, sized=True):
    """An IterableDataset of ``library`` giving start, start + 1, ..., stop - 1."""

    class Counting(library.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(start, stop))

    if sized:
        Counting.__len__ = lambda self: stop - start
    return Counting()


@pytest.mark.parametrize("spans", [[(0, 3)], [(0, 3), (10, 12)], [(0, 0), (5, 7), (1, 2)]])
def test_a_chain_gives_its_datasets_samples_one_after_another_as_pytorchs(torch, spans):
    def chained(library):
        chain = library.utils.data.ChainDataset([counting(library, *span) for span in spans])
        return list(chain), list(chain), len(chain)

    assert chained(tg) == chained(torch)


def test_adding_iterable_datasets_chains_them_as_in_pytorch(torch):
    def added(library):
        both = counting(library, 0, 2) + counting(library, 7, 9)
        return type(both).__name__, list(both)

    assert added(tg) == added(torch)


def test_the_length_of_a_chain_needs_the_length_of_each_as_in_pytorch(torch):
    for library in (tg, torch):
        chain = library.utils.data.ChainDataset([counting(library, 0, 2), counting(library, 0, 3, sized=False)])
        assert list(chain) == [0, 1, 0, 1, 2]
        with pytest.raises(TypeError):
            len(chain)


def test_a_chain_of_what_is_not_an_iterable_dataset_is_refused(torch):
    with pytest.raises(AssertionError):  # PyTorch refuses it when the chain is read
        list(torch.utils.data.ChainDataset([counting(torch, 0, 2), [5, 6]]))
    with pytest.raises(TypeError, match="ChainDataset chains IterableDatasets, got list at position 1"):
        tg.data.ChainDataset([counting(tg, 0, 2), [5, 6]])


def test_an_iterable_dataset_without_iter_says_so():
    with pytest.raises(NotImplementedError, match="Nothing does not define __iter__"):
        iter(type("Nothing", (tg.data.IterableDataset,), {})())
