"""PyTorch's ``torch.random``: seeding, and saving and restoring the default generator's
state (:mod:`tinygrad_bn.generator` holds the generator itself).

>>> import tinygrad_bn as torch
>>> state = torch.random.get_rng_state()
>>> a = torch.randn(2)
>>> torch.random.set_rng_state(state)
>>> torch.equal(a, torch.randn(2))
True
"""

from __future__ import annotations

import contextlib

from tinygrad_bn.generator import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, device_type=None):
    """Inside the block (or decorated function) draw as usual; on the way out the default
    generator goes back to where it was, as if nothing had been drawn. ``devices`` and
    ``device_type`` are accepted for PyTorch's scripts: one generator serves every device
    here, so restoring it restores them all. ``enabled=False`` restores nothing.

    >>> import tinygrad_bn as torch
    >>> _ = torch.manual_seed(0)
    >>> with fork_rng():
    ...     inside = torch.randperm(6)
    >>> torch.equal(inside, torch.randperm(6))
    True
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed",
           "set_rng_state"]
