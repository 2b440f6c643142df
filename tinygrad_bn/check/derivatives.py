"""Derivatives of any order along one direction, by nested reverse mode.

For a function f of the inputs x (those that require grad), a cotangent w for its
outputs and a direction v for its inputs (one array per input):

    S₀ = ⟨w, f(x)⟩          Gⱼ = ∂Sⱼ/∂x          Sⱼ₊₁ = ⟨Gⱼ, v⟩

so Sⱼ = ⟨w, dʲ/dtʲ f(x + t·v)⟩ at t = 0, the j-th directional derivative, and its
gradient Gⱼ takes j + 1 derivatives (G₀ is the ordinary gradient, G₁ a
Hessian-vector product). Every Gⱼ that a later one is taken from is computed with
``create_graph=True``, so an implementation whose backward is not differentiable
to that order shows it.

The same recipe runs on two engines: this library's autograd, and PyTorch's for a
function wrapped by :func:`from_pytorch`, so either can stand on either side of
:func:`~tinygrad_bn.check.compare`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy

from tinygrad_bn.autograd import Tensor, grad


class Autograd:
    """This library's engine, as the recipe needs it."""

    name = "tinygrad_bn"

    @staticmethod
    def tensor(host, device, requires_grad=False):
        return Tensor(host, device=device, requires_grad=requires_grad)

    @staticmethod
    def host(t):
        return t.numpy().astype(numpy.float64)

    @staticmethod
    def in_graph(t) -> bool:
        return t.requires_grad

    @staticmethod
    def is_floating(t) -> bool:
        return t.dtype.kind == "f"

    @staticmethod
    def grad(scalar, targets, create_graph):
        return grad(scalar, targets, create_graph=create_graph, allow_unused=True)

    @staticmethod
    def outputs(result, label):
        outputs = (result,) if isinstance(result, Tensor) else result
        if not isinstance(outputs, Sequence) or not all(isinstance(out, Tensor) for out in outputs):
            raise TypeError(
                f"compare: {label} returned {type(result).__name__} {result!r:.60}; "
                "expected a Tensor or a sequence of Tensors"
            )
        return tuple(outputs)


class TorchAutograd:
    """PyTorch's autograd, for functions of torch tensors (CPU)."""

    name = "PyTorch"

    def __init__(self, torch):
        self.torch = torch

    def tensor(self, host, device, requires_grad=False):
        return self.torch.from_numpy(numpy.array(host)).requires_grad_(requires_grad)

    @staticmethod
    def host(t):
        return t.detach().numpy().astype(numpy.float64)

    @staticmethod
    def in_graph(t) -> bool:
        return t.requires_grad

    @staticmethod
    def is_floating(t) -> bool:
        return t.is_floating_point()

    def grad(self, scalar, targets, create_graph):
        return self.torch.autograd.grad(scalar, targets, create_graph=create_graph, allow_unused=True)

    def outputs(self, result, label):
        outputs = (result,) if isinstance(result, self.torch.Tensor) else result
        if not isinstance(outputs, Sequence) or not all(isinstance(o, self.torch.Tensor) for o in outputs):
            raise TypeError(f"compare: {label} returned {type(result).__name__}; expected torch tensors")
        return tuple(outputs)


class PyTorchFunction:
    """A function of torch tensors, made usable by :func:`~tinygrad_bn.check.compare`
    (see :func:`from_pytorch`). Called directly with Tensors, it returns Tensors."""

    def __init__(self, fn, torch):
        self.fn = fn
        self.autograd = TorchAutograd(torch)
        self.__name__ = getattr(fn, "__name__", "pytorch")

    def __call__(self, *tensors):
        torch = self.autograd.torch
        args = [torch.from_numpy(t.numpy().copy()) for t in tensors]
        with torch.no_grad():
            outputs = self.autograd.outputs(self.fn(*args), self.__name__)
        for t, arg in zip(tensors, args, strict=True):  # in-place changes (running statistics) go back
            if not t.requires_grad:
                t._data[...] = Tensor(arg.numpy(), device=t.device)._data
        result = tuple(Tensor(out.numpy(), device=tensors[0].device) for out in outputs)
        return result[0] if len(result) == 1 else result


def from_pytorch(fn) -> PyTorchFunction:
    """Wrap ``fn``, a function of torch tensors, so it can be either side of
    :func:`~tinygrad_bn.check.compare`: its derivatives are taken by PyTorch's
    autograd, in the same directions as the other side's.

    >>> import torch                                    # doctest: +SKIP
    >>> twin = from_pytorch(torch.nn.functional.softplus)   # doctest: +SKIP
    """
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            "check.from_pytorch needs PyTorch: install the torch extra, pip install -e '.[torch]'"
        ) from error
    return PyTorchFunction(fn, torch)


def autograd_of(fn):
    """The engine that differentiates ``fn``."""
    return fn.autograd if isinstance(fn, PyTorchFunction) else Autograd


def callable_of(fn):
    return fn.fn if isinstance(fn, PyTorchFunction) else fn


@dataclass
class Derivatives:
    """What one call of a function gave, as float64 host arrays: ``outputs``;
    ``along[j]`` = Sⱼ; ``grads[j]`` = Gⱼ, one array per differentiated input (zeros
    where no path leads); ``upstream_grads`` = ∂S₁/∂w per output with a cotangent
    (order ≥ 2); ``state``, every input after the call; ``live``, the outputs in a graph
    that have a cotangent."""

    @property
    def differentiable(self) -> bool:
        return bool(self.live)

    outputs: list
    output_dtypes: list = field(default_factory=list)
    live: list = field(default_factory=list)
    along: list = field(default_factory=list)
    grads: list = field(default_factory=list)
    upstream_grads: list = field(default_factory=list)
    state: list = field(default_factory=list)


def derivatives(fn, hosts, dtypes, device, wanted, cotangents, directions, order, label) -> Derivatives:
    """Call ``fn`` on fresh inputs made from the host arrays ``hosts`` (cast to
    ``dtypes``; those at the indices ``wanted`` require grad) and take S₀ … S_order and
    G₀ … G_(order−1) for the cotangents that ``cotangents(outputs, label)`` gives (a host array
    per output, or None) and the ``directions`` (one per wanted input). ``order=0`` gives S₀ alone.
    With ``order=1``, G₀ is taken without create_graph (a fused op's fast path)."""
    autograd = autograd_of(fn)
    args = [autograd.tensor(h.astype(dtype), device, requires_grad=i in wanted)
            for i, (h, dtype) in enumerate(zip(hosts, dtypes, strict=True))]
    outputs = autograd.outputs(callable_of(fn)(*args), label)
    upstream = cotangents(outputs, label)
    live = [k for k, u in enumerate(upstream) if u is not None and autograd.in_graph(outputs[k])]
    result = Derivatives(outputs=[autograd.host(out) for out in outputs], live=live,
                         output_dtypes=[numpy.dtype(_dtype_of(out)) for out in outputs])
    ws = [autograd.tensor(upstream[k].astype(_dtype_of(outputs[k])), device, requires_grad=order > 1)
          for k in live]
    targets = [args[i] for i in wanted]
    scalar = sum((outputs[k] * w).sum() for k, w in zip(live, ws, strict=True))
    result.along.append(_value(autograd, scalar))
    for j in range(order):
        extra = ws if j == 1 else []
        if _differentiable(autograd, scalar):
            grads = autograd.grad(scalar, targets + extra, create_graph=j + 1 < order)
        else:
            grads = [None] * (len(targets) + len(extra))
        gradients = grads[:len(targets)]
        result.grads.append(_hosts(autograd, gradients, targets))
        if j == 1:
            result.upstream_grads = _hosts(autograd, grads[len(targets):], extra)
        scalar = sum((g * autograd.tensor(v.astype(_dtype_of(g)), device)).sum()
                     for g, v in zip(gradients, directions, strict=True) if g is not None)
        result.along.append(_value(autograd, scalar))
    result.state = [autograd.host(a) for a in args]
    return result


def _dtype_of(t):
    return str(t.dtype).removeprefix("torch.")


def _differentiable(autograd, scalar) -> bool:
    return not isinstance(scalar, int) and autograd.in_graph(scalar)


def _value(autograd, scalar) -> numpy.ndarray:
    """A scalar (a 0-d tensor, or 0 where nothing contributed) as a 0-d float64 array."""
    return numpy.array(0.0) if isinstance(scalar, int) else autograd.host(scalar).reshape(())


def _hosts(autograd, tensors, likes) -> list:
    return [numpy.zeros(tuple(like.shape)) if t is None else autograd.host(t)
            for t, like in zip(tensors, likes, strict=True)]
