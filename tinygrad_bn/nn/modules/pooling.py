"""``torch.nn.modules.pooling``: pooling, where PyTorch keeps them (the classes live
elsewhere in ``tinygrad_bn.nn``; this is the path scripts import them by)."""

# ruff: noqa: F401 - re-exports

from tinygrad_bn.nn.adaptive_pooling import AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d
from tinygrad_bn.nn.fractional_pooling import FractionalMaxPool2d, FractionalMaxPool3d
from tinygrad_bn.nn.layers import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, MaxUnpool2d
from tinygrad_bn.nn.pooling1d import AdaptiveAvgPool1d, AvgPool1d, LPPool1d, LPPool2d, LPPool3d, MaxPool1d, MaxUnpool1d
from tinygrad_bn.nn.pooling3d import AdaptiveAvgPool3d, AvgPool3d, MaxPool3d, MaxUnpool3d
