"""``torch.nn.modules.normalization``: LayerNorm, GroupNorm and LocalResponseNorm, where
PyTorch keeps them (the classes live elsewhere in ``tinygrad_bn.nn``; this is the path
scripts import them by)."""

# ruff: noqa: F401 - re-exports

from tinygrad_bn.nn.local_response_norm import CrossMapLRN2d, LocalResponseNorm
from tinygrad_bn.nn.normalization import GroupNorm, LayerNorm
from tinygrad_bn.nn.rms_norm import RMSNorm
