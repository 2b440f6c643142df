"""`Sequential`: modules applied one after the other."""

from __future__ import annotations

from collections import OrderedDict

from tinygrad_bn.nn.module import Module


class Sequential(Module):
    """Apply modules in order. Built from modules (named "0", "1", ...) or from an
    ordered dict of named modules; indexing gives a module, slicing a Sequential.

    >>> from tinygrad_bn import nn, ones
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=2, bias=True)
    )
    >>> len(model), model[-1].out_features, model(ones(3, 4)).shape
    (3, 2, (3, 2))
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        if not -len(items) <= index < len(items):
            raise IndexError(f"index {index} is out of range for a Sequential of {len(items)} modules")
        return items[index][1]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module):
        """Add ``module`` at the end, named by its position; return self."""
        self.add_module(str(len(self)), module)
        return self
