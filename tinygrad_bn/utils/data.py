"""PyTorch's ``torch.utils.data`` names, from :mod:`tinygrad_bn.data`.

>>> import tinygrad_bn as torch
>>> from tinygrad_bn.utils.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(torch.arange(6.0), torch.arange(6)), batch_size=4)
>>> [len(x) for x, y in loader]
[4, 2]
"""

from tinygrad_bn.data import ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
