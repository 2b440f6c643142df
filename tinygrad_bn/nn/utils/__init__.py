"""Gradient clipping, as PyTorch's ``torch.nn.utils.clip_grad_norm_`` and
``clip_grad_value_``; the BatchNorm folding of ``nn.fusion`` (PyTorch's
``fuse_conv_bn_eval`` and friends) and freezing of ``nn.frozen`` are found here too,
and padded and packed sequences in :mod:`.rnn`. Parameters as one vector are in
:mod:`.convert_parameters`, parametrizations in :mod:`.parametrize` and
:mod:`.parametrizations` (weight and spectral norm), unstructured pruning in :mod:`.prune`, and the older hook-based
``weight_norm`` and ``spectral_norm`` in :mod:`.norm_hooks`.

Each clipped gradient is a new array: gradients may share arrays with each
other (see ``optim``), so none is changed in place. Everything is computed with
Tensor operations on the gradients' device.
"""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.nn.frozen import freeze_batch_norm
from tinygrad_bn.nn.fusion import (
    FoldError,
    fold_batch_norm,
    fold_error,
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from tinygrad_bn.nn.utils import fusion, parametrizations, parametrize, prune, rnn, stateless
from tinygrad_bn.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from tinygrad_bn.nn.utils.norm_hooks import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm
from tinygrad_bn.ops import minimum

__all__ = [
    "FoldError", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
    "fold_batch_norm", "fold_error", "freeze_batch_norm", "fusion",
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights", "parameters_to_vector",
    "parametrizations", "parametrize", "prune", "remove_spectral_norm", "remove_weight_norm", "rnn", "spectral_norm",
    "stateless", "vector_to_parameters", "weight_norm",
]


def _with_gradients(parameters) -> list:
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The joint ``norm_type``-norm of ``tensors`` (a Tensor or an iterable of them, such as
    the parameters' gradients) as a 0-d Tensor: (Σ_t ‖t‖^q)^(1/q), max_t ‖t‖_∞ for q = inf,
    0 for none; ``foreach`` is PyTorch's speed flag and changes nothing.

    >>> from tinygrad_bn import tensor
    >>> get_total_norm([tensor([3.0]), tensor([4.0])]).item()
    5.0
    """
    tensors = [tensors] if isinstance(tensors, Tensor) else [t for t in tensors if t is not None]
    if not tensors:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        norms = [t.abs().max() for t in tensors]
        total = norms[0]
        for norm in norms[1:]:
            total = total.maximum(norm)
    else:
        total = sum(_vector_norm(t, norm_type) ** norm_type for t in tensors) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is {total.item()}, so they cannot be clipped; "
            "pass error_if_nonfinite=False to clip anyway"
        )
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None):
    """Multiply every gradient in place by min(1, max_norm / (total_norm + 1e-6)), with
    ``total_norm`` given (from :func:`get_total_norm`), as PyTorch's function of that name.

    >>> from tinygrad_bn import Tensor
    >>> w = Tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> clip_grads_with_norm_([w], 5.0, get_total_norm([w.grad]))
    >>> [round(v, 4) for v in w.grad.tolist()]
    [3.0, 4.0]
    """
    parameters = _with_gradients(parameters)
    if not parameters:
        return
    scale = minimum(max_norm / (total_norm + 1e-6), 1.0)
    with no_grad():
        for p in parameters:
            p.grad.mul_(scale.astype(p.grad.dtype))


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale all gradients together so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns that norm (before scaling) as a 0-d Tensor.

    ‖g‖ = (Σ_p ‖g_p‖^q)^(1/q) over the parameters p (max_p ‖g_p‖_∞ for q = inf), and
    every g_p is multiplied by min(1, max_norm / (‖g‖ + 1e-6)), as in PyTorch
    (:func:`get_total_norm`, then :func:`clip_grads_with_norm_`).

    >>> from tinygrad_bn import Tensor
    >>> w = Tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()                    # gradient 2w = (6, 8), norm 10
    >>> clip_grad_norm_([w], max_norm=5.0).item()
    10.0
    >>> [round(v, 4) for v in w.grad.tolist()]
    [3.0, 4.0]
    """
    parameters = _with_gradients(parameters)
    total = get_total_norm([p.grad for p in parameters], norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def _vector_norm(g: Tensor, order: float) -> Tensor:
    """(Σ |g|^q)^(1/q) over all elements."""
    return (g.abs() ** order).sum() ** (1.0 / order)


def clip_grad_value_(parameters, clip_value: float, foreach=None):
    """Clip every gradient element into [−clip_value, clip_value].

    >>> from tinygrad_bn import Tensor
    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> (w * 3.0).sum().backward()
    >>> clip_grad_value_(w, 0.5)
    >>> w.grad.tolist()
    [0.5, 0.5]
    """
    clip_value = float(clip_value)
    with no_grad():
        for p in _with_gradients(parameters):
            p.grad.clamp_(-clip_value, clip_value)
