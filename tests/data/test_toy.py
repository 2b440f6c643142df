import numpy
import pytest

from tinygrad_bn.data import blobs, moons, spirals

MAKERS = {
    "spirals": lambda seed, noise: spirals(n_per_class=40, classes=3, noise=noise, seed=seed),
    "moons": lambda seed, noise: moons(n=120, noise=noise, seed=seed),
    "blobs": lambda seed, noise: blobs(n=120, centers=3, std=max(noise, 1e-3), seed=seed),
}


@pytest.mark.parametrize("name", MAKERS)
def test_shapes_dtypes_and_labels(name):
    data = MAKERS[name](0, 0.1)
    assert data.features.shape == (120, 2) and data.features.dtype == numpy.float32
    assert data.labels.dtype == numpy.int64
    assert set(data.labels.tolist()) == set(range(data.num_classes))


@pytest.mark.parametrize("name", MAKERS)
def test_same_seed_same_points_other_seed_other_points(name):
    assert numpy.array_equal(MAKERS[name](3, 0.1).features, MAKERS[name](3, 0.1).features)
    assert not numpy.array_equal(MAKERS[name](3, 0.1).features, MAKERS[name](4, 0.1).features)


def test_noiseless_moons_lie_on_their_circles():
    data = moons(n=50, noise=0.0)
    x, y = data.features[:, 0], data.features[:, 1]
    upper = data.labels == 0
    numpy.testing.assert_allclose(x[upper] ** 2 + y[upper] ** 2, 1.0, rtol=1e-6)
    numpy.testing.assert_allclose((x[~upper] - 1) ** 2 + (y[~upper] - 0.5) ** 2, 1.0, rtol=1e-6)
    assert (y[upper] >= -1e-6).all() and (y[~upper] <= 0.5 + 1e-6).all()


def test_noiseless_spiral_radius_grows_along_each_arm():
    data = spirals(n_per_class=30, classes=2, noise=0.0)
    radius = numpy.hypot(data.features[:, 0], data.features[:, 1])
    for k in range(2):
        numpy.testing.assert_allclose(radius[data.labels == k], numpy.linspace(0, 1, 30), atol=1e-6)


def test_blob_means_sit_on_the_circle():
    data = blobs(n=3000, centers=4, std=0.5, radius=3.0)
    for k, expected in enumerate([(3, 0), (0, 3), (-3, 0), (0, -3)]):
        numpy.testing.assert_allclose(data.features[data.labels == k].mean(axis=0), expected, atol=0.05)
