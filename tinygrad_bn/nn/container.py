"""Containers of modules, as PyTorch's: `Sequential` (applied one after the other),
`ModuleList` (a list) and `ModuleDict` (a dict by name); and of parameters,
`ParameterList` and `ParameterDict`. Each registers what it holds as sub-modules or
parameters, so their parameters and state-dict keys are the model's."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import Parameter


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: modules in order, at positions, that can be
    replaced, inserted, deleted and added; an insertion or a deletion renumbers them."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __setitem__(self, index, module: Module):
        """Replace the module at ``index``, under its name."""
        self.add_module(list(self._modules)[self._position(index)], module)

    def __delitem__(self, index):
        modules = list(self)
        del modules[index if isinstance(index, slice) else self._position(index)]
        self._renumber(modules)

    def __iadd__(self, modules: Iterable[Module]):
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]):
        return self._of([*self, *other])

    def append(self, module: Module):
        """Add ``module`` at the end, named by its position; return self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]):
        """Add each of ``modules`` at the end; return self."""
        if not isinstance(modules, Iterable):
            raise TypeError(f"{type(self).__name__}.extend expects an iterable of modules, "
                            f"got {type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module):
        """Put ``module`` before position ``index``, as ``list.insert`` does (at the end,
        as :meth:`append` does, so that the other modules keep their names); return self."""
        if operator.index(index) == len(self):
            return self.append(module)
        modules = list(self)
        modules.insert(operator.index(index), module)
        self._renumber(modules)
        return self

    def pop(self, index):
        """Remove the module at ``index`` (or the modules at a slice, as this container) and return it."""
        popped = self[index]
        del self[index]
        return popped

    @classmethod
    def _of(cls, modules: list):
        """A container of this kind holding ``modules``."""
        raise NotImplementedError

    def _renumber(self, modules):
        """Hold ``modules`` under the names "0", "1", ..., each checked to be a Module first."""
        renumbered = self._of(modules)._modules
        self._modules.clear()
        self._modules.update(renumbered)

    def _position(self, index) -> int:
        return _position(self, index, "modules")


def _position(container, index, members: str) -> int:
    """``index`` (negative counts from the end) as a position from 0 to len − 1 of ``container``."""
    index = operator.index(index)
    if not -len(container) <= index < len(container):
        raise IndexError(
            f"index {index} is out of range for a {type(container).__name__} of {len(container)} {members}"
        )
    return index % len(container)


class Sequential(_ModuleSequence):
    """Apply modules in order. Built from modules (named "0", "1", ...) or from an
    ordered dict of named modules; indexing gives a module, slicing a Sequential.
    A module can be replaced (``model[1] = nn.Identity()``, under its name), inserted,
    deleted or popped (the modules are then numbered again from 0, as PyTorch does).

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

    def __add__(self, other: Sequential) -> Sequential:
        return super().__add__(_sequential(other))

    def __iadd__(self, other: Sequential):
        return super().__iadd__(_sequential(other))

    def __mul__(self, times: int) -> Sequential:
        """The modules repeated ``times`` times (the same modules, shared)."""
        if not isinstance(times, int) or times < 1:
            raise ValueError(f"Sequential can only be multiplied by a positive int, got {times!r}")
        return Sequential(*list(self) * times)

    @classmethod
    def _of(cls, modules: list):
        return Sequential(*modules)


def _sequential(other):
    """``other``, which a Sequential is added to only if it is one, as in PyTorch."""
    if not isinstance(other, Sequential):
        raise ValueError(f"a Sequential can only be added to a Sequential, got {type(other).__name__}")
    return other


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

    @classmethod
    def _of(cls, modules: list):
        return ModuleList(modules)

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


class _MemberDict(Module):
    """What ModuleDict and ParameterDict share: members by name, in the member table
    ``_table`` (``"_modules"`` or ``"_parameters"``), added by ``__setitem__``."""

    _table = ""
    _kind = ""

    def __init__(self, members=None):
        super().__init__()
        if members is not None:
            self.update(members)

    @property
    def _members(self) -> dict:
        return self.__dict__[self._table]

    def __getitem__(self, key: str):
        if key not in self._members:
            raise KeyError(f"no {self._kind} named {key!r} in this {type(self).__name__}; its keys are "
                           f"{list(self._members)}")
        return self._members[key]

    def __delitem__(self, key: str):
        self.pop(key)

    def __len__(self):
        return len(self._members)

    def __iter__(self):
        return iter(self._members)

    def __contains__(self, key) -> bool:
        return key in self._members

    def keys(self):
        return self._members.keys()

    def values(self):
        return self._members.values()

    def items(self):
        return self._members.items()

    def pop(self, key: str):
        """Remove the member named ``key`` and return it."""
        member = self[key]
        del self._members[key]
        return member

    def clear(self):
        """Remove every member."""
        self._members.clear()

    def update(self, members):
        """Add, or replace by name, the members of a mapping (or a container of this
        kind) from name to member, or of an iterable of ``(name, member)`` pairs, in their order."""
        pairs = members.items() if isinstance(members, (Mapping, _MemberDict)) else members
        if not isinstance(pairs, Iterable):
            raise TypeError(
                f"{type(self).__name__}.update expects a mapping or (name, {self._kind}) pairs, "
                f"got {type(members).__name__}"
            )
        for position, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(
                    f"{type(self).__name__}.update: element {position} should be a (name, {self._kind}) pair, "
                    f"got {pair!r}"
                )
            name, member = pair
            self[name] = member


class ModuleDict(_MemberDict):
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

    _table = "_modules"
    _kind = "module"

    def __setitem__(self, key: str, module: Module):
        self.add_module(key, module)


def _as_parameter(value) -> Parameter:
    """``value`` as a Parameter: a Tensor that is not one is wrapped (requiring grad if
    it is floating), as PyTorch wraps it."""
    if isinstance(value, Parameter):
        return value
    if not isinstance(value, Tensor):
        raise TypeError(f"a parameter container holds Tensors (made Parameters), got {type(value).__name__}")
    return Parameter(value, requires_grad=value.dtype.kind == "f")


def _summary(parameter: Parameter) -> str:
    """One line for a parameter in a container's repr: its dtype and size."""
    size = "x".join(str(n) for n in parameter.shape) or "()"
    return f"Parameter containing: [{parameter.dtype} of size {size}]"


class ParameterList(Module):
    """A list of parameters, registered as "0", "1", ... (state-dict keys of the
    model that holds it: ``"<name>.0"``); a Tensor given is made a Parameter.
    Indexing gives a parameter (negative counts from the end), slicing a new
    ParameterList numbered from 0.

    >>> from tinygrad_bn import nn, ones, zeros
    >>> weights = nn.ParameterList([nn.Parameter(ones(3, 4)), zeros(4)])
    >>> weights.append(zeros(2))
    ParameterList(
      (0): Parameter containing: [float32 of size 3x4]
      (1): Parameter containing: [float32 of size 4]
      (2): Parameter containing: [float32 of size 2]
    )
    >>> len(weights), weights[-1].shape, list(weights.state_dict())
    (3, (2,), ['0', '1', '2'])
    """

    def __init__(self, values: Iterable | None = None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ParameterList(list(self)[index])
        return self._parameters[str(_position(self, index, "parameters"))]

    def __setitem__(self, index, value):
        self.register_parameter(str(_position(self, index, "parameters")), _as_parameter(value))

    def __iadd__(self, values: Iterable):
        return self.extend(values)

    def append(self, value):
        """Add ``value`` at the end, named by its position; return self."""
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values: Iterable):
        """Add each of ``values`` at the end; return self."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(f"ParameterList.extend expects an iterable of Tensors, got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def _child_reprs(self):
        return [(name, _summary(parameter)) for name, parameter in self._parameters.items()]


class ParameterDict(_MemberDict):
    """A dict of parameters by name (state-dict keys ``"<name>"`` under the model's
    name for it), in insertion order; a Tensor given is made a Parameter.

    >>> from tinygrad_bn import nn, ones
    >>> scales = nn.ParameterDict({"gain": ones(3), "bias": nn.Parameter(ones(1))})
    >>> scales["gain"].requires_grad, list(scales.state_dict()), "bias" in scales
    (True, ['gain', 'bias'], True)
    """

    _table = "_parameters"
    _kind = "parameter"

    def __setitem__(self, key: str, value):
        self.register_parameter(key, _as_parameter(value))

    def _child_reprs(self):
        return [(name, _summary(parameter)) for name, parameter in self._parameters.items()]
