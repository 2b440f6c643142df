"""PyTorch's ``torch.Generator``: a seeded source of random numbers on the host.

One default generator, seeded by :func:`manual_seed`, lies behind every random
source of the library: random tensors, layers' initial weights, dropout masks,
DataLoader shuffling and random splits. A :class:`Generator` of one's own,
passed as ``generator=`` to ``randn``, ``rand``, ``randint``, ``randperm``,
``DataLoader`` or ``random_split``, draws apart from it.

>>> import tinygrad_bn as torch
>>> g = torch.Generator().manual_seed(1)
>>> a = torch.randn(3, generator=g)
>>> torch.equal(a, torch.randn(3, generator=torch.Generator().manual_seed(1)))
True
"""

from __future__ import annotations

import numpy


class Generator:
    """A random generator on the host (for ``device="cpu"`` or ``"cuda"`` alike: every
    number is drawn on the host), seeded with :meth:`manual_seed`."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(0)

    def manual_seed(self, seed: int) -> Generator:
        """Start over from ``seed``; returns the generator, as PyTorch's does."""
        if not isinstance(seed, (int, numpy.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
        self._seed = int(seed)
        self.rng = numpy.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        """The seed the generator last started from."""
        return self._seed

    def get_state(self) -> dict:
        """The generator's state, for :meth:`set_state`."""
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the one generator behind every random source of the library: the random
    tensors, the layers' initial weights, dropout masks, DataLoader shuffling and
    random splits. Two runs after the same seed give the same numbers."""
    return default_generator.manual_seed(seed)


def rng(generator: Generator | None = None) -> numpy.random.Generator:
    """The NumPy generator that draws for ``generator`` (the default one when None)."""
    if generator is None:
        return default_generator.rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a tinygrad_bn.Generator, got {type(generator).__name__}")
    return generator.rng
