"""PyTorch's ``torch.nn.utils.stateless``: calling a module with other tensors in
place of its parameters and buffers.

For the call, each given tensor is put where the module keeps the member of that
dotted name (``"0.weight"`` is ``module[0]._parameters["weight"]``), and everything
is put back afterwards, also when the call raises. The tensors are used as they
are, so gradients flow to them and not to the module's own parameters. A name the
module has no member of becomes a plain attribute for the call. Members tied to
one tensor (a weight shared by two layers) take one value together unless
``tie_weights=False``. Anything the module assigns to a member during the call is
written back into the dictionary given, under that member's name.

:func:`functional_call` here is PyTorch's deprecated form, which warns; use
``tinygrad_bn.func.functional_call`` (also a tuple of dictionaries).

>>> import tinygrad_bn as torch
>>> layer = torch.nn.Linear(2, 1)
>>> w = torch.tensor([[1.0, 2.0]], requires_grad=True)
>>> out = call_with(layer, {"weight": w, "bias": torch.zeros(1)}, (torch.ones(3, 2),))
>>> out.tolist(), layer.weight is not w
([[3.0], [3.0], [3.0]], True)
>>> out.sum().backward()
>>> w.grad.tolist(), layer.weight.grad
([[3.0, 3.0]], None)
"""

from __future__ import annotations

import warnings

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.nn.module import Module

__all__ = ["functional_call"]

_MISSING = object()  # a member the module did not have before the call


def _all_members(module: Module) -> dict:
    """Every parameter and buffer under every dotted name that reaches it (a tensor
    shared by two members, or a module reached twice, under each name)."""
    members = {}
    for prefix, owner in module.named_modules(remove_duplicate=False):
        for table in (owner._parameters, owner._buffers):
            for name, tensor in table.items():
                if tensor is not None:
                    members[f"{prefix}.{name}" if prefix else name] = tensor
    return members


def _untied(module: Module, given: dict) -> dict:
    """``given`` with each tensor also under the names of the members tied to the one
    it names; different tensors for one tied group are refused."""
    groups = {}
    for name, tensor in _all_members(module).items():
        groups.setdefault(id(tensor), []).append(name)
    untied = dict(given)
    for names in (names for names in groups.values() if len(names) > 1):
        named = [name for name in names if name in given]
        if len({id(given[name]) for name in named}) > 1:
            raise ValueError(f"functional_call got different tensors for the tied members {sorted(names)}; give "
                             "them one tensor, give only one of them, or pass tie_weights=False")
        if named:
            untied.update(dict.fromkeys(names, given[named[0]]))
    return untied


def _check_keys(module: Module, names) -> None:
    """PyTorch's ``strict=True``: exactly the module's parameters and buffers."""
    members = set(_all_members(module))
    unexpected, missing = sorted(set(names) - members), sorted(members - set(names))
    errors = []
    if unexpected:
        errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if errors:
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(errors))


def _owner(module: Module, path: str) -> Module:
    """The sub-module at the dotted ``path``, found attribute by attribute."""
    owner = module
    for name in path.split(".") if path else []:
        child = getattr(owner, name, None)
        if not isinstance(child, Module):
            what = "no attribute" if child is None else f"a {type(child).__name__}, not a Module, as"
            raise AttributeError(f"functional_call: {type(owner).__name__} has {what} {name!r} "
                                 f"(on the way to the member {path!r})")
        owner = child
    return owner


def _swap(module: Module, name: str, tensor):
    """Put ``tensor`` (or, for :data:`_MISSING`, nothing) where ``module`` keeps
    its member ``name`` (a dotted path); returns what was there."""
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"functional_call expects Tensors (or None) as values, got {type(tensor).__name__} "
                        f"for {name!r}")
    path, _, attribute = name.rpartition(".")
    owner = _owner(module, path)
    for table in (owner._parameters, owner._buffers):
        if attribute in table:
            before = table[attribute]
            if tensor is _MISSING:
                del table[attribute]
            else:
                table[attribute] = tensor
            return before
    before = getattr(owner, attribute, _MISSING)
    if before is not _MISSING and before is not None and not isinstance(before, Tensor):
        raise TypeError(f"functional_call: {name!r} of {type(module).__name__} is a {type(before).__name__}, "
                        "not a Tensor")
    if tensor is not _MISSING:
        setattr(owner, attribute, tensor)
    elif before is not _MISSING:
        delattr(owner, attribute)
    return before


def _swap_all(module: Module, tensors: dict) -> dict:
    """:func:`_swap` each of ``tensors`` in; returns what was there. If one fails,
    those already swapped are put back first."""
    before = {}
    try:
        for name, tensor in tensors.items():
            before[name] = _swap(module, name, tensor)
    except BaseException:
        _swap_all(module, before)
        raise
    return before


def call_with(module: Module, parameters_and_buffers: dict, args=None, kwargs=None, *, tie_weights: bool = True,
              strict: bool = False):
    """``module(*args, **kwargs)`` with the tensors of ``parameters_and_buffers`` (dotted
    name → Tensor) in place of its members of those names (see the module's
    docstring); ``args`` that is not a tuple is the one argument."""
    if not isinstance(parameters_and_buffers, dict):
        raise TypeError(f"functional_call expects a dict of dotted names to Tensors, got "
                        f"{type(parameters_and_buffers).__name__}")
    tensors = _untied(module, parameters_and_buffers) if tie_weights else dict(parameters_and_buffers)
    if strict:
        _check_keys(module, tensors)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    before = _swap_all(module, tensors)
    try:
        return module(*args, **(kwargs or {}))
    finally:
        after = _swap_all(module, before)
        parameters_and_buffers.update({name: after[name] for name in parameters_and_buffers if name in after})


def functional_call(module: Module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """PyTorch's ``torch.nn.utils.stateless.functional_call``, deprecated there since
    2.0 (it warns, a FutureWarning): :func:`call_with`. ``torch.func.functional_call``
    is the same call, and also takes a tuple of dictionaries."""
    warnings.warn("torch.nn.utils.stateless.functional_call is deprecated, as in PyTorch; use "
                  "torch.func.functional_call, which takes the same arguments", FutureWarning, stacklevel=2)
    return call_with(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
