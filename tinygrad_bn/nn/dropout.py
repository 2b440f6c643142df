"""Dropout: in training, zero elements (or whole channels) at random and scale the rest
by 1/(1 − p), so the expected output is the input; the identity in eval. Masks come from
the seeded host generator (:func:`tinygrad_bn.manual_seed`) as PyTorch's CPU kernel draws
them, u < 1 − p with u in float64, so after the same seed they are PyTorch's (except on
Intel CPUs, where PyTorch hands the draw to MKL).
"""

from __future__ import annotations

import numpy

from tinygrad_bn import generator as generators
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError


def dropout(input, p=0.5, training=True):  # noqa: A002 - PyTorch's argument name
    """Inverted dropout: in training, zero each element with probability ``p`` and
    scale the rest by 1/(1 − p); the identity otherwise."""
    return _drop(input, p, training, input.shape)


def dropout2d(input, p=0.5, training=True):  # noqa: A002 - PyTorch's argument name
    """Channel dropout of (N, C, H, W) input: in training, zero each of the N·C channels
    (all its H·W entries) with probability ``p`` and scale the rest by 1/(1 − p); the
    identity otherwise."""
    if input.ndim != 4:
        raise ShapeError(f"dropout2d expects input of shape (N, C, H, W), got {input.shape}")
    return _drop(input, p, training, (*input.shape[:2], 1, 1))


def _drop(x, p, training, mask_shape):
    """``x`` times a mask of ``mask_shape`` (broadcast over ``x``) that is 0 with probability p, 1/(1 − p) otherwise."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = kept(mask_shape, p)
    mask = Tensor(keep.astype(x.dtype) / (1.0 - p), dtype=x.dtype, device=x.device)
    return x * mask


def kept(shape: tuple, p: float):
    """A bool mask of ``shape``, True (kept) with probability 1 − p: PyTorch's
    ``bernoulli_(1 − p)``, u < 1 − p with u drawn in float64."""
    return generators.bernoulli(numpy.full(shape, 1.0 - p), numpy.float64)
