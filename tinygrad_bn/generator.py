"""PyTorch's ``torch.Generator``: a seeded source of random numbers on the host.

One default generator, seeded by :func:`manual_seed`, lies behind every random
source of the library: random tensors, layers' initial weights, dropout masks,
DataLoader shuffling and random splits. A :class:`Generator` of one's own,
passed as ``generator=`` to ``randn``, ``rand``, ``randint``, ``randperm``,
``DataLoader`` or ``random_split``, draws apart from it.

A generator holds PyTorch's CPU stream started from its seed (:mod:`tinygrad_bn.mersenne`),
and draws from it as PyTorch does: ``rand``, ``randn``, ``randint``, ``uniform_``,
``normal_``, ``bernoulli``, ``exponential_``, ``geometric_``, ``log_normal_``, ``cauchy_``,
``random_``, dropout masks, initial weights, ``randperm``, ``DataLoader`` shuffling and
``random_split`` give PyTorch's numbers and orders for the same seed, in the same
sequence. Draws PyTorch makes with kernels of other kinds (gamma, Poisson, the
distributions built on them) come from a second stream, NumPy's, started from the same
seed: reproducible, not PyTorch's.

:meth:`Generator.get_state` (and :func:`get_rng_state` for the default generator)
captures both streams, and the normal PyTorch keeps between draws, in one uint8 Tensor,
as PyTorch's state is one; its bytes are this library's own (see :func:`_encode`), so
a state moves between runs of this library, not to PyTorch. :meth:`Generator.set_state`
takes back only such a state.

>>> import tinygrad_bn as torch
>>> g = torch.Generator().manual_seed(1)
>>> a = torch.randn(3, generator=g)
>>> torch.equal(a, torch.randn(3, generator=torch.Generator().manual_seed(1)))
True
"""

from __future__ import annotations

import hashlib
import math
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
        self.stream = mersenne.mt19937(self._seed)  # PyTorch's numbers and orders
        self.kept_normal = None  # the Box–Muller sine PyTorch keeps for the next small normal draw
        self.rng = numpy.random.default_rng(self._seed)  # the other draws
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
        """Where the generator stands, as a uint8 Tensor for :meth:`set_state`: its seed,
        both of its streams and the normal it keeps.

        >>> import tinygrad_bn as torch
        >>> g = torch.Generator().manual_seed(4)
        >>> state = g.get_state()
        >>> a = torch.randn(2, generator=g)
        >>> torch.equal(a, torch.randn(2, generator=g.set_state(state)))
        True
        """
        return Tensor(_encode(self._seed, self.rng.bit_generator.state, self.stream.state, self.kept_normal))

    def set_state(self, new_state: Tensor) -> Generator:
        """Go back to where :meth:`get_state` found the generator; returns the generator."""
        self._seed, numbers, stream_state, self.kept_normal = _decode(new_state)
        self.rng.bit_generator.state = numbers
        self.stream.state = stream_state
        return self


# The state's bytes: a magic word, the seed, the other draws' stream (NumPy's PCG64: a
# 128-bit state and increment as (low, high) 64-bit words, and its cached half word),
# PyTorch's stream (MT19937: 624 words and the position in them), the kept normal (a
# flag and a float64), then the first 8 bytes of the BLAKE2b digest of all before it.
# Little-endian, no padding.
_MAGIC = numpy.frombuffer(b"tgbnRNG1", dtype=numpy.uint8)
_LAYOUT = numpy.dtype([
    ("magic", "u1", 8), ("seed", "<u8"),
    ("pcg_state", "<u8", 2), ("pcg_inc", "<u8", 2), ("has_uint32", "u1"), ("uinteger", "<u4"),
    ("mt_key", "<u4", mersenne.MT_STATE_WORDS), ("mt_pos", "<u4"),
    ("has_normal", "u1"), ("normal", "<f8"),
    ("check", "u1", 8),
])


_EXPECTED = "expected a random state that get_rng_state() or Generator.get_state() returned"


def _digest(body: bytes) -> numpy.ndarray:
    return numpy.frombuffer(hashlib.blake2b(body, digest_size=8).digest(), dtype=numpy.uint8)


def _encode(seed: int, numbers: dict, stream_state: dict, kept_normal) -> numpy.ndarray:
    record = numpy.zeros((), _LAYOUT)
    pcg = numbers["state"]
    record["magic"], record["seed"] = _MAGIC, seed
    record["pcg_state"] = pcg["state"] % _TWO_64, pcg["state"] // _TWO_64
    record["pcg_inc"] = pcg["inc"] % _TWO_64, pcg["inc"] // _TWO_64
    record["has_uint32"], record["uinteger"] = numbers["has_uint32"], numbers["uinteger"]
    record["mt_key"], record["mt_pos"] = stream_state["state"]["key"], stream_state["state"]["pos"]
    record["has_normal"], record["normal"] = kept_normal is not None, kept_normal or 0.0
    raw = numpy.frombuffer(record.tobytes(), dtype=numpy.uint8).copy()
    raw[-8:] = _digest(raw[:-8].tobytes())
    return raw


def _decode(state) -> tuple:
    """``(seed, other draws' stream state, PyTorch stream state, kept normal)`` from a state :func:`_encode`
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
    stream_state = {"bit_generator": "MT19937", "state": {"key": record["mt_key"].copy(), "pos": int(record["mt_pos"])}}
    kept_normal = float(record["normal"]) if record["has_normal"] else None
    return int(record["seed"]), numbers, stream_state, kept_normal


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
    """The NumPy generator of ``generator``'s other draws (the default one's when None)."""
    return _chosen(generator).rng


def stream(generator: Generator | None = None) -> numpy.random.MT19937:
    """``generator``'s PyTorch stream (the default one's when None), for orders and seeds."""
    return _chosen(generator).stream


# PyTorch's numbers ---------------------------------------------------------------------
#
# Each draws from the generator's PyTorch stream as PyTorch's CPU kernels do
# (:mod:`tinygrad_bn.mersenne`), so after the same seed the numbers are PyTorch's; host
# NumPy arrays of ``shape``, in ``dtype`` (float16 takes float32's numbers, rounded).


def uniform(shape, dtype, low: float = 0.0, high: float = 1.0, generator: Generator | None = None) -> numpy.ndarray:
    """PyTorch's ``uniform_(low, high)``."""
    return mersenne.uniform(_chosen(generator).stream, math.prod(shape), dtype, low, high).reshape(shape)


def normal(shape, dtype, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None,
           one_at_a_time: bool = False) -> numpy.ndarray:
    """PyTorch's ``normal_(mean, std)``, with the Box–Muller sine it keeps between small
    draws (every draw is small ``one_at_a_time``: see :func:`tinygrad_bn.mersenne.normal`)."""
    chosen = _chosen(generator)
    values, chosen.kept_normal = mersenne.normal(chosen.stream, math.prod(shape), dtype, mean, std, chosen.kept_normal,
                                                 one_at_a_time)
    return values.reshape(shape)


def integers(shape, low: int, high: int, generator: Generator | None = None) -> numpy.ndarray:
    """PyTorch's ``randint(low, high)``, as int64."""
    return mersenne.integers(_chosen(generator).stream, math.prod(shape), low, high).reshape(shape)


def bernoulli(probabilities, dtype, generator: Generator | None = None) -> numpy.ndarray:
    """True with each of ``probabilities`` (an array, in ``dtype``), as PyTorch's
    ``bernoulli`` of a tensor; ``bernoulli_(p)`` of a number p draws in float64."""
    return mersenne.bernoulli(_chosen(generator).stream, probabilities, dtype)


# PyTorch's scalar CPU kernels: one float64 uniform (or one word) per number whatever the
# tensor's size, each turned into its number with the C library's functions. Python's
# ``math`` calls the same ones; NumPy's vectorized log1p, log and exp round otherwise
# now and then, so the transcendental step runs one number at a time.


def _unit_uniforms(chosen: Generator, count: int) -> list:
    """``count`` float64 uniforms in [0, 1), as PyTorch's ``uniform_real_distribution<double>``."""
    return mersenne.unit_uniform(chosen.stream, count, numpy.float64).tolist()


def _each(function, values: list) -> numpy.ndarray:
    """``function`` of each number of ``values``, as a float64 array."""
    return numpy.fromiter(map(function, values), numpy.float64, len(values))


def _from_double(values: numpy.ndarray, shape, dtype) -> numpy.ndarray:
    """Float64 ``values`` cast to ``dtype`` as C++ casts a double: float16 through float32."""
    dtype = numpy.dtype(dtype)
    with numpy.errstate(over="ignore"):  # beyond the dtype: ±inf, as in PyTorch
        if dtype == numpy.float16:
            values = values.astype(numpy.float32)
        return values.astype(dtype).reshape(shape)


def exponential(shape, dtype, lambd: float = 1.0, generator: Generator | None = None) -> numpy.ndarray:
    """PyTorch's ``exponential_(lambd)``: (−1/λ)·log(1 − u) for each float64 uniform u."""
    chosen = _chosen(generator)
    scale = -1.0 / lambd
    draws = _each(math.log1p, [-u for u in _unit_uniforms(chosen, math.prod(shape))])
    return _from_double(scale * draws, shape, dtype)


def cauchy(shape, dtype, median: float = 0.0, sigma: float = 1.0, generator: Generator | None = None) -> numpy.ndarray:
    """PyTorch's ``cauchy_(median, sigma)``: median + σ·tan(π(u − ½)) for each float64
    uniform u, the last step one fused multiply-add."""
    u = numpy.asarray(_unit_uniforms(_chosen(generator), math.prod(shape)))
    tangents = _each(math.tan, (math.pi * (u - 0.5)).tolist())
    return _from_double(mersenne.fused_multiply_add(tangents, sigma, median), shape, dtype)


def _log_or_minus_infinity(u: float) -> float:
    return math.log(u) if u > 0.0 else -math.inf


def geometric(shape, dtype, p: float, generator: Generator | None = None) -> numpy.ndarray:
    """PyTorch's ``geometric_(p)``: the number of trials up to the first success,
    ⌈log u / log(1 − p)⌉ for each float64 uniform u, cast to ``dtype`` as C++ casts a
    double (an integer too large for the type comes out as its lowest value; int8, int16
    and uint8 wrap around from int32)."""
    u = _unit_uniforms(_chosen(generator), math.prod(shape))
    trials = numpy.ceil(_each(_log_or_minus_infinity, u) / math.log1p(-p))
    dtype = numpy.dtype(dtype)
    if dtype.kind == "f":
        return _from_double(trials, shape, dtype)
    wide = numpy.dtype(numpy.int64 if dtype == numpy.int64 else numpy.int32)
    limit = float(numpy.iinfo(wide).max) + 1.0  # 2**31 or 2**63, exact in float64
    inside = trials < limit
    whole = numpy.where(inside, trials, 0.0).astype(wide)
    return numpy.where(inside, whole, numpy.iinfo(wide).min).astype(dtype).reshape(shape)


def log_normal(shape, dtype, mean: float = 1.0, std: float = 2.0, generator: Generator | None = None) -> numpy.ndarray:
    """PyTorch's ``log_normal_(mean, std)``: exp(z·std + mean) for normals z drawn one at
    a time in float64 (never in blocks of 16, as ``normal_`` draws many), sharing the
    Box–Muller sine that ``normal_`` keeps between small draws."""
    z = normal((math.prod(shape),), numpy.float64, generator=generator, one_at_a_time=True)
    values = _each(math.exp, mersenne.fused_multiply_add(z, std, mean).tolist())
    return _from_double(values, shape, dtype)


def random_words(shape, dtype, generator: Generator | None = None) -> numpy.ndarray:
    """PyTorch's ``random_()``: a 32-bit word w for each number (a 64-bit one for int64 and
    float64), as w mod (m + 1) where m is the dtype's largest integer (2**d for a float of
    d significant bits, so that every integer in [0, 2**d] is drawn); w mod 2 for bool."""
    dtype = numpy.dtype(dtype)
    bits, count = _chosen(generator).stream, math.prod(shape)
    words = mersenne.words64(bits, count) if dtype in (numpy.int64, numpy.float64) else bits.random_raw(count)
    if dtype == numpy.bool_:
        return (words & numpy.uint64(1)).astype(dtype).reshape(shape)
    top = 1 << (numpy.finfo(dtype).nmant + 1) if dtype.kind == "f" else int(numpy.iinfo(dtype).max)
    return (words % numpy.uint64(top + 1)).astype(dtype).reshape(shape)


def random_range(shape, dtype, low: int, span: int, generator: Generator | None = None) -> numpy.ndarray:
    """PyTorch's ``random_(low, low + span)``: low + w mod span, cast to ``dtype``, for a
    :func:`~tinygrad_bn.mersenne.span_words` word w; a span of 2**64 takes the 64-bit word
    itself, as an int64."""
    bits, count = _chosen(generator).stream, math.prod(shape)
    words = mersenne.span_words(bits, count, span)
    if span < _TWO_64:
        words = words % numpy.uint64(span) + numpy.uint64(low % _TWO_64)  # in 64 bits, wrapping as C++ does
    return words.view(numpy.int64).astype(dtype).reshape(shape)
