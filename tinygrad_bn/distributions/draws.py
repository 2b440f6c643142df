"""Where samples come from: the library's one seeded generator, the one
:func:`tinygrad_bn.manual_seed` seeds, through ``ops.randn`` and ``ops.rand``, which draw
on the host and place the numbers on the parameters' device. Everything after the draw
is ops on tensors, so no device array ever reaches NumPy.

The numbers are reproducible from a seed, but they are not PyTorch's for the same seed.
"""

from __future__ import annotations

import numpy

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor


def standard_normal(shape: tuple, like: Tensor) -> Tensor:
    """N(0, 1) samples of ``shape`` in the dtype and on the device of ``like``."""
    return ops.randn(shape, dtype=like.dtype, device=like.device)


def uniform(shape: tuple, like: Tensor) -> Tensor:
    """Uniform samples of ``shape`` in [ε, 1 − ε] (ε the machine epsilon of ``like``'s
    dtype), in the dtype and on the device of ``like``: strictly inside (0, 1), so the
    logs and inverse CDFs that turn them into samples stay finite (a float64 draw cast
    to float32 may otherwise round to 1).

    >>> from tinygrad_bn import manual_seed, zeros
    >>> generator = manual_seed(0)
    >>> u = uniform((1000,), zeros((), dtype="float32"))
    >>> u.dtype, 0.0 < u.min().item(), u.max().item() < 1.0
    (dtype('float32'), True, True)
    """
    eps = float(numpy.finfo(like.dtype).eps)
    return ops.rand(shape, dtype=like.dtype, device=like.device).clamp(eps, 1.0 - eps)
