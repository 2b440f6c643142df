"""Datasets and a loader: the bundled 8×8 handwritten digits, synthetic toy sets
(spirals, moons, blobs), PyTorch's :class:`TensorDataset`, :class:`Subset` and
:func:`random_split`, :class:`DataLoader` and its samplers.

>>> train, test = load("digits")
>>> len(train), len(test)
(1438, 359)
"""

from __future__ import annotations

from tinygrad_bn.data.collate import default_collate, default_convert
from tinygrad_bn.data.dataset import ArrayDataset, Dataset, TensorDataset
from tinygrad_bn.data.digits import digits_file, load_digits
from tinygrad_bn.data.loader import DataLoader
from tinygrad_bn.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from tinygrad_bn.data.split import ConcatDataset, Subset, random_split
from tinygrad_bn.data.toy import blobs, moons, spirals

DATASETS = {
    "digits": load_digits,
    "spirals": spirals,
    "moons": moons,
    "blobs": blobs,
}

SPLIT_SEED = 0


def load(name: str, test_fraction: float = 0.2, seed: int = SPLIT_SEED) -> tuple[ArrayDataset, ArrayDataset]:
    """The dataset ``name`` (one of :data:`DATASETS`) as a seeded ``(train, test)`` split."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}: expected one of {', '.join(DATASETS)}")
    return DATASETS[name]().split(test_fraction, seed)


__all__ = [
    "DATASETS",
    "ArrayDataset",
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "blobs",
    "digits_file",
    "load",
    "load_digits",
    "moons",
    "random_split",
    "spirals",
]
