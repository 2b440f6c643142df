"""PyTorch's ``torch.utils.data`` names, from :mod:`tinygrad_bn.data`.

>>> import tinygrad_bn as torch
>>> from tinygrad_bn.utils.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(torch.arange(6.0), torch.arange(6)), batch_size=4)
>>> [len(x) for x, y in loader]
[4, 2]
"""

from tinygrad_bn.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    random_split,
)

__all__ = [
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
    "random_split",
]
