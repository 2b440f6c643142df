"""PyTorch's ``torch.func``, in part: :func:`functional_call` only.

Not there: the function transforms ``grad``, ``grad_and_value``, ``vjp``, ``jvp``,
``jacrev``, ``jacfwd``, ``hessian``, ``vmap`` and ``functionalize``, and
``stack_module_state``. For Jacobians, Hessians and their products with vectors,
:mod:`tinygrad_bn.autograd.functional` computes what they compute, one call at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

from tinygrad_bn.nn.utils.stateless import call_with

__all__ = ["functional_call"]


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    """PyTorch's ``torch.func.functional_call``: ``module(*args, **kwargs)`` with the
    given tensors in place of its parameters and buffers of the same dotted names,
    which are put back afterwards, also when the call raises; gradients flow to the
    given tensors (see :mod:`tinygrad_bn.nn.utils.stateless`).

    ``parameter_and_buffer_dicts`` is a dict of dotted name → Tensor, or a tuple (or
    list) of such dicts with no name in two of them. ``args`` that is not a tuple is
    the one argument. Tied members take one value together unless ``tie_weights`` is
    False; ``strict`` asks for every parameter and buffer and nothing else.

    >>> import tinygrad_bn as torch
    >>> model = torch.nn.Linear(2, 1)
    >>> params = {name: torch.ones_like(p, requires_grad=True) for name, p in model.named_parameters()}
    >>> loss = functional_call(model, params, torch.tensor([[1.0, 2.0]])).sum()
    >>> loss.item(), torch.autograd.grad(loss, params["weight"])[0].tolist()
    (4.0, [[1.0, 2.0]])
    >>> functional_call(model, ({"weight": torch.zeros(1, 2)}, {"bias": torch.ones(1)}), (torch.ones(1, 2),)).tolist()
    [[1.0]]
    """
    return call_with(module, _merged(parameter_and_buffer_dicts), args, kwargs, tie_weights=tie_weights,
                     strict=strict)


def _merged(dicts) -> dict:
    """One dict of the one given, or of the several, whose keys must not repeat."""
    if isinstance(dicts, dict):
        return dicts
    if not isinstance(dicts, Sequence) or isinstance(dicts, str):
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(dicts).__name__}")
    if not all(isinstance(d, dict) for d in dicts):
        got = ", ".join(type(d).__name__ for d in dicts)
        raise ValueError(f"Expected all elements of parameter_and_buffer_dicts to be dictionaries, got ({got})")
    merged, repeated = {}, []
    for d in dicts:
        repeated += [key for key in d if key in merged and key not in repeated]
        merged.update(d)
    if repeated:
        raise ValueError(f"{repeated} appeared in more than one of the dictionaries given to functional_call, so "
                         "which tensor to use is ambiguous")
    return merged
