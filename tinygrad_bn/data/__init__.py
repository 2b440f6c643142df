"""Datasets and a loader: the bundled 8×8 handwritten digits, synthetic toy sets
(spirals, moons, blobs), PyTorch's :class:`TensorDataset`, :class:`Subset`, :class:`StackDataset`,
:func:`random_split`, :class:`IterableDataset` and :class:`ChainDataset`,
:class:`DataLoader`, its samplers and :func:`get_worker_info`.

>>> train, test = load("digits")
>>> len(train), len(test)
(1438, 359)
"""

from __future__ import annotations

from tinygrad_bn.data.collate import default_collate, default_convert
from tinygrad_bn.data.dataset import ArrayDataset, ChainDataset, Dataset, IterableDataset, TensorDataset
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
from tinygrad_bn.data.split import ConcatDataset, StackDataset, Subset, random_split
from tinygrad_bn.data.toy import blobs, moons, spirals
from tinygrad_bn.data.worker import WorkerInfo, get_worker_info

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
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "blobs",
    "digits_file",
    "get_worker_info",
    "load",
    "load_digits",
    "moons",
    "random_split",
    "spirals",
]
