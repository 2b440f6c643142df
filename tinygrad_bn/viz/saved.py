"""The tensors a graph keeps alive for backward, each once, named after what it is.

An array saved by several ops (x − μ, kept by ``square`` and ``normalize``) is
one :class:`SavedTensor` with every op that keeps it. Names come from the op
that computed the tensor (its step's symbol: x − μ, x̂, √(σ² + ε)), from the
picture's names for leaves, or from the op that saved it when it names what it
saves (the fused BatchNorm: K, μ − K, inv_std).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinygrad_bn.annotations import of
from tinygrad_bn.autograd import Function, Tensor
from tinygrad_bn.viz import formulas


@dataclass
class SavedTensor:
    name: str
    shape: tuple
    dtype: object
    nbytes: int
    keepers: list = field(default_factory=list)


def saved_tensors(op_nodes, leaf_name) -> list:
    """The distinct arrays ``op_nodes`` keep for backward, as SavedTensors, in the
    order they are first kept. ``leaf_name(tensor)`` names a leaf (None: unnamed).
    One-element constants (an exponent, 1/m) are left out: the picture shows
    them as values already."""
    found = {}
    for node in op_nodes:
        for array, name in _kept_by(node, leaf_name):
            entry = found.get(id(array))
            if entry is None:
                entry = found[id(array)] = SavedTensor(name, array.shape, array.dtype, array.nbytes)
            if node not in entry.keepers:
                entry.keepers.append(node)
    return list(found.values())


def _kept_by(node: Function, leaf_name):
    """(array, name) for each array ``node`` keeps."""
    for index, tensor in enumerate(node.saved):
        if not isinstance(tensor, Tensor) or _is_constant(tensor):
            continue
        yield tensor._data, formulas.saved_name(node, index) or value_name(tensor, leaf_name)
    if node._output_data is not None:
        yield node._output_data, formulas.symbol(node)


def _is_constant(tensor: Tensor) -> bool:
    return tensor.grad_fn is None and not tensor.requires_grad and tensor.size == 1


def value_name(tensor: Tensor, leaf_name) -> str:
    """What ``tensor`` is: a leaf's name, or what the node that made it computes."""
    return leaf_name(tensor) or "constant" if tensor.grad_fn is None else node_value_name(tensor.grad_fn, leaf_name)


def node_value_name(node: Function, leaf_name) -> str:
    """What the output of ``node`` is: the symbol of its step; a reshape or a cast
    takes the name of its input."""
    while node.name in ("Reshape", "AsType") and of(node).role is None:
        parent = node.parents[0]
        if not isinstance(parent, Function):
            return leaf_name(parent) or "constant"
        node = parent
    return formulas.symbol(node)
