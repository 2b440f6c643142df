"""``torch.nn.modules.linear``: linear layers, where PyTorch keeps them (the classes live
elsewhere in ``tinygrad_bn.nn``; this is the path scripts import them by)."""

# ruff: noqa: F401 - re-exports

from tinygrad_bn.nn.bilinear import Bilinear
from tinygrad_bn.nn.layers import Identity, Linear
from tinygrad_bn.nn.lazy import LazyLinear
