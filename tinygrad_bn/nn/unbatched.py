"""Layers that also take one sample without its batch axis, as PyTorch's do: a
(C, H, W) image for ``conv2d`` and the 2-D pools, a (C, L) signal for ``conv1d``."""

from __future__ import annotations

import functools


def also_unbatched(batched_axes: int):
    """Decorate a function of (N, C, ...) input with ``batched_axes`` axes so that an
    input with one axis fewer is taken as a batch of one, and the batch axis is
    removed from the result (from each Tensor of a tuple result) again.

    >>> from tinygrad_bn import ones
    >>> @also_unbatched(3)
    ... def total(x):
    ...     return x.sum((1, 2), keepdim=True)
    >>> total(ones(2, 3, 4)).shape, total(ones(3, 4)).shape
    ((2, 1, 1), (1, 1))
    """

    def decorate(function):
        @functools.wraps(function)
        def wrapper(input, *args, **kwargs):  # noqa: A002 - PyTorch's argument name
            if getattr(input, "ndim", batched_axes) != batched_axes - 1:
                return function(input, *args, **kwargs)
            result = function(input.unsqueeze(0), *args, **kwargs)
            return tuple(part.squeeze(0) for part in result) if isinstance(result, tuple) else result.squeeze(0)

        return wrapper

    return decorate
