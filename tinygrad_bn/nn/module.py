"""`Module` and `Parameter`: the containers models are built from, as in PyTorch.

A Module owns three kinds of named members, registered when they are assigned
as attributes: parameters (learned, :class:`Parameter`), buffers (state such as
BatchNorm's running statistics, registered with :meth:`Module.register_buffer`
or assigned as a :class:`~tinygrad_bn.nn.parameter.Buffer`)
and sub-modules. Everything else (listing parameters, train/eval, state dicts)
walks that tree.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict

from tinygrad_bn.annotations import region
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.backend import get_backend
from tinygrad_bn.nn import hooks
from tinygrad_bn.nn import state_dict as state_dicts
from tinygrad_bn.nn.parameter import Buffer, Parameter
from tinygrad_bn.nn.state_dict import IncompatibleKeys
from tinygrad_bn.ops.conversion import device_and_dtype
from tinygrad_bn.ops.inplace import clear_grad


def _check_member_name(module, name, kind):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{kind} name must be non-empty and contain no '.', got {name!r}")
    if "_parameters" not in module.__dict__:
        raise AttributeError(f"cannot add {kind} {name!r} before Module.__init__() is called")
    if hasattr(type(module), name):
        raise KeyError(
            f"cannot add {kind} {name!r}: {type(module).__name__} already has an attribute of that name"
        )


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()``, assign parameters and sub-modules as
    attributes and write ``forward``; calling the module calls ``forward``.

    >>> from tinygrad_bn import zeros
    >>> class Affine(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = Parameter(zeros(3))
    ...         self.register_buffer("calls", zeros(1))
    ...     def forward(self, x):
    ...         return x * self.scale
    >>> model = Affine()
    >>> [name for name, _ in model.named_parameters()], list(model.state_dict())
    (['scale'], ['scale', 'calls'])
    """

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    _hook_tables = None  # the module's hooks by kind, once one is registered (see nn.hooks)

    def __call__(self, *args, **kwargs):
        """``forward`` (with the module's hooks around it, if any), with what it
        records in a region of its own, for pictures."""
        with region("module", type(self).__name__, owner=self):
            if self._hook_tables is None:
                return self.forward(*args, **kwargs)
            return hooks.call(self, args, kwargs)

    # Hooks (see nn.hooks) -------------------------------------------------------------

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """Call ``hook(module, args)`` before each forward; it may return new args."""
        return hooks.register(self, "forward_pre", hook, prepend, with_kwargs=with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False):
        """Call ``hook(module, args, output)`` after each forward; it may return a new output."""
        return hooks.register(self, "forward", hook, prepend, with_kwargs=with_kwargs, always_call=always_call)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False):
        """Call ``hook(module, grad_output)`` when backward reaches the outputs; it may return new ones."""
        return hooks.register(self, "backward_pre", hook, prepend)

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """Call ``hook(module, grad_input, grad_output)`` when backward reaches the inputs;
        it may return a new ``grad_input``."""
        return hooks.register(self, "backward", hook, prepend)

    # Registering members ------------------------------------------------------------

    def register_parameter(self, name: str, param: Parameter | None):
        """Add a parameter (or an empty slot, with None) under ``name``."""
        _check_member_name(self, name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} as parameter {name!r} "
                "(a Parameter or None is expected; wrap tensors with nn.Parameter(...))"
            )
        self._forget(name, keep="_parameters")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True):
        """Add a buffer: state that is not learned but belongs to the module.

        Persistent buffers are part of :meth:`state_dict`."""
        _check_member_name(self, name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign {type(tensor).__name__} as buffer {name!r} (a Tensor or None is expected)"
            )
        self._forget(name, keep="_buffers")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None):
        """Add a sub-module under ``name``."""
        _check_member_name(self, name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._forget(name, keep="_modules")
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None):
        """PyTorch's other name for :meth:`add_module`."""
        self.add_module(name, module)

    def _forget(self, name, keep):
        """Drop ``name`` from the plain attributes and from every member table but
        ``keep`` (where a re-assigned member keeps its place)."""
        for table in ("_parameters", "_buffers", "_modules"):
            if table != keep:
                getattr(self, table).pop(name, None)
        if keep != "_buffers":
            self._non_persistent_buffers.discard(name)
        self.__dict__.pop(name, None)

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self.add_module(name, value)
        elif "_parameters" in self.__dict__ and name in self._parameters:
            self.register_parameter(name, value)
        elif "_modules" in self.__dict__ and name in self._modules:
            self.add_module(name, value)
        elif isinstance(value, Buffer):
            self.register_buffer(name, value, persistent=value.persistent)
        elif "_buffers" in self.__dict__ and name in self._buffers:
            self.register_buffer(name, value, persistent=name not in self._non_persistent_buffers)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for table in ("_parameters", "_buffers", "_modules"):
            members = self.__dict__.get(table)
            if members is not None and name in members:
                return members[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    # Walking the tree ---------------------------------------------------------------

    def named_children(self):
        """(name, module) for each direct sub-module."""
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True):
        """(dotted name, module) for this module and every module below it, depth
        first; a module reachable by two names is listed once unless ``remove_duplicate``
        is False."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            below = [(f"{name}.{child_name}" if name else child_name, child)
                     for child_name, child in module.named_children()]
            stack.extend(reversed(below))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def get_submodule(self, target: str) -> Module:
        """The sub-module at the dotted path ``target`` (``""`` is this module).

        >>> from tinygrad_bn import nn
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
        >>> model.get_submodule("1.1")
        Linear(in_features=3, out_features=1, bias=True)
        """
        module = self
        walked = []
        for name in target.split(".") if target else []:
            child = module._modules.get(name)
            if child is None:
                where = f"{type(module).__name__} at {'.'.join(walked)!r}" if walked else type(module).__name__
                children = ", ".join(repr(child_name) for child_name, _ in module.named_children()) or "none"
                raise AttributeError(
                    f"get_submodule({target!r}): {where} has no sub-module {name!r}; its sub-modules are {children}"
                )
            module = child
            walked.append(name)
        return module

    def set_submodule(self, target: str, module: Module, strict: bool = False):
        """Put ``module`` at the dotted path ``target``; the modules on the way must exist.
        With ``strict``, the last name must already be a sub-module there."""
        if not target:
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)
        if strict and name not in parent._modules:
            raise AttributeError(f"{type(parent).__name__} has no attribute `{name}`")
        parent.add_module(name, module)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` (``"0.weight"``), as PyTorch finds it."""
        owner, name = self._member_owner(target)
        if not isinstance(getattr(owner, name), Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return getattr(owner, name)

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target`` (``"1.running_mean"``)."""
        owner, name = self._member_owner(target)
        if name not in owner._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return owner._buffers[name]

    def _member_owner(self, target: str) -> tuple:
        path, _, name = target.rpartition(".")
        owner = self.get_submodule(path)
        if not hasattr(owner, name):
            raise AttributeError(f"{type(owner).__name__} has no attribute `{name}`")
        return owner, name

    def _named_members(self, table: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        modules = self.named_modules(prefix, remove_duplicate) if recurse else [(prefix, self)]
        seen = set()
        for module_name, module in modules:
            for name, member in getattr(module, table).items():
                if member is None or (remove_duplicate and id(member) in seen):
                    continue
                seen.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, parameter) pairs, each shared parameter once unless ``remove_duplicate``
        is False (then once per name it has)."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, buffer) pairs, each shared buffer once unless ``remove_duplicate`` is False."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn):
        """Call ``fn`` on every sub-module, then on this module; return self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # Modes, gradients, devices ------------------------------------------------------

    def train(self, mode: bool = True):
        """Set training mode (``self.training``) on this module and all below it."""
        if not isinstance(mode, bool):
            raise TypeError(f"train() expects a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        """Set evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        """Set ``requires_grad`` on every parameter: False freezes them (backward
        gives them no gradient, so optimizers skip them), True unfreezes them; return self.

        >>> from tinygrad_bn import nn
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
        >>> _ = model[0].requires_grad_(False)
        >>> [(name, p.requires_grad) for name, p in model.named_parameters()]
        [('0.weight', False), ('0.bias', False), ('1.weight', True), ('1.bias', True)]
        """
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True):
        """Forget every parameter's gradient: set ``.grad`` to None, or with
        ``set_to_none=False`` fill it with zeros in place, as PyTorch does."""
        for param in self.parameters():
            clear_grad(param, set_to_none)

    def to(self, *args, device=None, dtype=None, non_blocking=False, memory_format=None):
        """Move parameters and buffers to ``device`` and cast the floating ones to
        ``dtype``, in place (parameters stay the same objects); return self. As
        PyTorch's: ``model.to("cuda")``, ``model.to(torch.float64)``, or both; with
        ``memory_format`` (``torch.channels_last``) the 4-D and 5-D ones are laid out
        that way."""
        device, dtype = device_and_dtype(args, device, dtype)
        backend = get_backend(device) if device is not None else None
        for tensor in [*self.parameters(), *self.buffers()]:
            _move_in_place(tensor, backend, dtype)
            if tensor.grad is not None:
                _move_in_place(tensor.grad, backend, dtype)
            if memory_format is not None and tensor.ndim in (4, 5):
                tensor.data = tensor.detach().contiguous(memory_format=memory_format)
        return self

    def double(self):
        """Cast the floating parameters and buffers to float64, in place; return self."""
        return self.to(dtype="float64")

    def float(self):  # noqa: A003 - PyTorch's method name
        """Cast the floating parameters and buffers to float32, in place; return self."""
        return self.to(dtype="float32")

    def half(self):
        """Cast the floating parameters and buffers to float16, in place; return self."""
        return self.to(dtype="float16")

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    # State dicts --------------------------------------------------------------------

    _version = 1  # recorded in state dicts' _metadata; a subclass raises it when its entries change

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Every parameter and persistent buffer by its dotted name (PyTorch's keys):
        per module, its parameters, then its buffers, then its sub-modules'. The
        tensors share the module's arrays; they are detached unless ``keep_vars``.
        ``_metadata`` holds each module's ``_version``. The hooks are those of
        :meth:`register_state_dict_pre_hook` and :meth:`register_state_dict_post_hook`.
        Positional arguments are PyTorch's older (destination, prefix, keep_vars)."""
        if args:
            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                          "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict"
                          " for details.", FutureWarning, stacklevel=2)
            destination, prefix, keep_vars = (*args, *(destination, prefix, keep_vars)[len(args):])[:3]
        return state_dicts.make_state_dict(self, destination, prefix, keep_vars)

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool):
        """Put this module's own parameters and persistent buffers (not its children's)
        into ``destination``; a subclass may add or change entries."""
        state_dicts.save_own(self, destination, prefix, keep_vars)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False) -> IncompatibleKeys:
        """Copy values (Tensors or NumPy arrays) into this module's parameters and
        buffers, in place: each keeps its dtype and device. With ``assign`` the
        checkpoint's tensors take the entries' places instead.

        With ``strict`` every key must match; otherwise the missing and unexpected
        keys are returned. A shape mismatch is always an error, and a load that
        fails changes nothing. Each module's load hooks run as in PyTorch (see
        :mod:`~tinygrad_bn.nn.state_dict`).

        >>> import numpy as np
        >>> from tinygrad_bn import zeros
        >>> model = Module()
        >>> model.weight = Parameter(zeros(1, 2))
        >>> model.load_state_dict({"weight": np.array([[1.0, 2.0]])})
        <All keys matched successfully>
        >>> model.weight.tolist(), model.weight.dtype
        ([[1.0, 2.0]], dtype('float32'))
        """
        return state_dicts.load_state_dict(self, state_dict, strict, assign)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Load this module's own entries from ``state_dict`` (keys under ``prefix``),
        after its load pre-hooks; a subclass may rewrite keys first (see BatchNorm)."""
        state_dicts.load_own(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                             error_msgs)

    def get_extra_state(self):
        """State beyond tensors to put in the state dict (define it, and
        :meth:`set_extra_state`, in a subclass)."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called.")

    def set_extra_state(self, state):
        """Take back what :meth:`get_extra_state` gave."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called.")

    def register_state_dict_pre_hook(self, hook):
        """Call ``hook(module, prefix, keep_vars)`` before this module's entries are made."""
        return state_dicts.register(self, "save_pre", hook)

    def register_state_dict_post_hook(self, hook):
        """Call ``hook(module, state_dict, prefix, local_metadata)`` once this module's
        entries and its children's are in; it changes the dict in place and returns None."""
        return state_dicts.register(self, "save_post", hook)

    def _register_state_dict_hook(self, hook):
        """The older post-hook: what it returns, if not None, becomes the state dict."""
        return state_dicts.register(self, "save_post", hook, returns_dict=True)

    def register_load_state_dict_pre_hook(self, hook):
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module loads its own keys; it may
        change ``state_dict`` in place (rename keys, say)."""
        return state_dicts.register(self, "load_pre", hook)

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        """The older pre-hook, called without the module unless ``with_module``."""
        return state_dicts.register(self, "load_pre", hook if with_module else lambda module, *args: hook(*args))

    def register_load_state_dict_post_hook(self, hook):
        """Call ``hook(module, incompatible_keys)`` once this module and its children
        have loaded; it may change the missing and unexpected key lists in place."""
        return state_dicts.register(self, "load_post", hook)

    # Presentation -------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The arguments shown between the parentheses of the module's repr."""
        return ""

    def _child_reprs(self) -> list:
        """(label, repr) of each sub-module, as the repr lists them (an empty slot as None, as PyTorch's)."""
        return [(name, repr(module)) for name, module in self._modules.items()]

    def __repr__(self):
        lines = [f"({label}): " + text.replace("\n", "\n  ") for label, text in self._child_reprs()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        extra = self.extra_repr()
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"


def _move_in_place(tensor: Tensor, backend, dtype):
    """Re-home ``tensor``'s array on ``backend`` and cast it to ``dtype`` if floating."""
    moved = Tensor(tensor, device=backend or tensor._backend)
    if dtype is not None and moved.dtype.kind == "f":
        moved = Tensor(moved, dtype=dtype)
    tensor._data = moved._data
    tensor._backend = moved._backend
