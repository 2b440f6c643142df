"""``nn.Unfold`` and ``nn.Fold``: :func:`~tinygrad_bn.nn.functional.unfold` (every
sliding window as a column) and its adjoint :func:`~tinygrad_bn.nn.functional.fold`
(columns added back into images) as layers, with PyTorch's arguments and reprs.

>>> from tinygrad_bn import arange
>>> columns = Unfold(2)(arange(9.0).reshape(1, 1, 3, 3))
>>> columns.shape, Fold((3, 3), 2)(columns)[0, 0].tolist()  # the middle pixel is in all four windows
((1, 4, 4), [[0.0, 2.0, 2.0], [6.0, 16.0, 10.0], [6.0, 14.0, 8.0]])
"""

from __future__ import annotations

from tinygrad_bn.nn import functional as F
from tinygrad_bn.nn.module import Module


def _window_repr(module) -> str:
    return (f"kernel_size={module.kernel_size}, dilation={module.dilation}, padding={module.padding}, "
            f"stride={module.stride}")


class Unfold(Module):
    """(N, C, H, W) → (N, C·kh·kw, L): every ``kernel_size`` window as a column (also
    (C, H, W) → (C·kh·kw, L)).

    >>> from tinygrad_bn import ones
    >>> layer = Unfold((2, 3), padding=1)
    >>> layer, layer(ones(2, 5, 4, 4)).shape
    (Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=1), (2, 30, 20))
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return _window_repr(self)


class Fold(Module):
    """(N, C·kh·kw, L) → (N, C, H, W) with (H, W) = ``output_size``: the columns added back
    into their windows, overlaps summed (also (C·kh·kw, L) → (C, H, W)).

    >>> from tinygrad_bn import ones
    >>> layer = Fold(output_size=(4, 5), kernel_size=2)
    >>> layer, layer(ones(1, 12, 12)).shape
    (Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1), (1, 3, 4, 5))
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return f"output_size={self.output_size}, " + _window_repr(self)
