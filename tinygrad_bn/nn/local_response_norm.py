"""LocalResponseNorm: each channel divided by a power of its neighbours' energy.

For (N, C, *) input a, channel c is scaled by the squares of the n = ``size``
channels around it (n//2 before, (n − 1)//2 after, zeros beyond the ends):

(L1) b_c = a_c · (k + α/n · Σ_{c' = c − n//2}^{c + (n − 1)//2} a_{c'}²)^(−β)

The window sum is n shifted slices of the zero-padded squares added together: a
sum of nonnegative terms, never below zero as a difference of running sums could
round to, and public Tensor ops, so the engine derives derivatives of any order.

>>> from tinygrad_bn import Tensor
>>> b = local_response_norm(Tensor([[[1.0], [2.0]]], dtype="float64"), 2, alpha=2.0, beta=1.0, k=0.0)
>>> b.tolist()  # a_0 / (2/2 · (0² + 1²)), a_1 / (2/2 · (1² + 2²))
[[[1.0], [0.4]]]

CrossMapLRN2d, the older layer of (N, C, H, W) images, sums over the channels
c − h … c + h, h = (n − 1)//2 (n + 1 of them for an even n), and, as PyTorch's
running sum never takes the first channel's square back out, a_0² too for every
c > h:

(L2) b_c = a_c · (k + α/n · (Σ_{c' = c − h}^{c + h} a_{c'}² + [c > h]·a_0²))^(−β)

Its gradient is the derivative of (L2); PyTorch's hand-written backward of that
layer is the one of the window without the a_0² term, and fails gradcheck for C > 1.
"""

from __future__ import annotations

from tinygrad_bn.annotations import region
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.normalization import _check_floating, _is_positive_int
from tinygrad_bn.ops.creation import arange


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):  # noqa: A002 - PyTorch's argument name
    """(L1) for (N, C, *) input with at least one axis after C: each channel over
    (k + α/n·Σ a²)^β, the sum over the ``size`` channels around it.

    >>> from tinygrad_bn import ones
    >>> b = local_response_norm(ones(1, 3, 1), 3, alpha=3.0, beta=1.0)  # 1/(1 + 2), 1/(1 + 3), 1/(1 + 2)
    >>> [round(v, 4) for v in b.reshape(3).tolist()]
    [0.3333, 0.25, 0.3333]
    """
    if not _is_positive_int(size):
        raise ValueError(f"local_response_norm: size must be a positive int, got {size!r}")
    _check_floating(input, "local_response_norm")
    if input.ndim < 3:
        raise ShapeError(f"local_response_norm expects input of shape (N, C, *) with at least 3 axes, "
                         f"got {input.shape}")
    if input.size == 0:
        return input
    with region("local_response_norm"):
        window_sum = _channel_window_sum(input * input, size // 2, (size - 1) // 2)
        return input * (k + alpha / size * window_sum) ** -beta  # (L1)


def _channel_window_sum(squares, before: int, after: int):
    """Σ_{c' = c − before}^{c + after} squares_{c'} for each channel c of (N, C, *) ``squares``,
    zeros beyond the ends: shifted slices of the zero-padded squares added together."""
    channels = squares.shape[1]
    widths = ((0, 0), (before, after)) + ((0, 0),) * (squares.ndim - 2)
    padded = squares.pad(widths, value=0.0)
    shifted = [padded[:, j:j + channels] for j in range(before + after + 1)]  # squares_{c − before + j}
    return sum(shifted[1:], shifted[0])


class _ChannelWindowNorm(Module):
    """What the response normalizations share: size, α, β and k, and the repr."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        if not _is_positive_int(size):
            raise ValueError(f"{type(self).__name__}: size must be a positive int, got {size!r}")
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LocalResponseNorm(_ChannelWindowNorm):
    """:func:`local_response_norm` over the ``size`` channels around each channel.

    >>> from tinygrad_bn import randn
    >>> norm = LocalResponseNorm(2)
    >>> norm
    LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    >>> norm(randn(2, 4, 5, 5)).shape, list(norm.state_dict())
    ((2, 4, 5, 5), [])
    """

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)


class CrossMapLRN2d(_ChannelWindowNorm):
    """(L2) for (N, C, H, W) images: PyTorch's older response normalization across
    channels, with its window and its first-channel term (see the module's notes).

    >>> from tinygrad_bn import ones
    >>> norm = CrossMapLRN2d(1, alpha=1.0, beta=1.0, k=0)
    >>> norm, norm(ones(1, 3, 1, 1)).reshape(3).tolist()  # 1/1², 1/(1² + 1²), 1/(1² + 1²)
    (CrossMapLRN2d(1, alpha=1.0, beta=1.0, k=0), [1.0, 0.5, 0.5])
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__(size, alpha, beta, k)

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        if input.ndim != 4:
            raise ShapeError(f"CrossMapLRN2d: expects input of shape (N, C, H, W), got {input.shape}")
        _check_floating(input, "CrossMapLRN2d")
        half = (self.size - 1) // 2
        squares = input * input
        window_sum = _channel_window_sum(squares, half, half)
        first = squares[:, :1] * (arange(input.shape[1], device=input.device) > half).reshape(-1, 1, 1)
        return input * (self.k + self.alpha / self.size * (window_sum + first)) ** -self.beta  # (L2)
