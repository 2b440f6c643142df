import numpy
import pytest

from tinygrad_bn.data import digits_file, load, load_digits

# Images per class in the UCI file optdigits.tes, as the repository documents them.
UCI_CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_shapes_and_range():
    digits = load_digits()
    assert digits.features.shape == (1797, 1, 8, 8)
    assert digits.features.dtype == numpy.float32
    assert digits.labels.dtype == numpy.int64
    assert digits.features.min() == 0.0 and digits.features.max() == 1.0
    # pixels are counts 0..16 scaled by 1/16
    assert numpy.array_equal(digits.features * 16, numpy.round(digits.features * 16))


def test_digits_class_counts_match_the_source():
    assert numpy.bincount(load_digits().labels).tolist() == UCI_CLASS_COUNTS


def test_digits_archive_loads_without_pickle():
    with digits_file().open("rb") as handle, numpy.load(handle, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["images", "labels"]


def test_provenance_and_licence_are_bundled():
    text = digits_file("digits-LICENSE.txt").read_text()
    assert "CC BY 4.0" in text
    assert "Optical Recognition of Handwritten Digits" in text
    assert "10.24432/C50P49" in text


@pytest.mark.parametrize("test_fraction", [0.2, 0.5])
def test_digits_split_is_seeded(test_fraction):
    train, test = load("digits", test_fraction=test_fraction)
    again_train, again_test = load("digits", test_fraction=test_fraction)
    assert numpy.array_equal(train.features, again_train.features)
    assert numpy.array_equal(test.labels, again_test.labels)
    assert len(test) == round(test_fraction * 1797)
    assert len(train) + len(test) == 1797
    labels = numpy.concatenate([train.labels, test.labels])
    assert numpy.bincount(labels).tolist() == UCI_CLASS_COUNTS


def test_other_seed_gives_other_split():
    _, test = load("digits", seed=0)
    _, other = load("digits", seed=1)
    assert not numpy.array_equal(test.labels, other.labels)


def test_unknown_dataset_names_the_choices():
    with pytest.raises(ValueError, match="unknown dataset 'mnist': expected one of digits, spirals"):
        load("mnist")
