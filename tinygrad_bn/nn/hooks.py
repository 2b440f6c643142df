"""Module hooks, as PyTorch's: functions called around a module's forward, and with
the gradients of its inputs and outputs in backward.

- a forward pre-hook ``hook(module, args)`` runs before ``forward`` and may return
  new args (``hook(module, args, kwargs)`` returning ``(args, kwargs)`` with
  ``with_kwargs=True``);
- a forward hook ``hook(module, args, output)`` runs after it and may return a new
  output (``hook(module, args, kwargs, output)`` with ``with_kwargs=True``);
- a full backward pre-hook ``hook(module, grad_output)`` runs when the gradients of
  the outputs are known, and may return new ones;
- a full backward hook ``hook(module, grad_input, grad_output)`` runs when the
  gradients of the inputs are known, and may return new ones.

``grad_input`` has one entry per Tensor among the positional arguments and
``grad_output`` one per Tensor output (a Tensor, or a tuple holding Tensors);
None where there is no gradient. The backward hooks work by two identity ops
put around the call: one over the inputs that require a gradient, whose
backward calls the backward hooks, one over the outputs, whose backward notes
``grad_output``.

>>> from tinygrad_bn import nn, ones
>>> layer, seen = nn.Linear(3, 2), []
>>> handle = layer.register_forward_hook(lambda module, args, output: seen.append(output.shape))
>>> _ = layer(ones(4, 3))
>>> seen
[(4, 2)]
"""

from __future__ import annotations

import warnings

from tinygrad_bn.autograd import Function, Tensor, is_grad_enabled
from tinygrad_bn.autograd.hooks import Hooks, RemovableHandle, add_hook

KINDS = ("forward_pre", "forward", "backward_pre", "backward")


def register(module, kind: str, hook, prepend: bool = False, **flags) -> RemovableHandle:
    """Add ``hook`` to ``module``'s hooks of ``kind`` (see :data:`KINDS`), wrapped
    with its ``flags`` (``with_kwargs``, ``always_call``)."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    tables = module.__dict__.get("_hook_tables")
    if tables is None:
        tables = {name: Hooks() for name in KINDS}
        object.__setattr__(module, "_hook_tables", tables)
    return add_hook(tables[kind], _Hook(hook, **flags), prepend)


class _Hook:
    """A registered hook with the flags it was registered with."""

    def __init__(self, hook, with_kwargs: bool = False, always_call: bool = False):
        self.hook, self.with_kwargs, self.always_call = hook, with_kwargs, always_call

    def __call__(self, *args):
        return self.hook(*args)


def call(module, args: tuple, kwargs: dict):
    """``module.forward(*args, **kwargs)`` with the module's hooks around it."""
    tables = module._hook_tables
    args, kwargs = _before_forward(module, tables["forward_pre"], args, kwargs)
    backward_hooks = is_grad_enabled() and (tables["backward"] or tables["backward_pre"])
    if backward_hooks:
        state = _BackwardCall(module, args)
        args = state.watch_inputs(args)
    try:
        output = module.forward(*args, **kwargs)
    except Exception:
        for hook in [h for h in tables["forward"].values() if h.always_call]:
            _after_forward_hook(module, hook, args, kwargs, None)
        raise
    for hook in list(tables["forward"].values()):
        output = _after_forward_hook(module, hook, args, kwargs, output)
    return state.watch_outputs(output) if backward_hooks else output


def _before_forward(module, hooks: Hooks, args: tuple, kwargs: dict) -> tuple:
    for hook in list(hooks.values()):
        if hook.with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"a forward pre-hook with with_kwargs=True must return None or a tuple "
                                       f"(args, kwargs), got {type(result).__name__}")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    return args, kwargs


def _after_forward_hook(module, hook: _Hook, args: tuple, kwargs: dict, output):
    result = hook(module, args, kwargs, output) if hook.with_kwargs else hook(module, args, output)
    return output if result is None else result


class _BackwardCall:
    """One call of a module with backward hooks: which of its arguments and outputs
    are Tensors, and the gradient of the outputs once backward has reached them."""

    def __init__(self, module, args: tuple):
        self.module = module
        self.tables = module._hook_tables
        self.input_count = sum(isinstance(a, Tensor) for a in args)
        self.grad_output = None

    def watch_inputs(self, args: tuple) -> tuple:
        """``args`` with those that require a gradient passed through one identity op."""
        watched = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        self.input_positions = [i for i, a in enumerate(a for a in args if isinstance(a, Tensor))
                                if a.requires_grad]
        if not watched:
            return args
        identities = iter(_Watch.apply(self.inputs_reached, *watched))
        return tuple(next(identities) if isinstance(a, Tensor) and a.requires_grad else a for a in args)

    def watch_outputs(self, output):
        """``output`` (a Tensor or a tuple) with its Tensors that require a gradient passed
        through one identity op."""
        outputs = (output,) if isinstance(output, Tensor) else output
        if not isinstance(outputs, tuple):
            raise TypeError(f"backward hooks of {type(self.module).__name__} need forward to return a Tensor or a "
                            f"tuple, got {type(output).__name__}")
        tensors = [o for o in outputs if isinstance(o, Tensor)]
        self.output_positions = [i for i, o in enumerate(tensors) if o.requires_grad]
        self.output_count = len(tensors)
        watched = [o for o in tensors if o.requires_grad]
        if not watched:
            return output
        identities = _Watch.apply(self.outputs_reached, *watched)
        self.reached = None
        if len(identities) > 1:  # which of them a gradient reaches, so that the others show None, as in PyTorch
            self.reached = set()
            identities = [_Reached.apply(self.reached, k, t) for k, t in enumerate(identities)]
        identities = iter(identities)
        outputs = tuple(next(identities) if isinstance(o, Tensor) and o.requires_grad else o for o in outputs)
        return outputs[0] if isinstance(output, Tensor) else outputs

    def outputs_reached(self, grads: tuple) -> tuple:
        """Backward has reached the outputs: run the backward pre-hooks on their gradients
        (None for an output no gradient reached)."""
        if self.reached is not None:
            grads = tuple(g if k in self.reached else None for k, g in enumerate(grads))
        grad_output = _spread(grads, self.output_positions, self.output_count)
        for hook in list(self.tables["backward_pre"].values()):
            result = hook(self.module, grad_output)
            if result is not None:
                grad_output = _checked(result, grad_output, "backward pre-hook")
        self.grad_output = grad_output
        if not self.input_positions and self.tables["backward"]:  # as in PyTorch, with its warning
            warnings.warn(f"the full backward hooks of {type(self.module).__name__} run as backward reaches its "
                          "outputs, with None for each input, since no input requires a gradient", stacklevel=2)
            self.inputs_reached(())
        return tuple(grad_output[i] for i in self.output_positions)

    def inputs_reached(self, grads: tuple) -> tuple:
        """Backward has reached the inputs: run the backward hooks on their gradients."""
        grad_input = _spread(grads, self.input_positions, self.input_count)
        for hook in list(self.tables["backward"].values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = _checked(result, grad_input, "backward hook")
        return tuple(grad_input[i] for i in self.input_positions)


def _spread(grads: tuple, positions: list, count: int) -> tuple:
    """``grads`` at ``positions`` of a tuple of ``count``, None elsewhere."""
    spread = [None] * count
    for position, grad in zip(positions, grads, strict=True):
        spread[position] = grad
    return tuple(spread)


def _checked(result, grads: tuple, what: str) -> tuple:
    if not isinstance(result, (tuple, list)) or len(result) != len(grads):
        raise RuntimeError(f"a {what} must return None or a tuple of {len(grads)} gradients, got {result!r:.80}")
    return tuple(result)


class _Reached(Function):
    """Identity on one of a call's several outputs; its backward notes that a gradient
    reached output ``k`` (it runs before the outputs' :class:`_Watch`)."""

    @staticmethod
    def forward(ctx, reached, k, t):
        ctx.reached, ctx.k = reached, k
        return t

    @staticmethod
    def backward(ctx, grad):
        ctx.reached.add(ctx.k)
        return None, None, grad


class _Watch(Function):
    """Identity over some Tensors of a module's call; its backward hands their gradients
    to ``reached`` (a :class:`_BackwardCall`'s ``inputs_reached`` or
    ``outputs_reached``), which runs the hooks and returns the gradients to pass on."""

    @staticmethod
    def forward(ctx, reached, *tensors):
        ctx.reached = reached
        return tuple(tensors)

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.reached(grads))
