"""In-place random fills with PyTorch's names: ``normal_``, ``uniform_``,
``exponential_``, ``geometric_``, ``log_normal_``, ``cauchy_`` and ``random_``
(``bernoulli_`` is with the other in-place ops, in :mod:`~tinygrad_bn.ops.inplace`).

Each draws on the host from the generator's PyTorch stream (:mod:`tinygrad_bn.generator`),
as PyTorch's CPU kernels draw, so after the same seed the numbers are PyTorch's, in the
order of the tensor's memory (a transposed tensor is filled along its storage, as
PyTorch fills it). For each float64 uniform u in [0, 1):

* ``exponential_(λ)``: −log(1 − u)/λ;
* ``geometric_(p)``: ⌈log u / log(1 − p)⌉, the trials up to the first success;
* ``cauchy_(median, σ)``: median + σ·tan(π(u − ½));
* ``log_normal_(mean, std)``: exp(z·std + mean), z a standard normal drawn one at a
  time (two uniforms give two normals, the second kept for the next draw, as
  ``normal_`` keeps it);
* ``random_``: integers from one word each, see :func:`random_`.

Then the fill is written as ``copy_`` writes: the tensor's version moves on; a leaf
that requires grad is refused in grad mode, before anything is drawn; a non-leaf's
gradient through the fill is zero.

>>> import tinygrad_bn as torch
>>> _ = torch.manual_seed(0)
>>> [round(v, 4) for v in exponential_(torch.empty(3)).tolist()]  # torch.empty(3).exponential_()
[3.5083, 1.2304, 0.615]
>>> gumbels = -exponential_(torch.empty(2, 3)).log()  # Gumbel-softmax's noise, as PyTorch draws it
>>> gumbels.shape
(2, 3)
"""

from __future__ import annotations

import operator
import warnings

import numpy

from tinygrad_bn import generator as generators
from tinygrad_bn.errors import ArgumentError, DtypeError
from tinygrad_bn.ops.inplace import _recording, copy_

_LOWEST_INT64 = -(1 << 63)


def _fill(self, draw):
    """Write ``draw(shape, dtype)`` into ``self``, the numbers laid out along its memory:
    the axes taken from the largest stride to the smallest, as PyTorch visits them."""
    _recording(self)  # refuses a leaf that requires grad in grad mode, before any draw
    steps = [abs(step) if size > 1 else 0 for step, size in zip(self._data.strides, self.shape, strict=True)]
    order = sorted(range(self.ndim), key=lambda axis: -steps[axis])
    drawn = draw(tuple(self.shape[axis] for axis in order), self.dtype)
    return copy_(self, drawn.transpose(numpy.argsort(order)))


def _floating(self, name: str):
    if self.dtype.kind != "f":
        raise DtypeError(f"{name} draws from a continuous distribution: it expects a floating-point tensor, "
                         f"got {self.dtype}")


def _number(name: str, argument: str, value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} expects a number for {argument}, got {type(value).__name__}") from None


def _positive(name: str, argument: str, value) -> float:
    value = _number(name, argument, value)
    if not value > 0:
        raise ArgumentError(f"{name} expects {argument} > 0, got {argument}={value}")
    return value


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """self ← samples of N(mean, std²): PyTorch's numbers for the same seed (as PyTorch,
    a tensor that is not contiguous draws its numbers one at a time, whatever its size).

    >>> from tinygrad_bn import Generator, empty
    >>> [round(v, 4) for v in normal_(empty(2), 1.0, 0.5, generator=Generator().manual_seed(0)).tolist()]
    [1.7705, 0.8533]
    """
    one_at_a_time = not self.is_contiguous()
    return _fill(self, lambda shape, dtype: generators.normal(shape, dtype, mean, std, generator=generator,
                                                               one_at_a_time=one_at_a_time))


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    """self ← samples of U(a, b): PyTorch's numbers for the same seed.

    >>> from tinygrad_bn import Generator, empty
    >>> [round(v, 4) for v in uniform_(empty(2), -1.0, 1.0, generator=Generator().manual_seed(0)).tolist()]
    [-0.0075, 0.5364]
    """
    return _fill(self, lambda shape, dtype: generators.uniform(shape, dtype, a, b, generator=generator))


def exponential_(self, lambd=1, *, generator=None):
    """self ← samples of the exponential distribution of rate ``lambd`` (mean 1/λ):
    PyTorch's numbers for the same seed.

    >>> from tinygrad_bn import Generator, empty
    >>> [round(v, 4) for v in exponential_(empty(2), 2.0, generator=Generator().manual_seed(0)).tolist()]
    [1.7542, 0.6152]
    """
    _floating(self, "exponential_")
    lambd = _positive("exponential_", "lambd", lambd)
    return _fill(self, lambda shape, dtype: generators.exponential(shape, dtype, lambd, generator=generator))


def geometric_(self, p, *, generator=None):
    """self ← the number of Bernoulli(p) trials up to and including the first success
    (1, 2, 3, ...), in any dtype but bool: PyTorch's numbers for the same seed.

    >>> from tinygrad_bn import Generator, empty, int64
    >>> geometric_(empty(5, dtype=int64), 0.5, generator=Generator().manual_seed(0)).tolist()
    [1, 1, 2, 1, 1]
    """
    if self.dtype == numpy.bool_:
        raise DtypeError("geometric_ expects a tensor of numbers (floating-point or integer), got bool")
    p = _number("geometric_", "p", p)
    if not 0 < p < 1:
        raise ArgumentError(f"geometric_ expects p in (0, 1), got p={p}")
    return _fill(self, lambda shape, dtype: generators.geometric(shape, dtype, p, generator=generator))


def log_normal_(self, mean=1, std=2, *, generator=None):
    """self ← exp(N(mean, std²)) samples: a log-normal whose logarithm has that mean and
    std; PyTorch's numbers for the same seed.

    >>> from tinygrad_bn import Generator, empty
    >>> [round(v, 4) for v in log_normal_(empty(2), 0.0, 1.0, generator=Generator().manual_seed(0)).tolist()]
    [4.6692, 0.7457]
    """
    _floating(self, "log_normal_")
    mean, std = _number("log_normal_", "mean", mean), _positive("log_normal_", "std", std)
    return _fill(self, lambda shape, dtype: generators.log_normal(shape, dtype, mean, std, generator=generator))


def cauchy_(self, median=0, sigma=1, *, generator=None):
    """self ← samples of the Cauchy distribution centred on ``median`` with half-width
    ``sigma`` at half maximum: PyTorch's numbers for the same seed.

    >>> from tinygrad_bn import Generator, empty
    >>> [round(v, 4) for v in cauchy_(empty(2), generator=Generator().manual_seed(0)).tolist()]
    [10.5977, 0.7648]
    """
    _floating(self, "cauchy_")
    median, sigma = _number("cauchy_", "median", median), _positive("cauchy_", "sigma", sigma)
    return _fill(self, lambda shape, dtype: generators.cauchy(shape, dtype, median, sigma, generator=generator))


# random_ ------------------------------------------------------------------------------


def _digits(dtype) -> int:
    """The significant bits of a floating dtype: every integer up to 2**digits is exact."""
    return int(numpy.finfo(dtype).nmant) + 1


def _limits(dtype) -> tuple[float, float]:
    """The lowest and largest values of ``dtype`` (bool: 0 and 1)."""
    if dtype == numpy.bool_:
        return 0, 1
    if dtype.kind == "f":
        return float(numpy.finfo(dtype).min), float(numpy.finfo(dtype).max)
    return int(numpy.iinfo(dtype).min), int(numpy.iinfo(dtype).max)


def _in_range(bound: int, what: str, dtype):
    """Refuse a bound beyond ``dtype``, as PyTorch does; warn, as it does, of float32 and
    float64 bounds beyond ±2**digits, where not every integer can be drawn."""
    lowest, largest = _limits(dtype)
    if not lowest <= bound <= largest:
        raise ArgumentError(f"random_ expects bounds within {dtype}'s values [{lowest}, {largest}], "
                            f"got {what}={bound}")
    if dtype in (numpy.float32, numpy.float64) and abs(bound) > 1 << _digits(dtype):
        warnings.warn(f"random_: {what}={bound} is beyond ±2**{_digits(dtype)}, the integers {dtype} holds "
                      "exactly; the numbers drawn there skip integers", UserWarning, stacklevel=4)


def _raised_from(low: int, dtype) -> int:
    """A float low bound moved up, as PyTorch moves it, when ``dtype`` rounds low + 1
    below it: to that rounding plus one unit in the last place."""
    rounded = _rounded(low + 1, dtype)
    return rounded + _unit(low + 1, dtype) if rounded < low else low


def _lowered_to(high: int, dtype) -> int:
    """A float high bound moved down, as PyTorch moves it, when ``dtype`` rounds high − 1
    up to it or beyond: to that rounding minus one unit in the last place."""
    rounded = _rounded(high - 1, dtype)
    return rounded - _unit(high - 1, dtype) if rounded >= high else high


def _rounded(value: int, dtype) -> int:
    """``value`` rounded to ``dtype``; beyond the dtype, ``value`` itself: its bound stays
    as it is, to be refused."""
    with numpy.errstate(over="ignore"):
        rounded = numpy.array(value, numpy.int64).astype(dtype)
    return int(rounded) if numpy.isfinite(rounded) else value


def _unit(value: int, dtype) -> int:
    """The spacing of ``dtype``'s integers around ``value`` (beyond 2**digits)."""
    return 1 << (abs(value).bit_length() - _digits(dtype))


def _bounds(bounds: tuple, named: dict) -> dict:
    """``random_``'s arguments as ``{"from": ..., "to": ...}``, as PyTorch reads its three
    forms: none, ``(to)``, ``(from, to)`` (``from`` and ``to`` may also be named)."""
    if len(bounds) > 2:
        raise TypeError(f"random_ takes at most 2 bounds, from and to, got {len(bounds)}")
    if set(named) - {"from", "to"}:
        raise TypeError(f"random_ got unexpected keyword arguments {sorted(set(named) - {'from', 'to'})}")
    names = ("from", "to") if len(bounds) == 2 or "to" in named else ("to",)
    given = dict(zip(names, bounds))
    if set(given) & set(named):
        raise TypeError(f"random_ got {sorted(set(given) & set(named))} both by position and by name")
    given.update(named)
    if "from" in given and "to" not in given:
        raise TypeError("random_ takes from with to (to=None reaches the dtype's largest integer), got from alone")
    if "from" not in given and given.get("to", 0) is None:
        raise TypeError("random_ takes to=None only with from: random_(from, None)")
    return {name: None if value is None else _int64(name, value) for name, value in given.items()}


def _int64(name: str, value) -> int:
    """A bound as a Python int: an integer (not a float) within int64, as PyTorch takes it."""
    if isinstance(value, float) or not hasattr(value, "__index__"):
        raise TypeError(f"random_ expects integer bounds, got {name}={value!r} ({type(value).__name__})")
    value = operator.index(value)
    if not _LOWEST_INT64 <= value < -_LOWEST_INT64:
        raise ArgumentError(f"random_ expects bounds within int64 [-2**63, 2**63), got {name}={value}")
    return value


def _span(low: int, high: int | None, dtype) -> tuple[int, int]:
    """``(low, span)`` of the integers [low, high) drawn in ``dtype`` (high None: up to
    the dtype's largest integer, 2**digits for a float, included)."""
    floating = dtype.kind == "f"
    if high is None:
        top = (1 << _digits(dtype)) if floating else int(_limits(dtype)[1])
        if floating:
            low = _raised_from(low, dtype)
        if not low < top:
            raise ArgumentError(f"random_ expects from below {dtype}'s largest integer {top}, got from={low}")
        _in_range(low, "from", dtype)
        _in_range(top, "to - 1", dtype)
        return low, top - low + 1
    if not low < high:
        raise ArgumentError(f"random_ expects from < to, got from={low} >= to={high}")
    if floating:
        low, high = _raised_from(low, dtype), _lowered_to(high, dtype)
        if not low < high:
            raise ArgumentError(f"random_ expects from < to once both are rounded to {dtype}, got "
                                f"from={low} >= to={high}")
    _in_range(low, "from", dtype)
    _in_range(high - 1, "to - 1", dtype)
    return low, high - low


def random_(self, *bounds, generator=None, **named):
    """self ← integers drawn uniformly, in its dtype, PyTorch's for the same seed:

    * ``random_()``: from [0, m], m the dtype's largest integer (2**24 for float32,
      2**53 for float64, 2**11 for float16; bool: 0 or 1);
    * ``random_(to)``: from [0, to);
    * ``random_(from, to)``: from [from, to); ``to=None`` reaches m (with from the
      lowest int64, every int64 for int64, float32 and float64).

    Bounds beyond the dtype are refused (as PyTorch refuses them), and a float bound the
    dtype cannot hold moves to one it can, as PyTorch moves it.

    >>> from tinygrad_bn import Generator, empty, int64
    >>> random_(empty(6, dtype=int64), -3, 3, generator=Generator().manual_seed(0)).tolist()
    [-1, 0, 2, -3, -2, 0]
    """
    given = _bounds(bounds, named)
    _recording(self)  # a leaf that requires grad is refused first, as PyTorch refuses it
    dtype = self.dtype
    if not given:
        return _fill(self, lambda shape, kind: generators.random_words(shape, kind, generator=generator))
    low, high = given.get("from", 0), given.get("to")
    if low == _LOWEST_INT64 and high is None:  # every int64
        if dtype not in (numpy.int64, numpy.float32, numpy.float64):
            raise DtypeError(f"random_ draws every int64 into int64, float32 or float64 tensors only, got {dtype}")
        span = 1 << 64
    else:
        low, span = _span(low, high, dtype)
    return _fill(self, lambda shape, kind: generators.random_range(shape, kind, low, span, generator=generator))


METHODS = {
    "normal_": normal_, "uniform_": uniform_, "exponential_": exponential_, "geometric_": geometric_,
    "log_normal_": log_normal_, "cauchy_": cauchy_, "random_": random_,
}
