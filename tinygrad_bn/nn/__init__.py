"""Neural-network building blocks with PyTorch's names, layouts and defaults."""

from tinygrad_bn.nn.module import Module, Parameter

__all__ = ["Module", "Parameter"]
