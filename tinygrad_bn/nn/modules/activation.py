"""``torch.nn.modules.activation``: activations, and attention, where PyTorch keeps them (the classes live
elsewhere in ``tinygrad_bn.nn``; this is the path scripts import them by)."""

# ruff: noqa: F401 - re-exports

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
from tinygrad_bn.nn.layers import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from tinygrad_bn.nn.multihead_attention import MultiheadAttention
from tinygrad_bn.nn.softmax2d import Softmax2d
