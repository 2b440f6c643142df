"""Alpha dropout, for self-normalizing (SELU) networks: a dropped element is set to SELU's
negative saturation value α′ = −λα instead of 0, and an affine map a·x + b puts the mean
and variance back where they were (0 and 1 for standardized input). With keep
probability q = 1 − p:

    y = a · (x · m + α′ · (1 − m)) + b,   m ~ Bernoulli(q)
    a = 1 / √(q · (1 + p · α′²)),         b = −a · α′ · p

``alpha_dropout`` draws m per element, ``feature_alpha_dropout`` per channel of (N, C, ...)
input. The identity in eval. Masks come from the seeded host generator, as
:mod:`~.dropout`'s, so after the same seed they are PyTorch's.
"""

from __future__ import annotations

import math

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.activation import SELU_ALPHA, SELU_SCALE
from tinygrad_bn.nn.dropout import kept

SATURATION = -SELU_SCALE * SELU_ALPHA  # α′, SELU's limit as x → −∞


def alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002 - PyTorch's argument name
    """Alpha dropout of ``input`` in training (off by default, as PyTorch's), the identity
    otherwise; p = 1 gives zeros. ``inplace`` is accepted and gives a new tensor.

    >>> from tinygrad_bn import ones
    >>> alpha_dropout(ones(2, 3), 0.2).tolist()  # training=False
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    return _alpha_drop(input, p, training, input.shape)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002 - PyTorch's argument name
    """Alpha dropout of whole channels of (N, C, ...) input in training (off by default, as
    PyTorch's): every entry of a dropped channel becomes a·α′ + b; the identity otherwise.
    ``inplace`` is accepted and gives a new tensor.

    >>> from tinygrad_bn import ones
    >>> feature_alpha_dropout(ones(2, 3, 4), 1.0, training=True).abs().sum().item()
    0.0
    """
    if input.ndim < 2:
        raise ShapeError(f"feature_alpha_dropout expects input of shape (N, C, ...) with at least 2 dimensions, "
                         f"got {input.shape}")
    return _alpha_drop(input, p, training, (*input.shape[:2], *(1,) * (input.ndim - 2)))


def _alpha_drop(x, p, training, mask_shape):
    """``x`` alpha-dropped with a mask of ``mask_shape``, broadcast over ``x``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    q = 1.0 - p
    a = 1.0 / math.sqrt(q * (1.0 + p * SATURATION**2))
    b = -a * SATURATION * p
    keep = kept(mask_shape, p)
    # y = a·m·x + (a·α′·(1 − m) + b)
    scale = Tensor((a * keep).astype(x.dtype), device=x.device)
    shift = Tensor((a * SATURATION * ~keep + b).astype(x.dtype), device=x.device)
    return x * scale + shift
