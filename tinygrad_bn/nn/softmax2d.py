"""Softmax2d: softmax over the channels of each position of (N, C, H, W) or (C, H, W) input."""

from __future__ import annotations

from tinygrad_bn.nn.module import Module


class Softmax2d(Module):
    """At every spatial position, softmax over the channel axis (axis −3), so the C
    values there sum to 1.

    >>> from tinygrad_bn import randn
    >>> y = Softmax2d()(randn(2, 3, 4, 5))
    >>> y.shape, round(float(y[1, :, 2, 3].sum()), 6)
    ((2, 3, 4, 5), 1.0)
    """

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d expects input of shape (N, C, H, W) or (C, H, W), got {input.ndim}-d "
                             f"input of shape {input.shape}")
        return input.softmax(-3)
