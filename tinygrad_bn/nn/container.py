"""Containers of modules, as PyTorch's: `Sequential` (applied one after the other),
`ModuleList` (a list) and `ModuleDict` (a dict by name). Each registers what it
holds as sub-modules, so their parameters and state-dict keys are the model's."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from tinygrad_bn.nn.module import Module


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: modules in order, at positions."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module):
        """Add ``module`` at the end, named by its position; return self."""
        self.add_module(str(len(self)), module)
        return self

    def _position(self, index) -> int:
        """``index`` (negative counts from the end) as a position from 0 to len − 1."""
        index = operator.index(index)
        if not -len(self) <= index < len(self):
            raise IndexError(
                f"index {index} is out of range for a {type(self).__name__} of {len(self)} modules"
            )
        return index % len(self)


class Sequential(_ModuleSequence):
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
        for module in self:
            x = module(x)
        return x

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self)[self._position(index)]


class ModuleList(_ModuleSequence):
    """A list of modules, registered as sub-modules "0", "1", ... Indexing gives a
    module (negative counts from the end), slicing a new ModuleList numbered from 0;
    an insertion or a deletion renumbers the modules after it. Like PyTorch's, it has
    no ``forward``: the model that holds it says how its modules are applied.

    >>> from tinygrad_bn import nn
    >>> blocks = nn.ModuleList(nn.Linear(2, 2) for _ in range(3))
    >>> blocks += [nn.ReLU()]
    >>> blocks
    ModuleList(
      (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
      (3): ReLU()
    )
    >>> len(blocks), blocks[-1], list(blocks[1:].state_dict())
    (4, ReLU(), ['0.weight', '0.bias', '1.weight', '1.bias'])
    """

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self)[index])
        return self._modules[str(self._position(index))]

    def __setitem__(self, index, module: Module):
        self.add_module(str(self._position(index)), module)

    def __delitem__(self, index):
        modules = list(self)
        del modules[index if isinstance(index, slice) else self._position(index)]
        self._renumber(modules)

    def __iadd__(self, modules: Iterable[Module]):
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def extend(self, modules: Iterable[Module]):
        """Add each of ``modules`` at the end; return self."""
        if not isinstance(modules, Iterable):
            raise TypeError(f"ModuleList.extend expects an iterable of modules, got {type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module):
        """Put ``module`` before position ``index``, as ``list.insert`` does."""
        modules = list(self)
        modules.insert(operator.index(index), module)
        self._renumber(modules)

    def pop(self, index):
        """Remove the module at ``index`` (or the ModuleList at a slice) and return it."""
        popped = self[index]
        del self[index]
        return popped

    def _renumber(self, modules):
        """Hold ``modules`` under the names "0", "1", ..., each checked to be a Module first."""
        renumbered = ModuleList(modules)._modules
        self._modules.clear()
        self._modules.update(renumbered)

    def _child_reprs(self):
        """As PyTorch prints a ModuleList: a run of equal modules on one line, ``(0-2): 3 x ...``."""
        runs = []  # [first position, last position, repr]
        for position, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = position
            else:
                runs.append([position, position, text])
        return [
            (str(first), text) if first == last else (f"{first}-{last}", f"{last - first + 1} x {text}")
            for first, last, text in runs
        ]


class ModuleDict(Module):
    """A dict of modules by name, registered as sub-modules under their names
    (state-dict keys ``"<name>.weight"``), in insertion order. Like PyTorch's, it has
    no ``forward``: the model that holds it picks the modules to apply.

    >>> from tinygrad_bn import nn
    >>> heads = nn.ModuleDict({"digit": nn.Linear(4, 10), "parity": nn.Linear(4, 2)})
    >>> heads["parity"]
    Linear(in_features=4, out_features=2, bias=True)
    >>> list(heads), "digit" in heads, len(heads), list(heads.state_dict())[:2]
    (['digit', 'parity'], True, 2, ['digit.weight', 'digit.bias'])
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"no module named {key!r} in this ModuleDict; its keys are {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module):
        self.add_module(key, module)

    def __delitem__(self, key: str):
        self.pop(key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        """Remove the module named ``key`` and return it."""
        module = self[key]
        del self._modules[key]
        return module

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def update(self, modules):
        """Add, or replace by name, the modules of a mapping (or a ModuleDict) from
        name to module, or of an iterable of ``(name, module)`` pairs, in their order."""
        pairs = modules.items() if isinstance(modules, (Mapping, ModuleDict)) else modules
        if not isinstance(pairs, Iterable):
            raise TypeError(
                f"ModuleDict.update expects a mapping or (name, module) pairs, got {type(modules).__name__}"
            )
        for position, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(
                    f"ModuleDict.update: element {position} should be a (name, module) pair, got {pair!r}"
                )
            name, module = pair
            self[name] = module
