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

:meth:`Generator.get_state` (and :func:`get_rng_state` for the default generator)
captures both streams in one uint8 Tensor, as PyTorch's state is one; its bytes are
this library's own (see :func:`_encode`), so a state moves between runs of this
library, not to PyTorch. :meth:`Generator.set_state` takes back only such a state.

>>> import tinygrad_bn as torch
>>> g = torch.Generator().manual_seed(1)
>>> a = torch.randn(3, generator=g)
>>> torch.equal(a, torch.randn(3, generator=torch.Generator().manual_seed(1)))
True
"""

from __future__ import annotations

import hashlib
import secrets

import numpy

from tinygrad_bn import mersenne
from tinygrad_bn.autograd.tensor import Tensor

_TWO_64 = 1 << 64  # seeds are 64-bit words, as in PyTorch: a negative one wraps around


class Generator:
    """A random generator on the host (for ``device="cpu"`` or ``"cuda"`` alike: every
    number is drawn on the host), seeded with :meth:`manual_seed`."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(0)

    def manual_seed(self, seed: int) -> Generator:
        """Start over from ``seed`` (a negative one stands for ``seed + 2**64``); returns
        the generator, as PyTorch's does."""
        if not isinstance(seed, (int, numpy.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
        if not -_TWO_64 // 2 <= seed < _TWO_64:
            raise ValueError(f"manual_seed expects a seed in [-2**63, 2**64), got {seed}")
        self._seed = int(seed) % _TWO_64
        self.rng = numpy.random.default_rng(self._seed)
        self.orders = mersenne.mt19937(self._seed)  # permutations as PyTorch draws them
        return self

    def initial_seed(self) -> int:
        """The seed the generator last started from."""
        return self._seed

    def seed(self) -> int:
        """Start over from a fresh seed taken from the operating system's entropy; returns it."""
        seed = secrets.randbits(64)
        self.manual_seed(seed)
        return seed

    def get_state(self) -> Tensor:
        """Where the generator stands, as a uint8 Tensor for :meth:`set_state`: its seed
        and both of its streams.

        >>> import tinygrad_bn as torch
        >>> g = torch.Generator().manual_seed(4)
        >>> state = g.get_state()
        >>> a = torch.randn(2, generator=g)
        >>> torch.equal(a, torch.randn(2, generator=g.set_state(state)))
        True
        """
        return Tensor(_encode(self._seed, self.rng.bit_generator.state, self.orders.state))

    def set_state(self, new_state: Tensor) -> Generator:
        """Go back to where :meth:`get_state` found the generator; returns the generator."""
        self._seed, numbers, orders_state = _decode(new_state)
        self.rng.bit_generator.state = numbers
        self.orders.state = orders_state
        return self


# The state's bytes: a magic word, the seed, the numbers stream (NumPy's PCG64: a 128-bit
# state and increment as (low, high) 64-bit words, and its cached half word), the orders
# stream (MT19937: 624 words and the position in them), then the first 8 bytes of the
# BLAKE2b digest of all before it. Little-endian, no padding.
_MAGIC = numpy.frombuffer(b"tgbnRNG1", dtype=numpy.uint8)
_LAYOUT = numpy.dtype([
    ("magic", "u1", 8), ("seed", "<u8"),
    ("pcg_state", "<u8", 2), ("pcg_inc", "<u8", 2), ("has_uint32", "u1"), ("uinteger", "<u4"),
    ("mt_key", "<u4", mersenne.MT_STATE_WORDS), ("mt_pos", "<u4"),
    ("check", "u1", 8),
])


_EXPECTED = "expected a random state that get_rng_state() or Generator.get_state() returned"


def _digest(body: bytes) -> numpy.ndarray:
    return numpy.frombuffer(hashlib.blake2b(body, digest_size=8).digest(), dtype=numpy.uint8)


def _encode(seed: int, numbers: dict, orders_state: dict) -> numpy.ndarray:
    record = numpy.zeros((), _LAYOUT)
    pcg = numbers["state"]
    record["magic"], record["seed"] = _MAGIC, seed
    record["pcg_state"] = pcg["state"] % _TWO_64, pcg["state"] // _TWO_64
    record["pcg_inc"] = pcg["inc"] % _TWO_64, pcg["inc"] // _TWO_64
    record["has_uint32"], record["uinteger"] = numbers["has_uint32"], numbers["uinteger"]
    record["mt_key"], record["mt_pos"] = orders_state["state"]["key"], orders_state["state"]["pos"]
    raw = numpy.frombuffer(record.tobytes(), dtype=numpy.uint8).copy()
    raw[-8:] = _digest(raw[:-8].tobytes())
    return raw


def _decode(state) -> tuple:
    """``(seed, numbers stream state, orders stream state)`` from a state :func:`_encode`
    made; anything else is refused, naming what was expected and what was given."""
    if not isinstance(state, Tensor):
        raise TypeError(f"{_EXPECTED} (a uint8 Tensor), got {type(state).__name__}")
    if state.dtype != numpy.uint8 or tuple(state.shape) != (_LAYOUT.itemsize,):
        raise RuntimeError(f"{_EXPECTED} (a uint8 Tensor of shape ({_LAYOUT.itemsize},)), "
                           f"got a {state.dtype} Tensor of shape {tuple(state.shape)}")
    raw = state.numpy().tobytes()
    record = numpy.frombuffer(raw, dtype=_LAYOUT)[0]
    if not numpy.array_equal(record["magic"], _MAGIC) or not numpy.array_equal(record["check"], _digest(raw[:-8])):
        raise RuntimeError(f"{_EXPECTED}, got a uint8 Tensor of the right shape whose bytes do not check out "
                           "(changed, or made otherwise); take a fresh state")
    low, high = (int(word) for word in record["pcg_state"])
    inc_low, inc_high = (int(word) for word in record["pcg_inc"])
    numbers = {"bit_generator": "PCG64", "state": {"state": low + high * _TWO_64, "inc": inc_low + inc_high * _TWO_64},
               "has_uint32": int(record["has_uint32"]), "uinteger": int(record["uinteger"])}
    orders_state = {"bit_generator": "MT19937", "state": {"key": record["mt_key"].copy(), "pos": int(record["mt_pos"])}}
    return int(record["seed"]), numbers, orders_state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the one generator behind every random source of the library: the random
    tensors, the layers' initial weights, dropout masks, DataLoader shuffling and
    random splits. Two runs after the same seed give the same numbers."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator last started from.

    >>> from tinygrad_bn import initial_seed, manual_seed
    >>> _ = manual_seed(7)
    >>> initial_seed()
    7
    """
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state as a uint8 Tensor: every stream behind the library's
    random numbers, weights, dropout masks and shuffles.

    >>> from tinygrad_bn import equal, get_rng_state, randn, randperm, set_rng_state
    >>> state = get_rng_state()
    >>> a, order = randn(3), randperm(5)
    >>> set_rng_state(state)
    >>> equal(a, randn(3)) and equal(order, randperm(5))
    True
    """
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Put the default generator back to a state :func:`get_rng_state` returned."""
    default_generator.set_state(new_state)


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
