"""``torch.nn.modules``: the layers by the submodules PyTorch keeps them in
(``nn.modules.batchnorm._BatchNorm``, ``nn.modules.conv._ConvNd``,
``nn.modules.loss._Loss`` ...), for scripts that reach them by that path.

>>> from tinygrad_bn import nn
>>> isinstance(nn.BatchNorm2d(3), nn.modules.batchnorm._BatchNorm), nn.modules.conv.Conv2d is nn.Conv2d
(True, True)
"""

# ruff: noqa: F401 - re-exports

from tinygrad_bn.nn.modules import (
    activation,
    adaptive,
    batchnorm,
    channelshuffle,
    container,
    conv,
    distance,
    dropout,
    flatten,
    fold,
    instancenorm,
    lazy,
    linear,
    loss,
    module,
    normalization,
    padding,
    pixelshuffle,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
)
