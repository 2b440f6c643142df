"""The 8×8 handwritten digits (UCI "Optical Recognition of Handwritten Digits",
CC BY 4.0), bundled in this package so that it works offline.

Provenance and licence: ``digits-LICENSE.txt`` next to ``digits.npz``.
"""

from __future__ import annotations

from importlib import resources

import numpy

from tinygrad_bn.data.dataset import ArrayDataset

PIXEL_MAX = 16  # each pixel counts the "on" pixels of a 4×4 block of the original 32×32 bitmap


def digits_file(name: str = "digits.npz"):
    """The path of a file bundled with the digits (``digits.npz`` or ``digits-LICENSE.txt``)."""
    return resources.files("tinygrad_bn.data").joinpath(name)


def load_digits() -> ArrayDataset:
    """All 1,797 digit images as ``(N, 1, 8, 8)`` float32 in [0, 1], labels 0–9.

    >>> digits = load_digits()
    >>> len(digits), digits.feature_shape, digits.num_classes
    (1797, (1, 8, 8), 10)
    """
    with digits_file().open("rb") as handle, numpy.load(handle, allow_pickle=False) as archive:
        images = archive["images"]
        labels = archive["labels"]
    features = images[:, None, :, :].astype(numpy.float32) / PIXEL_MAX
    return ArrayDataset(features, labels, num_classes=10, name="digits")
