"""Gradient checks against central finite differences, in float64.

The engine's gradient of ⟨v, f(x)⟩ is compared with
(⟨v, f(x + ε·e_i)⟩ − ⟨v, f(x − ε·e_i)⟩) / 2ε for every element i of every input,
where v is a **random** upstream gradient: with v = ones (a plain sum of the
outputs) some functions, BatchNorm among them, would pass with any gradient.
"""

from __future__ import annotations

import numpy

from tinygrad_bn import generator as generators
from tinygrad_bn.autograd import Tensor, grad
from tinygrad_bn.autograd.tensor import as_tensors


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical gradients disagree (a RuntimeError, as
    PyTorch's, so ``except RuntimeError`` catches it)."""


def _checked(t) -> bool:
    """Whether ``t`` is an input whose gradient is checked: a Tensor that requires one
    (other inputs, numbers and flags among them, are passed to ``fn`` as they are)."""
    return isinstance(t, Tensor) and t.requires_grad


def _check_float64(inputs):
    for i, t in enumerate(inputs):
        if _checked(t) and t.dtype != numpy.float64:
            raise ValueError(
                f"gradcheck needs float64 inputs for finite differences, input {i} is {t.dtype}; "
                "pass x.astype('float64') copies"
            )


def random_like(t: Tensor, rng: numpy.random.Generator, requires_grad=False) -> Tensor:
    """A standard normal tensor of ``t``'s shape, dtype and device."""
    host = rng.standard_normal(t.shape).astype(t.dtype)
    return Tensor(host, device=t.device, requires_grad=requires_grad)


def _weighted_output(fn, inputs, upstream) -> float:
    """⟨v, f(inputs)⟩ summed over all outputs, as a Python float."""
    outputs = as_tensors(fn(*inputs))
    products = ((out.astype(v.dtype) * v).sum().item() for out, v in zip(outputs, upstream, strict=True))
    return float(sum(products))


def _numerical_gradient(fn, inputs, index, upstream, eps):
    data = inputs[index]._data
    result = numpy.zeros(data.shape)
    for element in numpy.ndindex(*data.shape):
        original = data[element].item()
        data[element] = original + eps
        plus = _weighted_output(fn, inputs, upstream)
        data[element] = original - eps
        minus = _weighted_output(fn, inputs, upstream)
        data[element] = original
        result[element] = (plus - minus) / (2 * eps)
    return result


def vector_jacobian(outputs, upstream, targets, create_graph=False) -> tuple:
    """∂⟨u, f⟩/∂t for each target t (None where no path leads), summed over the outputs
    f that are in a graph and have an upstream gradient u (not None)."""
    live = [(out, u) for out, u in zip(outputs, upstream, strict=True) if u is not None and out.requires_grad]
    return grad([out for out, _ in live], targets, grad_outputs=[u for _, u in live],
                create_graph=create_graph, allow_unused=True)


def host_or_zeros(t, like):
    """``t`` as a float64 host array, or zeros of ``like``'s shape where ``t`` is None."""
    return numpy.zeros(like.shape) if t is None else t.numpy().astype(numpy.float64)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0) -> bool:
    """Check the engine's gradients of ``fn`` at ``inputs`` against finite differences.

    ``inputs`` is a Tensor or a sequence of arguments; the Tensors with
    requires_grad=True must be float64 and are checked, the rest are passed as they are.
    Returns True on success; on failure raises :class:`GradcheckError` naming the worst
    element (or returns False when ``raise_exception=False``).

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[0.5, -1.0], [2.0, 3.0]], dtype="float64", requires_grad=True)
    >>> gradcheck(lambda t: (t * t).tanh(), x)
    True
    """
    inputs = as_tensors(inputs)
    _check_float64(inputs)
    rng = numpy.random.default_rng(seed)
    outputs = as_tensors(fn(*inputs))
    upstream = [random_like(out, rng) for out in outputs]
    wanted = [i for i, t in enumerate(inputs) if _checked(t)]
    targets = [inputs[i] for i in wanted]
    analytical = [host_or_zeros(g, t) for g, t in zip(vector_jacobian(outputs, upstream, targets), targets,
                                                       strict=True)]
    worst = None
    for position, index in enumerate(wanted):
        numerical = _numerical_gradient(fn, inputs, index, upstream, eps)
        excess = numpy.abs(analytical[position] - numerical) - (atol + rtol * numpy.abs(numerical))
        if excess.size and excess.max() > 0:
            element = tuple(int(i) for i in numpy.unravel_index(int(excess.argmax()), excess.shape))
            if worst is None or excess[element] > worst[0]:
                worst = (excess[element], index, element, analytical[position][element], numerical[element])
    if worst is None:
        return True
    if not raise_exception:
        return False
    _, index, element, a, n = worst
    raise GradcheckError(
        f"Jacobian mismatch with respect to input {index}: the gradient of ⟨v, outputs⟩ for a random v "
        f"disagrees with finite differences at element {element}: "
        f"analytical {a:.10g}, numerical {n:.10g}, |difference| {abs(a - n):.3g} "
        f"> atol {atol:g} + rtol {rtol:g}·|numerical|"
    )


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, seed=0) -> bool:
    """Check second derivatives: gradcheck the map (inputs, v) ↦ ∂⟨v, f(inputs)⟩/∂inputs,
    built with ``create_graph=True``, where v is a random upstream gradient (or
    ``grad_outputs``) that is itself differentiated. v is drawn from ``seed``; without
    ``grad_outputs`` the default generator moves on as PyTorch's gradgradcheck moves it
    (it draws its v there), so the random numbers after the check are PyTorch's.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([0.3, -0.7, 1.1], dtype="float64", requires_grad=True)
    >>> gradgradcheck(lambda t: t.sigmoid() * t, x)
    True
    """
    inputs = as_tensors(inputs)
    _check_float64(inputs)
    rng = numpy.random.default_rng(seed + 1)
    outputs = as_tensors(fn(*inputs))
    if grad_outputs is None:
        upstream = tuple(random_like(out, rng, requires_grad=True) for out in outputs)
        for out in outputs:  # PyTorch draws its upstream gradients there: the numbers after this one stay its
            generators.uniform(out.shape, out.dtype, -1.0, 1.0)
    else:
        given = grad_outputs if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
        upstream = tuple(
            Tensor(v, dtype=out.dtype, device=out.device, requires_grad=True)
            for v, out in zip(given, outputs, strict=True)
        )
    count = len(inputs)

    def first_derivatives(*args):
        values, vs = args[:count], args[count:]
        outs = as_tensors(fn(*values))
        grads = vector_jacobian(outs, vs, [t for t in values if _checked(t)], create_graph=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + upstream, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed + 2)
