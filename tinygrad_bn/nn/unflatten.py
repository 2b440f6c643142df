"""`Unflatten`: one axis split into several, the inverse of `Flatten`, as PyTorch's."""

from __future__ import annotations

from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.module import Module


class Unflatten(Module):
    """Split axis ``dim`` into axes of ``unflattened_size`` (one may be -1).

    >>> from tinygrad_bn import nn, ones
    >>> nn.Unflatten(1, (2, 5))
    Unflatten(dim=1, unflattened_size=(2, 5))
    >>> nn.Unflatten(1, (2, 5))(ones(3, 10)).shape
    (3, 2, 5)
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, x):
        try:
            return x.unflatten(self.dim, self.unflattened_size)
        except ValueError as error:
            raise ShapeError(f"{self!r} cannot unflatten an input of shape {x.shape}: {error}") from None

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
