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
"""

from __future__ import annotations

from tinygrad_bn.annotations import region
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.normalization import _check_floating, _is_positive_int


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
    channels = input.shape[1]
    widths = ((0, 0), (size // 2, (size - 1) // 2)) + ((0, 0),) * (input.ndim - 2)
    with region("local_response_norm"):
        squares = (input * input).pad(widths, value=0.0)
        shifted = [squares[:, j:j + channels] for j in range(size)]  # a²_{c − n//2 + j}, j = 0, …, n − 1
        window_sum = sum(shifted[1:], shifted[0])
        return input * (k + alpha / size * window_sum) ** -beta  # (L1)


class LocalResponseNorm(Module):
    """:func:`local_response_norm` over the ``size`` channels around each channel.

    >>> from tinygrad_bn import randn
    >>> norm = LocalResponseNorm(2)
    >>> norm
    LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    >>> norm(randn(2, 4, 5, 5)).shape, list(norm.state_dict())
    ((2, 4, 5, 5), [])
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        if not _is_positive_int(size):
            raise ValueError(f"LocalResponseNorm: size must be a positive int, got {size!r}")
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
