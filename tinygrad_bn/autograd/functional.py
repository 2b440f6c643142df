"""PyTorch's ``torch.autograd.functional``: Jacobians, Hessians and their products
with vectors, for a function of Tensors, built from :func:`grad`.

``inputs`` is a Tensor or a tuple of them; results follow PyTorch's nesting (a
Tensor for one input, a tuple for several). Each call differentiates copies of the
inputs, so their ``.grad`` stays untouched.

>>> import tinygrad_bn as torch
>>> x = torch.tensor([1.0, 2.0], dtype=torch.float64)
>>> jacobian(lambda t: t * t, x).tolist()
[[2.0, 0.0], [0.0, 4.0]]
>>> hvp(lambda t: (t ** 3).sum(), x, torch.ones(2, dtype=torch.float64))[1].tolist()
[6.0, 12.0]
"""

from __future__ import annotations

from tinygrad_bn.autograd.engine import grad
from tinygrad_bn.autograd.tensor import Tensor


def _as_tuple(value) -> tuple:
    return (value,) if isinstance(value, Tensor) else tuple(value)


def _shaped_like(results: tuple, given):
    """A single result for a single Tensor given, else the tuple."""
    return results[0] if isinstance(given, Tensor) else results


def _leaves(inputs) -> tuple:
    return tuple(t.detach().requires_grad_(True) for t in _as_tuple(inputs))


def _zeros_for_unused(grads, like) -> tuple:
    return tuple(t.detach() * 0.0 if g is None else g for g, t in zip(grads, like))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False) -> tuple:
    """∂⟨v, outputs⟩/∂inputs, zeros where no path leads."""
    live = [(o, v) for o, v in zip(outputs, grad_outputs or [None] * len(outputs)) if o.requires_grad]
    if not live:
        return tuple(t.detach() * 0.0 for t in inputs)
    outs, vs = zip(*live)
    grads = grad(list(outs), list(inputs), grad_outputs=None if grad_outputs is None else list(vs),
                 retain_graph=True, create_graph=create_graph, allow_unused=True)
    return _zeros_for_unused(grads, inputs)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·J): the gradient of ⟨v, func(inputs)⟩ (v may be omitted for a
    one-element output)."""
    leaves = _leaves(inputs)
    outputs = func(*leaves)
    outs = _as_tuple(outputs)
    vs = None if v is None else list(_as_tuple(v))
    grads = _grad(outs, leaves, vs, create_graph)
    detached = outputs if create_graph else _shaped_like(tuple(o.detach() for o in outs), outputs)
    return detached, _shaped_like(grads, inputs)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J·v), by differentiating the vector-Jacobian product with
    respect to its vector (the double-backward trick)."""
    leaves = _leaves(inputs)
    outputs = func(*leaves)
    outs = _as_tuple(outputs)
    us = [o.detach() * 0.0 for o in outs]
    us = [u.requires_grad_(True) for u in us]
    vjps = grad(list(outs), list(leaves), grad_outputs=us, create_graph=True, allow_unused=True)
    vs = _as_tuple(v) if v is not None else tuple(t.detach() * 0.0 + 1.0 for t in leaves)
    live = [(g, w) for g, w in zip(vjps, vs) if g is not None]
    jvps = grad([g for g, _ in live], us, grad_outputs=[w for _, w in live], create_graph=create_graph,
                allow_unused=True)
    jvps = _zeros_for_unused(jvps, outs)
    detached = outputs if create_graph else _shaped_like(tuple(o.detach() for o in outs), outputs)
    return detached, _shaped_like(jvps, outputs)


_STRATEGIES = ("forward-mode", "reverse-mode")


def _check_strategy(strategy, create_graph, strict, vectorize):
    """PyTorch's checks of ``strategy``: forward mode wants ``vectorize=True``, and
    neither ``create_graph`` nor ``strict``."""
    if strategy not in _STRATEGIES:
        raise AssertionError(f'Expected strategy to be either "forward-mode" or "reverse-mode", got {strategy!r}')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('jacobian: create_graph=True and strategy="forward-mode" do not go together; '
                                      'pass create_graph=False or strategy="reverse-mode"')
        if strict:
            raise RuntimeError('jacobian: strict=True and strategy="forward-mode" do not go together; '
                               'pass strict=False or strategy="reverse-mode"')
        if not vectorize:
            raise NotImplementedError('jacobian: strategy="forward-mode" needs vectorize=True, as in PyTorch')
    elif strict and vectorize:
        raise RuntimeError("jacobian: strict=True and vectorize=True do not go together; pass one of them False")


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """∂func(inputs)/∂inputs, of shape output.shape + input.shape, one row per output
    element (for several outputs and inputs, a tuple of tuples, outputs outside).

    ``strategy="forward-mode"`` is taken with PyTorch's conditions (``vectorize=True``,
    no ``create_graph``, no ``strict``): the Jacobian is the same, so it is computed in
    reverse mode here too, row by row (``vectorize`` changes nothing either), and
    given in the output's dtype, as PyTorch's forward mode gives it.

    >>> import tinygrad_bn as torch
    >>> x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    >>> jacobian(lambda t: t.sum() * t, x, vectorize=True, strategy="forward-mode").tolist()
    [[4.0, 1.0], [2.0, 5.0]]
    """
    _check_strategy(strategy, create_graph, strict, vectorize)
    leaves = _leaves(inputs)
    outputs = func(*leaves)
    per_output = []
    for out in _as_tuple(outputs):
        flat = out.reshape(-1)
        rows = [_grad((flat[i],), leaves, create_graph=create_graph) for i in range(flat.shape[0])]
        blocks = tuple(_stack([row[k] for row in rows], out.shape, t) for k, t in enumerate(leaves))
        if strategy == "forward-mode":
            blocks = tuple(block if block.dtype == out.dtype else block.astype(out.dtype) for block in blocks)
        per_output.append(_shaped_like(blocks, inputs))
    return _shaped_like(tuple(per_output), outputs)


def _stack(rows, output_shape, like):
    """The rows (Tensors of ``like``'s shape) stacked into output_shape + like.shape,
    as Σᵢ eᵢ ⊗ rowᵢ, so that a recorded row stays differentiable."""
    xp, n = like.xp, len(rows)
    total = Tensor._wrap(xp.zeros((n, *like.shape), dtype=like.dtype), like._backend)
    for i, row in enumerate(rows):
        e_i = Tensor._wrap(xp.eye(n, dtype=like.dtype)[i].reshape((n,) + (1,) * like.ndim), like._backend)
        total = total + e_i * row
    return total.reshape(*output_shape, *like.shape)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The matrix of second derivatives of ``func``, whose output is one Tensor of one
    element: the Jacobian of its gradient. ``outer_jacobian_strategy`` is that
    Jacobian's ``strategy``, with :func:`jacobian`'s conditions ("forward-mode" wants
    ``vectorize=True``); the result is the same, computed in reverse mode.

    >>> import tinygrad_bn as torch
    >>> x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    >>> hessian(lambda t: (t ** 3).sum(), x, vectorize=True, outer_jacobian_strategy="forward-mode").tolist()
    [[6.0, 0.0], [0.0, 12.0]]
    """
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode", got '
                             f"{outer_jacobian_strategy!r}")

    def gradient(*values):
        return _shaped_like(_grad((_one_element(func(*values)),), values, create_graph=True), inputs)

    return jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                    strategy=outer_jacobian_strategy)


def _one_element(output) -> Tensor:
    """The output of the function given to :func:`hessian`, which must be one Tensor of one element."""
    if not isinstance(output, Tensor):
        raise RuntimeError(f"The function given to hessian should return a single Tensor, got {type(output).__name__}")
    if output.numel() != 1:
        raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element, "
                           f"got shape {output.shape}")
    return output.reshape(())


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·H) for a scalar ``func``."""
    leaves = _leaves(inputs)
    output = func(*leaves)
    gradients = _grad((output,), leaves, create_graph=True)
    products = _grad(gradients, leaves, list(_as_tuple(v)), create_graph)
    return (output if create_graph else output.detach()), _shaped_like(products, inputs)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H·v) for a scalar ``func``; H is symmetric, so this is :func:`vhp`."""
    return vhp(func, inputs, v, create_graph, strict)
