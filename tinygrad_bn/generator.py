"""PyTorch's ``torch.Generator``: a seeded source of random numbers on the host.

One default generator, seeded by :func:`manual_seed`, lies behind every random
source of the library: random tensors, layers' initial weights, dropout masks,
DataLoader shuffling and random splits. A :class:`Generator` of one's own,
passed as ``generator=`` to ``randn``, ``rand``, ``randint``, ``randperm``,
``DataLoader`` or ``random_split``, draws apart from it.

A generator holds two streams started from its seed: NumPy's for numbers (normal,
uniform, integers, dropout masks: reproducible, not PyTorch's), and PyTorch's CPU
stream for orders (:mod:`tinygrad_bn.mersenne`), so ``randperm``, ``DataLoader``
shuffling and ``random_split`` give PyTorch's orders for the same seed.

>>> import tinygrad_bn as torch
>>> g = torch.Generator().manual_seed(1)
>>> a = torch.randn(3, generator=g)
>>> torch.equal(a, torch.randn(3, generator=torch.Generator().manual_seed(1)))
True
"""

from __future__ import annotations

import numpy

from tinygrad_bn import mersenne


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
        self.orders = mersenne.mt19937(self._seed)  # permutations as PyTorch draws them
        return self

    def initial_seed(self) -> int:
        """The seed the generator last started from."""
        return self._seed

    def get_state(self) -> dict:
        """The generator's state, for :meth:`set_state`."""
        return {"numbers": self.rng.bit_generator.state, "orders": self.orders.state}

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state["numbers"]
        self.orders.state = state["orders"]


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the one generator behind every random source of the library: the random
    tensors, the layers' initial weights, dropout masks, DataLoader shuffling and
    random splits. Two runs after the same seed give the same numbers."""
    return default_generator.manual_seed(seed)


def _chosen(generator: Generator | None) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a tinygrad_bn.Generator, got {type(generator).__name__}")
    return generator


def rng(generator: Generator | None = None) -> numpy.random.Generator:
    """The NumPy generator that draws numbers for ``generator`` (the default one when None)."""
    return _chosen(generator).rng


def orders(generator: Generator | None = None) -> numpy.random.MT19937:
    """The PyTorch stream that draws orders for ``generator`` (the default one when None)."""
    return _chosen(generator).orders
