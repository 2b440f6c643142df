"""dropout1d: channel dropout of sequences, (N, C, L) or unbatched (C, L) input. In training
each channel is zeroed whole with probability p and the rest are scaled by 1/(1 − p); in
eval it is the identity. Masks come from the seeded host generator, as :mod:`~.dropout`'s.
"""

from __future__ import annotations

from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.dropout import _drop


def dropout1d(input, p=0.5, training=True, inplace=False):  # noqa: A002 - PyTorch's argument name
    """Channel dropout of (N, C, L) or (C, L) input: in training, zero each channel (all
    its L entries) with probability ``p`` and scale the rest by 1/(1 − p); the identity
    otherwise. ``inplace`` is accepted and gives a new tensor.

    >>> from tinygrad_bn import ones
    >>> dropout1d(ones(2, 3, 4), p=0.5, training=False).sum().item()
    24.0
    """
    if input.ndim not in (2, 3):
        raise ShapeError(f"dropout1d expects input of shape (N, C, L) or (C, L), got {input.shape}; "
                         "for (N, C, H, W) use dropout2d")
    return _drop(input, p, training, (*input.shape[:-1], 1))

