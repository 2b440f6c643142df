"""``torch.nn.modules.dropout``: dropout, where PyTorch keeps them (the classes live
elsewhere in ``tinygrad_bn.nn``; this is the path scripts import them by)."""

# ruff: noqa: F401 - re-exports

from tinygrad_bn.nn.dropout_layers import AlphaDropout, Dropout1d, Dropout3d, FeatureAlphaDropout
from tinygrad_bn.nn.layers import Dropout, Dropout2d
