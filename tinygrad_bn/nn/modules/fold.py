"""``torch.nn.modules.fold``: Fold and Unfold, where PyTorch keeps them (the classes live
elsewhere in ``tinygrad_bn.nn``; this is the path scripts import them by)."""

# ruff: noqa: F401 - re-exports

from tinygrad_bn.nn.fold import Fold, Unfold
