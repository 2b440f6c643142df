"""All of a model's parameters as one flat vector, and back, as PyTorch's
``torch.nn.utils.parameters_to_vector`` and ``vector_to_parameters`` (for
optimizers and second-order methods that see the model as one point in ℝⁿ).
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.ops import cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _on_one_device(parameters) -> list:
    """``parameters`` as a list, checked to be Tensors on one device."""
    parameters = list(parameters)
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected an iterable of Tensors, got an element of type {type(p).__name__}")
    devices = sorted({str(p.device) for p in parameters})
    if len(devices) > 1:
        raise TypeError(f"expected every parameter on one device, found parameters on {', '.join(devices)}")
    return parameters


def parameters_to_vector(parameters) -> Tensor:
    """The parameters flattened and joined into one 1-d tensor, in order; the
    gradient flows back to each parameter.

    >>> from tinygrad_bn import nn
    >>> layer = nn.Linear(3, 2)
    >>> parameters_to_vector(layer.parameters()).shape   # 2·3 weights, then 2 biases
    (8,)
    """
    return cat([p.reshape(-1) for p in _on_one_device(parameters)])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Give each parameter, in order, the next ``p.numel()`` values of ``vec`` as its
    data (outside the graph, as ``p.data = ...``). As in PyTorch, values left over
    at the end of ``vec`` are ignored.

    >>> from tinygrad_bn import arange, nn
    >>> layer = nn.Linear(2, 1)
    >>> vector_to_parameters(arange(3.0), layer.parameters())
    >>> layer.weight.tolist(), layer.bias.tolist()
    ([[0.0, 1.0]], [2.0])
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters expects vec to be a Tensor, got {type(vec).__name__}")
    parameters = _on_one_device(parameters)
    needed = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.shape[0] < needed:
        raise RuntimeError(
            f"vector_to_parameters expects a 1-d vec of at least {needed} values (the parameters' count), "
            f"got shape {vec.shape}"
        )
    start = 0
    for p in parameters:
        p.data = vec.data[start:start + p.numel()].reshape(p.shape)
        start += p.numel()
