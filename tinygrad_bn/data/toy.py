"""Synthetic two-dimensional classification sets: spirals, moons and blobs.

Each is drawn from its own seeded generator, so the same arguments give the same
points; features are float32 of shape ``(n, 2)``, labels int64.
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn.data.dataset import ArrayDataset


def spirals(n_per_class: int = 200, classes: int = 3, noise: float = 0.2, seed: int = 0) -> ArrayDataset:
    """``classes`` interleaved spiral arms: arm k at radius r ∈ [0, 1] has angle
    θ = 2πk/classes + 4r + noise·ε, and the point is r·(sin θ, cos θ).

    >>> data = spirals(n_per_class=50)
    >>> data.features.shape, data.num_classes
    ((150, 2), 3)
    """
    rng = numpy.random.default_rng(seed)
    r = numpy.tile(numpy.linspace(0.0, 1.0, n_per_class), classes)
    k = numpy.repeat(numpy.arange(classes), n_per_class)
    theta = 2 * math.pi * k / classes + 4 * r + noise * rng.standard_normal(r.shape)
    points = numpy.stack([r * numpy.sin(theta), r * numpy.cos(theta)], axis=1)
    return ArrayDataset(points, k, num_classes=classes, name="spirals")


def moons(n: int = 400, noise: float = 0.1, seed: int = 0) -> ArrayDataset:
    """Two interleaving half circles: (cos t, sin t) and (1 − cos t, ½ − sin t) for
    t ∈ [0, π], plus Gaussian noise of standard deviation ``noise``.

    >>> moons(n=10).features.shape
    (10, 2)
    """
    rng = numpy.random.default_rng(seed)
    upper = n // 2
    t = numpy.concatenate([numpy.linspace(0, math.pi, upper), numpy.linspace(0, math.pi, n - upper)])
    label = (numpy.arange(n) >= upper).astype(numpy.int64)
    sign = 1 - 2 * label  # +1 on the upper moon, −1 on the lower one
    x = label + sign * numpy.cos(t)
    y = 0.5 * label + sign * numpy.sin(t)
    points = numpy.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))
    return ArrayDataset(points, label, num_classes=2, name="moons")


def blobs(
    n: int = 600, centers: int = 4, std: float = 1.0, radius: float = 3.0, seed: int = 0
) -> ArrayDataset:
    """Isotropic Gaussian clusters of standard deviation ``std`` whose means sit evenly
    on a circle of ``radius``; sample i belongs to cluster i mod ``centers``.

    >>> data = blobs(n=8, centers=4)
    >>> data.labels.tolist()
    [0, 1, 2, 3, 0, 1, 2, 3]
    """
    rng = numpy.random.default_rng(seed)
    label = numpy.arange(n) % centers
    angle = 2 * math.pi * label / centers
    means = radius * numpy.stack([numpy.cos(angle), numpy.sin(angle)], axis=1)
    points = means + std * rng.standard_normal((n, 2))
    return ArrayDataset(points, label, num_classes=centers, name="blobs")
