"""Random sampling: PyTorch's ``multinomial``, ``bernoulli``, ``normal`` and ``poisson``,
and PyTorch's CPU draws of indices beyond a permutation, ``randint`` and ``multinomial``,
from the MT19937 stream of :mod:`tinygrad_bn.mersenne` (the orders of a
:class:`tinygrad_bn.Generator`).

``multinomial`` draws from that stream, as the data samplers do, so it gives PyTorch's
indices for the same seed: ``manual_seed(s)`` then ``multinomial(p, n)`` equals
``torch.manual_seed(s)`` then ``torch.multinomial(p, n)``, as long as only
permutations, shuffles and multinomial draws came between (PyTorch's ``randn`` and
``rand`` draw from its stream too; here they draw from NumPy's). ``bernoulli``,
``normal`` and ``poisson`` draw from the library's NumPy generator, as ``rand`` does.

PyTorch makes a 64-bit word of two 32-bit draws, the high word first, and a uniform
u ∈ [0, 1) of a word's low 53 bits. From those:

* ``draw_randint(bits, n, count)``: each value is the next 32-bit draw mod n, or for
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
>>> draw_randint(mersenne.mt19937(0), 10, 6).tolist()  # torch.randint(10, (6,), generator=...manual_seed(0))
[4, 9, 3, 0, 3, 9]
>>> weights = numpy.array([1.0, 0.0, 3.0, 4.0])
>>> draw_multinomial(mersenne.mt19937(0), weights, 6, replacement=True).tolist()
[3, 3, 2, 3, 3, 3]
>>> draw_multinomial(mersenne.mt19937(0), weights, 3, replacement=False).tolist()
[2, 3, 0]
"""

from __future__ import annotations

import numpy

from tinygrad_bn import generator as generators
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.dtypes import get_default_dtype
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.generator import rng, stream
from tinygrad_bn.mersenne import span_words, words64

_MANTISSA = 53  # bits of a float64's significand: u = (word mod 2**53) / 2**53


def draw_randint(bits: numpy.random.MT19937, n: int, count: int) -> numpy.ndarray:
    """``count`` integers in [0, n) as PyTorch's ``randint(n, (count,))`` draws them."""
    return (span_words(bits, count, n) % numpy.uint64(n)).astype(numpy.int64)


def draw_multinomial(bits: numpy.random.MT19937, weights: numpy.ndarray, count: int,
                     replacement: bool) -> numpy.ndarray:
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


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:  # noqa: A002
    """``num_samples`` indices into the last axis of (k,) or (m, k) non-negative
    weights, each drawn with probability proportional to its weight (without
    ``replacement``, each index at most once), as PyTorch's ``multinomial`` draws them;
    int64, of shape (num_samples,) or (m, num_samples).

    >>> from tinygrad_bn import manual_seed
    >>> _ = manual_seed(0)
    >>> multinomial(Tensor([0.1, 0.0, 0.9]), 4, replacement=True).tolist()
    [2, 2, 2, 2]
    """
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise ShapeError(f"multinomial expects weights of shape (k,) or (m, k), got {input.shape}")
    if input.dtype.kind != "f":
        raise DtypeError(f"multinomial expects floating-point weights, got {input.dtype}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ArgumentError(f"multinomial draws a positive number of samples, got num_samples={num_samples!r}")
    bits = stream(generator)
    rows = input.numpy().astype(numpy.float64).reshape(-1, input.shape[-1])
    drawn = numpy.stack([draw_multinomial(bits, row, num_samples, replacement) for row in rows])
    return Tensor(drawn.reshape(*input.shape[:-1], num_samples), device=input.device)


def bernoulli(input, p=None, *, generator=None) -> Tensor:  # noqa: A002
    """1 with probability ``input`` (or ``p`` when given), else 0, elementwise, in
    ``input``'s dtype; no gradient. PyTorch's draws for the same seed: u < p with u
    drawn in ``input``'s dtype, or in float64 for a number ``p``."""
    probabilities = input.numpy() if p is None else numpy.full(input.shape, float(p))
    outside = (probabilities < 0) | (probabilities > 1) | numpy.isnan(probabilities)
    if outside.any():
        raise ArgumentError(f"bernoulli expects probabilities in [0, 1], got {probabilities[outside].flat[0]}")
    drawn = generators.bernoulli(probabilities, input.dtype if p is None else numpy.float64, generator=generator)
    return Tensor(drawn.astype(input.dtype), device=input.device)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None) -> Tensor:
    """Samples of N(mean, std²): ``mean`` and ``std`` Tensors (broadcast together) or
    numbers (then ``size`` gives the shape); no gradient, as in PyTorch."""
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors and size is None:
        raise TypeError("normal(mean, std) of two numbers needs a size, e.g. normal(0.0, 1.0, size=(3,))")
    host = [t.numpy() if isinstance(t, Tensor) else t for t in (mean, std)]
    if (numpy.asarray(host[1]) < 0).any():
        raise ArgumentError("normal expects std >= 0")
    shape = numpy.broadcast_shapes(*(numpy.shape(h) for h in host)) if size is None else tuple(size)
    like = tensors[0] if tensors else None
    dtype = numpy.dtype(like.dtype if like is not None else dtype or get_default_dtype())
    if not tensors:  # PyTorch's normal_(mean, std)
        drawn = generators.normal(shape, dtype, host[0], host[1], generator=generator)
    else:  # PyTorch's normal_(0, 1), then times std plus mean
        mean, std = (numpy.asarray(h, dtype) for h in host)
        drawn = generators.normal(shape, dtype, generator=generator) * std + mean
    return Tensor(drawn.astype(dtype), device=like.device if like is not None else device)


def poisson(input, generator=None) -> Tensor:  # noqa: A002
    """Poisson samples with the rates ``input``, in its dtype; no gradient."""
    rates = input.numpy()
    if (rates < 0).any() or numpy.isnan(rates).any():
        raise ArgumentError("poisson expects rates >= 0")
    return Tensor(numpy.asarray(rng(generator).poisson(rates)).astype(input.dtype), device=input.device)
