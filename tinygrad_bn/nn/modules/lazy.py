"""``torch.nn.modules.lazy``: ``LazyModuleMixin``, where PyTorch keeps it (the class lives
in :mod:`tinygrad_bn.nn.lazy`; this is the path scripts import it by)."""

# ruff: noqa: F401 - re-exports

from tinygrad_bn.nn.lazy import LazyModuleMixin
