"""Loading a state dict into a module's tensors: every key and shape checked first,
with PyTorch's messages, then the values copied in place.

>>> from tinygrad_bn import nn
>>> layer = nn.Linear(2, 1)
>>> layer.load_state_dict({"weight": [[1.0, 2.0]]}, strict=False)
IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
>>> layer.weight.tolist()
[[1.0, 2.0]]
"""

from __future__ import annotations

from collections import namedtuple

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.autograd.version import bump


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What :meth:`~tinygrad_bn.nn.module.Module.load_state_dict` found missing and
    unexpected; printed as PyTorch prints it when both are empty."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


def load_state(own: dict, state_dict, strict: bool, module: str) -> IncompatibleKeys:
    """Copy ``state_dict``'s values (Tensors, arrays, lists) into the tensors of ``own``
    (a module's ``state_dict(keep_vars=True)``) in place, each keeping its dtype and
    device; nothing is copied unless every shape fits, and with ``strict`` every key."""
    missing = [key for key in own if key not in state_dict]
    unexpected = [key for key in state_dict if key not in own]
    problems = []
    if strict and missing:
        problems.append(f"Missing key(s) in state_dict: {_quoted(missing)}. ")  # PyTorch's words, space included
    if strict and unexpected:
        problems.append(f"Unexpected key(s) in state_dict: {_quoted(unexpected)}. ")
    updates = []
    for key, target in own.items():
        if key not in state_dict:
            continue
        source = Tensor(state_dict[key], dtype=target.dtype, device=target.device)
        if source.shape != target.shape:
            problems.append(f"size mismatch for {key}: copying a param with shape {source.shape} from checkpoint, "
                            f"the shape in current model is {target.shape}.")
        else:
            updates.append((target, source))
    if problems:
        raise RuntimeError(f"Error(s) in loading state_dict for {module}:\n\t" + "\n\t".join(problems))
    for target, source in updates:
        target._data[...] = source._data
        bump(target)
    return IncompatibleKeys(missing, unexpected)


def _quoted(keys: list) -> str:
    """Keys as PyTorch lists them in its errors: "a", "b"."""
    return ", ".join(f'"{key}"' for key in keys)
