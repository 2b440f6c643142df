import numpy
import pytest

from tinygrad_bn.data import ArrayDataset


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
