"""PyTorch's ``torch.utils``: ``utils.data`` holds the datasets and the loader, and
``utils.checkpoint`` activation checkpointing; each loads on first use, so
``tinygrad_bn.utils.data.DataLoader`` works after ``import tinygrad_bn`` as
``torch.utils.data.DataLoader`` does after ``import torch``.

>>> import tinygrad_bn as torch
>>> torch.utils.data.DataLoader.__name__, torch.utils.checkpoint.checkpoint.__name__
('DataLoader', 'checkpoint')
"""

import importlib


def __getattr__(name):
    if name in ("data", "checkpoint"):
        return importlib.import_module(f"tinygrad_bn.utils.{name}")
    raise AttributeError(f"module 'tinygrad_bn.utils' has no attribute {name!r}")
