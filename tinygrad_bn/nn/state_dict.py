"""State dicts as PyTorch makes and loads them, module by module, with its hooks.

Making one walks the module tree: each module's pre-hooks, then its own
parameters and persistent buffers (``_save_to_state_dict``), then its children,
then its post-hooks. The dict's ``_metadata`` records each module's ``_version``,
so a later release can tell an old checkpoint from a new one.

Loading walks the tree the same way. Each module's load pre-hooks may rewrite the
keys that are its own (an old checkpoint's names, a missing counter), then
``_load_from_state_dict`` takes them, then its children load, then its post-hooks
see the missing and unexpected keys. One difference from PyTorch, on purpose:
every copy is held back until the whole dict has been checked, so a load that
fails changes nothing.

>>> from tinygrad_bn import nn
>>> layer = nn.Linear(2, 1)
>>> layer.load_state_dict({"weight": [[1.0, 2.0]]}, strict=False)
_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
>>> layer.weight.tolist()
[[1.0, 2.0]]
"""

from __future__ import annotations

import contextvars
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.autograd.hooks import Hooks, add_hook
from tinygrad_bn.autograd.version import bump
from tinygrad_bn.nn.parameter import Parameter

EXTRA_STATE = "_extra_state"
HOOK_KINDS = ("save_pre", "save_post", "load_pre", "load_post")

# The copies of the load under way, made only once every key has been checked
_held_back = contextvars.ContextVar("held_back", default=None)


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What :meth:`~tinygrad_bn.nn.module.Module.load_state_dict` found missing and
    unexpected; printed as PyTorch prints it (as `_IncompatibleKeys`, or a line saying all
    keys matched)."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, unexpected_keys={self.unexpected_keys!r})"


def hooks(module, kind: str) -> Hooks:
    """``module``'s state-dict hooks of ``kind`` (see :data:`HOOK_KINDS`), made on first use."""
    tables = module.__dict__.get("_state_dict_hook_tables")
    if tables is None:
        tables = {name: Hooks() for name in HOOK_KINDS}
        object.__setattr__(module, "_state_dict_hook_tables", tables)
    return tables[kind]


def register(module, kind: str, hook, returns_dict: bool = False):
    """Add ``hook`` to ``module``'s hooks of ``kind``; its handle. A post-hook may
    return a new dict only when registered the older way (``returns_dict``)."""
    hook_table = hooks(module, kind)
    handle = add_hook(hook_table, hook)
    if kind == "save_post":
        hook_table[handle.id] = (hook, returns_dict)
    return handle


def own_entries(module) -> dict:
    """A module's own parameters and persistent buffers, by name (None ones left out)."""
    entries = {name: param for name, param in module._parameters.items() if param is not None}
    entries.update((name, buffer) for name, buffer in module._buffers.items()
                   if buffer is not None and name not in module._non_persistent_buffers)
    return entries


def make_state_dict(module, destination, prefix: str, keep_vars: bool):
    """PyTorch's ``Module.state_dict`` of ``module``, into ``destination`` (a new
    OrderedDict with ``_metadata`` when None)."""
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()
    local_metadata = {"version": module._version}
    if hasattr(destination, "_metadata"):
        destination._metadata[prefix[:-1]] = local_metadata
    for hook in list(hooks(module, "save_pre").values()):
        hook(module, prefix, keep_vars)
    module._save_to_state_dict(destination, prefix, keep_vars)
    for name, child in module._modules.items():
        if child is not None:
            child.state_dict(destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars)
    for hook, returns_dict in list(hooks(module, "save_post").values()):
        result = hook(module, destination, prefix, local_metadata)
        if result is not None:
            if not returns_dict:
                raise RuntimeError("a state_dict post-hook must return None; change the dict in place instead")
            destination = result
    return destination


def save_own(module, destination, prefix: str, keep_vars: bool):
    """``_save_to_state_dict``: the module's own entries, detached unless ``keep_vars``,
    and its extra state when its class defines ``get_extra_state``."""
    for name, tensor in own_entries(module).items():
        destination[prefix + name] = tensor if keep_vars else tensor.detach()
    if _defines(module, "get_extra_state"):
        destination[prefix + EXTRA_STATE] = module.get_extra_state()


def load_state_dict(root, state_dict, strict: bool, assign: bool) -> IncompatibleKeys:
    """PyTorch's ``Module.load_state_dict``; nothing changes unless the whole load succeeds."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    metadata = getattr(state_dict, "_metadata", None)
    state_dict = OrderedDict(state_dict)  # hooks may change it; the caller's stays as it is
    if metadata is not None:
        state_dict._metadata = metadata
    load = _Load(metadata or {}, assign)
    token = _held_back.set(load.held_back)
    try:
        load.tree(root, state_dict, "")
    finally:
        _held_back.reset(token)
    errors = load.errors
    if strict and load.unexpected:
        errors.insert(0, f"Unexpected key(s) in state_dict: {_quoted(load.unexpected)}. ")  # PyTorch's words
    if strict and load.missing:
        errors.insert(0, f"Missing key(s) in state_dict: {_quoted(load.missing)}. ")
    if errors:
        raise RuntimeError(f"Error(s) in loading state_dict for {type(root).__name__}:\n\t" + "\n\t".join(errors))
    for change in load.held_back:
        change()
    return IncompatibleKeys(load.missing, load.unexpected)


class _Load:
    """One load's findings, shared by every module of the tree: the missing and
    unexpected keys, the errors, and the copies held back until the end."""

    def __init__(self, metadata: dict, assign: bool):
        self.metadata, self.assign = metadata, assign
        self.missing, self.unexpected, self.errors, self.held_back = [], [], [], []

    def tree(self, module, local_state: dict, prefix: str):
        """``module``'s own keys, its children's (each given the keys under its prefix), then its post-hooks."""
        local_metadata = dict(self.metadata.get(prefix[:-1], {}))
        if self.assign:
            local_metadata["assign_to_params_buffers"] = True
        module._load_from_state_dict(local_state, prefix, local_metadata, True, self.missing, self.unexpected,
                                     self.errors)
        for name, child in module._modules.items():
            if child is not None:
                child_prefix = f"{prefix}{name}."
                self.tree(child, {k: v for k, v in local_state.items() if k.startswith(child_prefix)}, child_prefix)
        for hook in list(hooks(module, "load_post").values()):
            if hook(module, IncompatibleKeys(self.missing, self.unexpected)) is not None:
                raise RuntimeError("a load_state_dict post-hook must return None; change the incompatible keys "
                                   "in place instead")


def load_own(module, state_dict, prefix: str, local_metadata: dict, strict: bool, missing: list, unexpected: list,
             errors: list):
    """``_load_from_state_dict``: the load pre-hooks, then each of the module's own
    entries from ``state_dict`` (shapes checked), then, with ``strict``, the keys under
    ``prefix`` that name nothing the module has."""
    for hook in list(hooks(module, "load_pre").values()):
        hook(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors)
    entries = own_entries(module)
    assign = local_metadata.get("assign_to_params_buffers", False)
    for name, target in entries.items():
        key = prefix + name
        if key in state_dict:
            _load_entry(module, name, target, key, state_dict[key], assign, errors)
        elif strict:
            missing.append(key)
    extra_key = prefix + EXTRA_STATE
    if _defines(module, "set_extra_state"):
        if extra_key in state_dict:
            _change(lambda value=state_dict[extra_key]: module.set_extra_state(value))
        elif strict:
            missing.append(extra_key)
    if strict:
        unexpected += [key for key in state_dict if key.startswith(prefix) and key != extra_key
                       and not _names_an_entry(module, entries, key[len(prefix):])]


def _load_entry(module, name: str, target, key: str, given, assign: bool, errors: list):
    """Check the checkpoint's value ``given`` for the entry ``name`` against its shape;
    copy it in (or, ``assign``, put it in place) when the load succeeds."""
    source = Tensor(given, dtype=target.dtype, device=target.device)
    if target.ndim == 0 and source.shape == (1,):  # checkpoints of old releases kept scalars as (1,)
        source = source.reshape(())
    if source.shape != target.shape:
        errors.append(f"size mismatch for {key}: copying a param with shape {source.shape} from checkpoint, "
                      f"the shape in current model is {target.shape}.")
    elif assign:
        _change(lambda: _assign(module, name, target, given))
    else:
        _change(lambda: _copy(target, source))


def _names_an_entry(module, entries: dict, key: str) -> bool:
    """Whether a key under a module's prefix names one of its entries or a key of one of its children."""
    first, *rest = key.split(".", 1)
    return first in (module._modules if rest else entries)


def _change(change):
    held_back = _held_back.get()
    if held_back is None:  # a module's _load_from_state_dict called on its own: no whole load to wait for
        change()
    else:
        held_back.append(change)


def _copy(target, source):
    target._data[...] = source._data
    bump(target)


def _assign(module, name: str, target, given):
    """``assign=True``: the checkpoint's tensor itself takes the entry's place (a
    Parameter for a parameter, requiring a gradient as the one it replaces)."""
    value = given if isinstance(given, Tensor) else Tensor(given)
    if isinstance(target, Parameter):
        if isinstance(value, Parameter):
            value.requires_grad_(target.requires_grad)
        else:
            value = Parameter(value, requires_grad=target.requires_grad)
    setattr(module, name, value)


def _defines(module, method: str) -> bool:
    """Whether ``module``'s class defines ``method`` (get/set_extra_state) itself."""
    from tinygrad_bn.nn.module import Module

    return getattr(type(module), method) is not getattr(Module, method)


def _quoted(keys: list) -> str:
    """Keys as PyTorch lists them in its errors: "a", "b"."""
    return ", ".join(f'"{key}"' for key in keys)
