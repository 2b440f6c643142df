"""PyTorch's CPU draws of indices beyond a permutation, ``randint`` and ``multinomial``,
from the MT19937 stream of :mod:`tinygrad_bn.mersenne` (the orders of a
:class:`tinygrad_bn.Generator`): the samplers' draws, so that they give PyTorch's
indices for the same seed.

PyTorch makes a 64-bit word of two 32-bit draws, the high word first, and a uniform
u ∈ [0, 1) of a word's low 53 bits. From those:

* ``randint(bits, n, count)``: each value is the next 32-bit draw mod n, or for
  n ≥ 2**28 the next 64-bit word mod n (PyTorch 2.13's threshold);
* ``multinomial`` with replacement, more than one draw: by the inverse of the
  cumulative distribution, each u lands on the first index whose normalised running
  sum of the weights reaches u;
* ``multinomial`` without replacement, or of one draw: an exponential race, every
  index i gets a time Eᵢ = −log(1 − uᵢ) and the ``count`` largest wᵢ / Eᵢ win, largest
  first. The winners are a draw without replacement, each next one with probability
  proportional to its weight among those left (the Gumbel-top-k trick).

Checked against PyTorch 2.13, whose CPU build draws its exponentials from this stream
too (not from MKL's generators). The race ranks zero weights last, lowest index
first; PyTorch's ranks them in the order of its ``topk``, so a draw that reaches them
(more draws than positive weights) may differ there.

>>> from tinygrad_bn import mersenne
>>> randint(mersenne.mt19937(0), 10, 6).tolist()  # torch.randint(10, (6,), generator=torch.Generator().manual_seed(0))
[4, 9, 3, 0, 3, 9]
>>> weights = numpy.array([1.0, 0.0, 3.0, 4.0])
>>> multinomial(mersenne.mt19937(0), weights, 6, replacement=True).tolist()
[3, 3, 2, 3, 3, 3]
>>> multinomial(mersenne.mt19937(0), weights, 3, replacement=False).tolist()
[2, 3, 0]
"""

from __future__ import annotations

import numpy

from tinygrad_bn.errors import ArgumentError
from tinygrad_bn.mersenne import words64

_MANTISSA = 53  # bits of a float64's significand: u = (word mod 2**53) / 2**53
_WIDE_RANGE = 1 << 28  # randint draws 64-bit words from this range up, measured against PyTorch 2.13


def randint(bits: numpy.random.MT19937, n: int, count: int) -> numpy.ndarray:
    """``count`` integers in [0, n) as PyTorch's ``randint(n, (count,))`` draws them."""
    words = words64(bits, count) if n >= _WIDE_RANGE else bits.random_raw(count)
    return (words % numpy.uint64(n)).astype(numpy.int64)


def multinomial(bits: numpy.random.MT19937, weights: numpy.ndarray, count: int, replacement: bool) -> numpy.ndarray:
    """``count`` indices of ``weights`` (float64, 1-d) drawn with probability proportional
    to their weight, as PyTorch's ``multinomial(weights, count, replacement)`` draws them
    (see the module's docstring for the two ways)."""
    _check_weights(weights, count, replacement)
    if replacement and count > 1:
        running = numpy.cumsum(weights)
        cdf = running / running[-1]
        cdf[-1] = 1.0
        return numpy.searchsorted(cdf, _uniform(bits, count), side="left").astype(numpy.int64)
    # Eᵢ = −log(1 − uᵢ) ~ Exp(1); the largest wᵢ / Eᵢ win, largest first
    times = -numpy.log1p(-_uniform(bits, len(weights)))
    return numpy.argsort(-(weights / times), kind="stable")[:count].astype(numpy.int64)


def _check_weights(weights: numpy.ndarray, count: int, replacement: bool):
    """Refuse what PyTorch's ``multinomial`` refuses, with its kind of error."""
    if not replacement and count > len(weights):
        raise ArgumentError(
            f"cannot draw {count} samples without replacement from {len(weights)} weights: "
            "draw at most as many as there are weights, or draw with replacement"
        )
    bad = ~numpy.isfinite(weights) | (weights < 0)
    if bad.any():
        raise ArgumentError(
            f"weights must be finite and non-negative, got {weights[bad][0]} at index {numpy.flatnonzero(bad)[0]}"
        )
    if not weights.sum() > 0:
        raise ArgumentError(f"weights must have a positive sum, got {len(weights)} weights summing to 0")


def _uniform(bits: numpy.random.MT19937, count: int) -> numpy.ndarray:
    """``count`` uniforms in [0, 1) as PyTorch draws a float64: a word's low 53 bits over 2**53."""
    low_bits = words64(bits, count) & numpy.uint64((1 << _MANTISSA) - 1)
    return low_bits.astype(numpy.float64) / float(1 << _MANTISSA)
