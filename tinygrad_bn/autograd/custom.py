"""A user's own op, written as PyTorch's ``torch.autograd.Function`` is written.

A subclass of :class:`~tinygrad_bn.autograd.Function` whose ``forward`` is a
``@staticmethod`` takes a context object first, and Tensors in and out::

    class Clip(Function):
        @staticmethod
        def forward(ctx, x, low):              # any arguments; returns Tensors
            ctx.save_for_backward(x)
            ctx.low = low
            return x.clamp(min=low)

        @staticmethod
        def backward(ctx, grad_output):        # one gradient per output
            (x,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[x < ctx.low] = 0
            return grad_input, None            # one per argument of forward

    y = Clip.apply(x, 0.0)

PyTorch's newer style, which this module also takes, splits that ``forward`` in two:
``forward(*args)`` without ``ctx`` computes the outputs, and
``setup_context(ctx, inputs, output)`` saves what backward needs (``inputs`` is the
tuple of arguments, ``output`` what forward returned)::

    class Clip(Function):
        @staticmethod
        def forward(x, low):
            return x.clamp(min=low)

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, low = inputs
            ctx.save_for_backward(x)
            ctx.low = low

``backward`` may also be named ``vjp``, as PyTorch allows (one or the other, not both).

``forward`` runs without recording. ``backward`` is written with Tensor ops, so with
``create_graph=True`` it is recorded and differentiates again. The call leaves one
:class:`CustomNode` in the graph; a forward with several outputs leaves one node
whose output is all of them, flattened and joined, each output a piece of it.
"""

from __future__ import annotations

import inspect

from tinygrad_bn.autograd.function import Function, _mode, no_grad
from tinygrad_bn.autograd.tensor import Tensor, is_floating


class FunctionCtx:
    """What ``forward(ctx, ...)`` leaves for ``backward(ctx, ...)``: saved tensors,
    which arguments need a gradient, and any attributes set on it."""

    def __init__(self, node: CustomNode, needs_input_grad: tuple):
        self._node = node
        self.needs_input_grad = needs_input_grad
        self.non_differentiable = ()

    def save_for_backward(self, *tensors):
        """Keep ``tensors`` (Tensors or None) for backward, as :attr:`saved_tensors`."""
        for position, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward expects Tensors (or None), got {type(t).__name__} at position {position}; "
                    "keep other values as attributes of ctx (ctx.name = value)"
                )
        self._node.save_for_backward(*tensors)

    @property
    def saved_tensors(self) -> tuple:
        return self._node.saved_tensors

    def mark_non_differentiable(self, *outputs):
        """Outputs of forward that get no gradient (integer indices, masks)."""
        self.non_differentiable = outputs

    def set_materialize_grads(self, value: bool):
        """Accepted for PyTorch's scripts, and changes nothing here: whatever ``value``,
        backward gets zeros for an output that was not used and None for an output
        marked non-differentiable, so a backward that checks for None works unchanged."""


class CustomNode(Function):
    """The graph node of one call of a PyTorch-style Function: its ``backward``
    calls the user's ``backward(ctx, *grads)`` and checks what it returns."""

    def backward(self, grad):
        returned = _user_backward(self.function)(self.ctx, *self._output_grads(grad))
        if not isinstance(returned, tuple):
            returned = (returned,)
        name = self.name
        extra = returned[len(self.arguments):]  # PyTorch lets trailing Nones stand for unused defaults
        if len(returned) < len(self.arguments) or any(g is not None for g in extra):
            raise RuntimeError(
                f"{name}.backward returned {len(returned)} gradient(s) for the {len(self.arguments)} argument(s) "
                "of forward; return one per argument, None for those that are not Tensors"
            )
        grads = []
        for position, ((kind, shape), g) in enumerate(zip(self.arguments, returned)):
            if shape is None:
                if g is not None:
                    raise RuntimeError(f"{name}.backward returned a gradient for argument {position}, "
                                       f"which is a {kind}, not a Tensor; return None for it")
                continue
            if g is not None and not isinstance(g, Tensor):
                raise TypeError(f"{name}.backward must return Tensors (or None), got {type(g).__name__} for "
                                f"argument {position}")
            if g is not None and g.shape != shape:
                raise RuntimeError(f"{name}.backward returned a gradient of shape {g.shape} for argument {position} "
                                   f"of shape {shape}")
            grads.append(g)
        return tuple(grads)

    def _output_grads(self, grad) -> list:
        """One gradient per output of forward: pieces of the joined gradient (zeros
        for outputs marked non-differentiable)."""
        if self.pieces is None:
            return [grad]
        grads, start = [], 0
        for shape, size in self.pieces:
            if shape is None:
                grads.append(None)
                continue
            grads.append(grad[start:start + size].reshape(shape))
            start += size
        return grads

    @property
    def name(self) -> str:
        return self.function.__name__


def _user_backward(cls):
    """The user's ``backward``, or ``vjp``, its other name; not both, as in PyTorch."""
    backward = cls.backward if cls.backward is not Function.backward else None
    vjp = getattr(cls, "vjp", None)
    if backward is not None and vjp is not None:
        raise RuntimeError(f"{cls.__name__} defines both backward and vjp, which are one method under two names; "
                           "keep one of them")
    if backward is None and vjp is None:
        raise NotImplementedError(f"{cls.__name__} has no backward: define backward (or vjp) to differentiate it")
    return backward or vjp


def _has_setup_context(cls) -> bool:
    return getattr(cls, "setup_context", None) is not None


def _forward(cls, ctx: FunctionCtx, args: tuple):
    """Run the user's forward in either style: ``forward(ctx, *args)``, or ``forward(*args)``
    followed by ``setup_context(ctx, args, output)``."""
    if not _has_setup_context(cls):
        return cls.forward(ctx, *args)
    try:
        inspect.signature(cls.forward).bind(*args)
    except TypeError as error:
        raise TypeError(f"{cls.__name__}.forward: {error}. A Function with setup_context has a forward "
                        "without ctx (forward(*args)); drop ctx from forward, or drop setup_context") from None
    output = cls.forward(*args)
    cls.setup_context(ctx, args, output)
    return output


def _outputs(cls, result) -> tuple:
    """The Tensors forward returned, as a tuple; anything else fails here, at once."""
    outputs = (result,) if isinstance(result, Tensor) else result
    if not isinstance(outputs, (tuple, list)) or not all(isinstance(o, Tensor) for o in outputs) or not outputs:
        got = type(result).__name__ if not isinstance(result, (tuple, list)) else \
            "(" + ", ".join(type(o).__name__ for o in result) + ")"
        raise TypeError(f"{cls.__name__}.forward must return a Tensor or a tuple of Tensors, got {got}; "
                        "wrap arrays with tinygrad_bn.tensor(...)")
    return tuple(outputs)


def apply(cls, *args, **kwargs):
    """``cls.apply(*args)``: run the user's forward (and ``setup_context``, when the class
    has one) without recording and, when some Tensor argument requires a gradient, put
    one node for the call in the graph."""
    if kwargs:
        raise TypeError(f"{cls.__name__}.apply takes its arguments by position, as in PyTorch; got {sorted(kwargs)}")
    tensors = [a for a in args if isinstance(a, Tensor)]
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    record = any(needs) and _mode.enabled
    node = CustomNode()
    node.function = cls
    node.arguments = tuple((type(a).__name__, a.shape if isinstance(a, Tensor) else None) for a in args)
    # per tensor input, set before forward as Function.apply sets it: what forward saves knows whether it is recorded
    node.needs_input_grad = tuple(t.requires_grad and record for t in tensors)
    ctx = node.ctx = FunctionCtx(node, needs)  # as in PyTorch, whether or not grad mode is on
    with no_grad():
        result = _forward(cls, ctx, args)
    outputs = _outputs(cls, result)
    if not record:
        return result
    node.backend = tensors[0]._backend
    node.parents = tuple(t if t._ctx is None else t._ctx for t in tensors)
    if _mode.record_hook is not None:
        _mode.record_hook(node)
    differentiable = [o for o in outputs if is_floating(o.dtype) and
                      not any(o is marked for marked in ctx.non_differentiable)]
    results = _attach(node, outputs, differentiable, args)
    return results[0] if isinstance(result, Tensor) else results


def _attach(node: CustomNode, outputs: tuple, differentiable: list, args) -> tuple:
    """Make ``node`` the producer of the differentiable outputs: the output itself
    when there is one (so a saved output is in the graph), else one joined output
    cut back into pieces. The other outputs are returned as they are, outside the graph."""
    if len(outputs) == 1 and differentiable:
        (out,) = outputs
        node.pieces = None
        node.shape, node.dtype = out.shape, out.dtype
        if out._ctx is not None or out.requires_grad or any(out is a for a in args):
            out = Tensor._wrap(out._data, out._backend, None)
        out._ctx, out.requires_grad = node, True
        return (out,)
    dtypes = {o.dtype for o in differentiable}
    if len(dtypes) > 1:
        raise TypeError(f"{node.name}.forward returned differentiable outputs of several dtypes "
                        f"{sorted(map(str, dtypes))}; give them one dtype")
    node.pieces = [(o.shape, o.size) if any(o is d for d in differentiable) else (None, 0) for o in outputs]
    if not differentiable:
        return tuple(o.detach() for o in outputs)
    xp = differentiable[0].xp
    joined = xp.concatenate([o._data.reshape(-1) for o in differentiable])
    node.shape, node.dtype = joined.shape, joined.dtype
    whole = Tensor._wrap(joined, node.backend, node)
    results, start = [], 0
    for o, (shape, size) in zip(outputs, node.pieces):
        if shape is None:
            results.append(o.detach())
            continue
        results.append(whole[start:start + size].reshape(shape))
        start += size
    return tuple(results)
