"""Channel dropout: dropout1d of sequences, (N, C, L) or unbatched (C, L), and dropout3d of
volumes, (N, C, D, H, W) or unbatched (C, D, H, W). In training each channel is zeroed whole
with probability p and the rest are scaled by 1/(1 − p); in eval it is the identity. Masks
come from the seeded host generator, as :mod:`~.dropout`'s, one draw per channel in (N, C)
order, so after the same seed they are PyTorch's.
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
    return _channel_dropout(input, p, training, "dropout1d", "L", "for (N, C, H, W) use dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):  # noqa: A002 - PyTorch's argument name
    """Channel dropout of (N, C, D, H, W) or (C, D, H, W) input: in training, zero each
    channel (all its D·H·W entries) with probability ``p`` and scale the rest by 1/(1 − p);
    the identity otherwise. ``inplace`` is accepted and gives a new tensor.

    >>> from tinygrad_bn import ones
    >>> dropout3d(ones(2, 3, 4, 5, 6), p=1.0).abs().sum().item()
    0.0
    """
    return _channel_dropout(input, p, training, "dropout3d", "D, H, W", "for other shapes use dropout")


def _channel_dropout(x, p, training, name: str, spatial: str, hint: str):
    """Dropout of whole channels of ``x``, laid out (N, C, *spatial) or (C, *spatial): one
    mask entry per channel, broadcast over the ``spatial`` axes."""
    axes = len(spatial.split(","))
    if x.ndim not in (axes + 1, axes + 2):
        raise ShapeError(f"{name} expects input of shape (N, C, {spatial}) or (C, {spatial}), got {x.shape}; {hint}")
    return _drop(x, p, training, (*x.shape[:-axes], *(1,) * axes))
