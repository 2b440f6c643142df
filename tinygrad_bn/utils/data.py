"""PyTorch's ``torch.utils.data`` names, from :mod:`tinygrad_bn.data`.

>>> import tinygrad_bn as torch
>>> from tinygrad_bn.utils.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(torch.arange(6.0), torch.arange(6)), batch_size=4)
>>> [len(x) for x, y in loader]
[4, 2]
"""

# each name re-exported as it is: these are torch.utils.data's
from tinygrad_bn.data import BatchSampler as BatchSampler
from tinygrad_bn.data import ChainDataset as ChainDataset
from tinygrad_bn.data import ConcatDataset as ConcatDataset
from tinygrad_bn.data import DataLoader as DataLoader
from tinygrad_bn.data import Dataset as Dataset
from tinygrad_bn.data import IterableDataset as IterableDataset
from tinygrad_bn.data import RandomSampler as RandomSampler
from tinygrad_bn.data import Sampler as Sampler
from tinygrad_bn.data import SequentialSampler as SequentialSampler
from tinygrad_bn.data import StackDataset as StackDataset
from tinygrad_bn.data import Subset as Subset
from tinygrad_bn.data import SubsetRandomSampler as SubsetRandomSampler
from tinygrad_bn.data import TensorDataset as TensorDataset
from tinygrad_bn.data import WeightedRandomSampler as WeightedRandomSampler
from tinygrad_bn.data import default_collate as default_collate
from tinygrad_bn.data import default_convert as default_convert
from tinygrad_bn.data import get_worker_info as get_worker_info
from tinygrad_bn.data import random_split as random_split

