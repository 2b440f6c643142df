"""Lazy layers: a layer whose input size is read from its first input, as PyTorch's
``nn.LazyLinear``.

Until then its parameters are :class:`UninitializedParameter`\\ s, which an optimizer
may already hold: the first forward (or a ``load_state_dict``) gives them their shape
in place, the same objects, then initialises them as the full layer would, drawing
from the generator at that moment, and the layer becomes that full layer
(``LazyLinear`` becomes ``Linear``), as in PyTorch.

>>> from tinygrad_bn import manual_seed, ones
>>> generator = manual_seed(0)
>>> layer = LazyLinear(3)
>>> layer
LazyLinear(in_features=0, out_features=3, bias=True)
>>> layer(ones(2, 5)).shape, layer
((2, 3), Linear(in_features=5, out_features=3, bias=True))
"""

from __future__ import annotations

from tinygrad_bn.nn.layers import Linear
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import UninitializedParameter, positive_int


def is_lazy(value) -> bool:
    """Whether ``value`` is a parameter still waiting for its shape."""
    return isinstance(value, UninitializedParameter)


class LazyLinear(Linear):
    """:class:`Linear` whose ``in_features`` is the last size of its first input.

    ``weight`` and ``bias`` start as :class:`UninitializedParameter`; the first forward
    shapes them, draws PyTorch's initial values and turns the layer into a ``Linear``.
    A state dict loaded before that shapes them from its tensors instead.
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features = 0
        self.out_features = positive_int(out_features, "out_features")
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.register_parameter("bias", UninitializedParameter(device=device, dtype=dtype) if bias else None)
        self._lazy_hooks = (self.register_forward_pre_hook(_infer_from_input),
                            self._register_load_state_dict_pre_hook(_shape_from_state_dict, with_module=True))

    def reset_parameters(self):
        if not self.has_uninitialized_params():
            super().reset_parameters()

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter still waits for its shape."""
        return any(is_lazy(p) for p in (self.weight, self.bias))

    def initialize_parameters(self, input):  # noqa: A002 - PyTorch's argument name
        """Shape the parameters for ``input`` and draw their initial values."""
        if input.ndim < 1:
            raise ValueError(f"LazyLinear needs an input of at least 1 dimension, got shape {input.shape}")
        self.in_features = input.shape[-1]
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()
        _become_full(self)


def _infer_from_input(module, args):
    if module.has_uninitialized_params():
        if not args:
            raise TypeError(f"{type(module).__name__} needs an input tensor to infer its parameters' shapes")
        module.initialize_parameters(args[0])


def _shape_from_state_dict(module, state_dict, prefix, *args):
    for name in ("weight", "bias"):
        param, key = getattr(module, name), prefix + name
        if is_lazy(param) and key in state_dict:
            param.materialize(tuple(state_dict[key].shape))
    if not module.has_uninitialized_params():
        module.in_features = module.weight.shape[1]
        _become_full(module)


def _become_full(module):
    for handle in module.__dict__.pop("_lazy_hooks", ()):
        handle.remove()
    module.__class__ = module.cls_to_become
