"""PyTorch's ``torch.nn.utils.fusion``: a BatchNorm in eval mode folded into the
convolution or Linear before it (:mod:`tinygrad_bn.nn.fusion`).

>>> import tinygrad_bn as torch
>>> conv, bn = torch.nn.Conv2d(1, 2, 3).eval(), torch.nn.BatchNorm2d(2).eval()
>>> x = torch.randn(1, 1, 5, 5)
>>> bool((fuse_conv_bn_eval(conv, bn)(x) - bn(conv(x))).abs().max() < 1e-5)
True
"""

from tinygrad_bn.nn.fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]
