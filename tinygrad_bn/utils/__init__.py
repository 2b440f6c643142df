"""PyTorch's ``torch.utils``: ``utils.data`` holds the datasets and the loader, and
loads on first use, so ``tinygrad_bn.utils.data.DataLoader`` works after
``import tinygrad_bn`` as ``torch.utils.data.DataLoader`` does after ``import torch``.

>>> import tinygrad_bn as torch
>>> torch.utils.data.DataLoader.__name__
'DataLoader'
"""

import importlib


def __getattr__(name):
    if name == "data":
        return importlib.import_module("tinygrad_bn.utils.data")
    raise AttributeError(f"module 'tinygrad_bn.utils' has no attribute {name!r}")
