"""Neural-network building blocks with PyTorch's names, layouts and defaults.

>>> from tinygrad_bn import nn, ones
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
>>> list(model.state_dict())
['0.weight', '0.bias', '2.weight', '2.bias']
>>> nn.functional.cross_entropy(model(ones(2, 4)), [0, 2]).shape
()
"""

from tinygrad_bn.nn import functional, grad, init, modules, utils
from tinygrad_bn.nn.activation_layers import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    RReLU,
    SiLU,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanhshrink,
    Threshold,
)
from tinygrad_bn.nn.adaptive_log_softmax import AdaptiveLogSoftmaxWithLoss
from tinygrad_bn.nn.adaptive_pooling import AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d
from tinygrad_bn.nn.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, momentum_from_keras
from tinygrad_bn.nn.bilinear import Bilinear
from tinygrad_bn.nn.channel_shuffle import ChannelShuffle
from tinygrad_bn.nn.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from tinygrad_bn.nn.conv3d import Conv3d
from tinygrad_bn.nn.conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from tinygrad_bn.nn.ctc_loss import CTCLoss
from tinygrad_bn.nn.distance import CosineSimilarity, PairwiseDistance
from tinygrad_bn.nn.dropout_layers import AlphaDropout, Dropout1d, Dropout3d, FeatureAlphaDropout
from tinygrad_bn.nn.embedding import Embedding
from tinygrad_bn.nn.embedding_bag import EmbeddingBag
from tinygrad_bn.nn.fold import Fold, Unfold
from tinygrad_bn.nn.fractional_pooling import FractionalMaxPool2d, FractionalMaxPool3d
from tinygrad_bn.nn.frozen import FrozenBatchNorm1d, FrozenBatchNorm2d, FrozenBatchNorm3d
from tinygrad_bn.nn.instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from tinygrad_bn.nn.interpolate import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from tinygrad_bn.nn.layers import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    Dropout,
    Dropout2d,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    MaxUnpool2d,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from tinygrad_bn.nn.lazy import (
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyBatchNorm3d,
    LazyConv1d,
    LazyConv2d,
    LazyConv3d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyConvTranspose3d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
    LazyInstanceNorm3d,
    LazyLinear,
    UninitializedParameter,
)
from tinygrad_bn.nn.local_response_norm import CrossMapLRN2d, LocalResponseNorm
from tinygrad_bn.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    NLLLoss2d,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
    TripletMarginWithDistanceLoss,
)
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.multihead_attention import MultiheadAttention
from tinygrad_bn.nn.normalization import GroupNorm, LayerNorm
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
from tinygrad_bn.nn.parameter import Buffer, Parameter, UninitializedBuffer
from tinygrad_bn.nn.pixel_shuffle import PixelShuffle, PixelUnshuffle
from tinygrad_bn.nn.pooling1d import (
    AdaptiveAvgPool1d,
    AvgPool1d,
    LPPool1d,
    LPPool2d,
    LPPool3d,
    MaxPool1d,
    MaxUnpool1d,
)
from tinygrad_bn.nn.pooling3d import AdaptiveAvgPool3d, AvgPool3d, MaxPool3d, MaxUnpool3d
from tinygrad_bn.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from tinygrad_bn.nn.rms_norm import RMSNorm
from tinygrad_bn.nn.softmax2d import Softmax2d
from tinygrad_bn.nn.sync_batchnorm import SyncBatchNorm
from tinygrad_bn.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from tinygrad_bn.nn.unflatten import Unflatten

__all__ = [
    "EmbeddingBag",
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm",
    "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Conv1d", "Conv2d",
    "CrossEntropyLoss", "Dropout", "Embedding", "Flatten", "Identity", "LeakyReLU", "Linear", "LogSoftmax",
    "MSELoss", "MaxPool2d", "MaxUnpool2d", "Module", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid",
    "Softmax", "Tanh",
    "ModuleDict", "ModuleList",
    "BCELoss", "BCEWithLogitsLoss", "GroupNorm", "HuberLoss", "L1Loss", "LayerNorm", "SmoothL1Loss",
    "functional", "init", "modules", "utils",
    "Dropout2d", "ELU", "GELU", "SiLU", "Softplus", "Upsample",
    "FrozenBatchNorm1d", "FrozenBatchNorm2d", "FrozenBatchNorm3d", "momentum_from_keras",
    "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase", "MultiheadAttention",
    "ConvTranspose1d", "ConvTranspose2d", "Conv3d", "ConvTranspose3d", "AdaptiveAvgPool3d", "AvgPool3d", "MaxPool3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer",
    "CosineEmbeddingLoss", "CosineSimilarity", "GaussianNLLLoss", "HingeEmbeddingLoss", "KLDivLoss",
    "MarginRankingLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "PairwiseDistance",
    "NLLLoss2d", "PoissonNLLLoss", "SoftMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
    "CELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh", "LogSigmoid", "Mish", "PReLU", "ReLU6",
    "RReLU", "SELU", "Softmin", "Softshrink", "Softsign", "Tanhshrink", "Threshold",
    "ParameterDict", "ParameterList", "Unflatten",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "Bilinear", "Fold", "PixelShuffle", "PixelUnshuffle", "Unfold",
    "UpsamplingBilinear2d", "UpsamplingNearest2d", "CTCLoss",
    "AdaptiveAvgPool1d", "AvgPool1d", "ChannelShuffle", "LPPool1d", "LPPool2d", "MaxPool1d",
    "AlphaDropout", "Dropout1d", "RMSNorm", "Softmax2d",
    "LazyLinear", "UninitializedParameter",
    "AdaptiveMaxPool3d", "MaxUnpool1d", "MaxUnpool3d",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
    "LazyInstanceNorm3d", "Buffer", "UninitializedBuffer", "SyncBatchNorm",
    "Dropout3d", "FeatureAlphaDropout", "LPPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d",
    "CrossMapLRN2d", "AdaptiveLogSoftmaxWithLoss", "grad",
]
