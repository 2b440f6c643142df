"""``torch.nn.modules.padding``: padding, where PyTorch keeps them (the classes live
elsewhere in ``tinygrad_bn.nn``; this is the path scripts import them by)."""

# ruff: noqa: F401 - re-exports

from tinygrad_bn.nn.padding import (
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad2d,
    ZeroPad3d,
)
