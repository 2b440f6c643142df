"""PyTorch's CPU random stream: the 32-bit Mersenne Twister (MT19937) seeded as PyTorch
seeds it, and the ways PyTorch's CPU kernels turn it into numbers, permutations and
64-bit seeds.

A :class:`tinygrad_bn.Generator` draws from this stream, so after the same seed
``rand``, ``randn``, ``randint``, ``uniform_``, ``normal_``, ``bernoulli``, dropout
masks, initial weights, ``randperm`` and DataLoader shuffles give PyTorch's numbers,
in PyTorch's order: two frameworks can be compared step by step. (float32 normals
drawn 16 or more at a time can differ in the last bits: PyTorch computes their
logarithms, sines and cosines with vectorized approximations of its own.)

>>> bits = mt19937(0)
>>> randperm(bits, 8).tolist()  # torch.randperm(8, generator=torch.Generator().manual_seed(0))
[4, 0, 7, 3, 2, 5, 1, 6]
>>> [round(float(u), 4) for u in uniform(mt19937(0), 3, "float32")]  # torch.manual_seed(0); torch.rand(3)
[0.4963, 0.7682, 0.0885]
"""

from __future__ import annotations

import math

import numpy

MT_STATE_WORDS = 624


def mt19937(seed: int) -> numpy.random.MT19937:
    """MT19937 started as PyTorch starts its CPU generator after ``manual_seed(seed)``:
    the classic initialisation from the seed's low 32 bits (NumPy's legacy seeding)."""
    key = numpy.random.RandomState(int(seed) & 0xFFFFFFFF).get_state()[1]
    bits = numpy.random.MT19937()
    bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": MT_STATE_WORDS}}
    return bits


def randperm(bits: numpy.random.MT19937, n: int) -> numpy.ndarray:
    """A permutation of 0..n-1 as PyTorch's CPU ``randperm`` draws it: Fisher-Yates from
    the front, position i swapped with i + (r mod (n - i)) for the next 32-bit draw r."""
    order = numpy.arange(n, dtype=numpy.int64)
    draws = bits.random_raw(max(n - 1, 0)).tolist()
    for i, r in enumerate(draws):
        j = i + r % (n - i)
        order[i], order[j] = order[j], order[i]
    return order


def words64(bits: numpy.random.MT19937, count: int) -> numpy.ndarray:
    """``count`` 64-bit words (uint64) as PyTorch's ``random64`` makes them: two 32-bit
    draws each, the high word first."""
    high, low = bits.random_raw(2 * count).reshape(count, 2).T
    return (high << numpy.uint64(32)) | low


def seed64(bits: numpy.random.MT19937) -> int:
    """A seed as PyTorch's ``torch.empty((), dtype=torch.int64).random_(generator)`` draws
    it (DataLoader does, at the start of every pass): a 64-bit word modulo 2**63."""
    return int(words64(bits, 1)[0]) % (1 << 63)


# PyTorch's CPU transforms of the stream into numbers -------------------------------------


def unit_uniform(bits: numpy.random.MT19937, count: int, dtype) -> numpy.ndarray:
    """``count`` numbers in [0, 1) as float64, as PyTorch draws them for ``dtype``: the low
    d bits of one word each, times 2⁻ᵈ (d = 53 of a 64-bit word for float64, else 24 of
    a 32-bit one: float16 takes float32's numbers, rounded)."""
    dtype = numpy.dtype(dtype)
    digits = 53 if dtype == numpy.float64 else 24
    words = words64(bits, count) if dtype == numpy.float64 else bits.random_raw(count)
    return (words & numpy.uint64((1 << digits) - 1)).astype(numpy.float64) * 2.0**-digits


def uniform(bits: numpy.random.MT19937, count: int, dtype, low: float = 0.0, high: float = 1.0) -> numpy.ndarray:
    """PyTorch's ``uniform_(low, high)``: u·(high − low) + low with the bounds in ``dtype``,
    rounded once, as its fused multiply-add does."""
    dtype = numpy.dtype(dtype)
    low, high = numpy.asarray(low, dtype), numpy.asarray(high, dtype)
    u, span = unit_uniform(bits, count, dtype), float(high - low)  # the span rounded in ``dtype``
    if dtype == numpy.float64:
        return fused_multiply_add(u, span, float(low))
    return (u * span + float(low)).astype(dtype)  # the product exact in float64: one rounding of the sum


def fused_multiply_add(x: numpy.ndarray, y: float, z: float) -> numpy.ndarray:
    """x·y + z in float64 rounded once, from the exact product (Dekker's split of each
    factor into halves) and the exact sum (Knuth's two-sum)."""
    product = x * y
    x_high, x_low = _halves(x)
    y_high, y_low = _halves(numpy.float64(y))
    product_error = ((x_high * y_high - product) + x_high * y_low + x_low * y_high) + x_low * y_low
    total = product + z
    z_part = total - product
    sum_error = (product - (total - z_part)) + (z - z_part)
    return total + (sum_error + product_error)


def _halves(a):
    """a = high + low, each with at most 26 significant bits."""
    scaled = 134217729.0 * a  # 2²⁷ + 1
    high = scaled - (scaled - a)
    return high, a - high


BOX_MULLER_BLOCK = 16  # PyTorch turns uniforms into normals 16 at a time from this many on


def normal(bits: numpy.random.MT19937, count: int, dtype, mean: float, std: float, cached,
           one_at_a_time: bool = False):
    """PyTorch's ``normal_(mean, std)`` of ``count`` numbers, and the Box–Muller sine it
    keeps for the next call (``cached``: the one kept before, or None).

    From 16 numbers on, PyTorch draws all the uniforms first and turns each 16 into
    normals in place, u₁ = 1 − u[j], u₂ = u[j + 8] giving r·cos θ at j and r·sin θ at
    j + 8 (r = √(−2 log u₁), θ = 2π u₂), in ``dtype``; a partial last 16 is drawn anew
    over the last 16 places. Below 16, or ``one_at_a_time`` (a tensor that is not
    contiguous, ``log_normal_``), each number is one float64 Box–Muller draw (r from
    log1p(−u₂), θ from u₁) whose sine is kept for the next number."""
    dtype = numpy.dtype(dtype)
    if count >= BOX_MULLER_BLOCK and not one_at_a_time:
        compute = numpy.promote_types(dtype, numpy.float32)
        out = numpy.empty(count, compute)
        whole = count - count % BOX_MULLER_BLOCK
        out[:whole] = _box_muller_blocks(unit_uniform(bits, count, dtype)[:whole], compute, mean, std)
        if whole < count:
            out[count - BOX_MULLER_BLOCK:] = _box_muller_blocks(unit_uniform(bits, BOX_MULLER_BLOCK, dtype), compute,
                                                                mean, std)
        return out.astype(dtype), cached
    out = numpy.empty(count)
    for i in range(count):
        if cached is None:
            u1, u2 = unit_uniform(bits, 2, numpy.float64)
            radius, theta = math.sqrt(-2.0 * math.log1p(-u2)), 2.0 * math.pi * u1
            value, cached = radius * math.cos(theta), radius * math.sin(theta)
        else:
            value, cached = cached, None
        out[i] = value
    return scaled(out, std, mean).astype(dtype), cached


def _box_muller_blocks(u, dtype, mean, std):
    """Normals of mean and std from uniforms, 16 at a time, as :func:`normal` says."""
    u = u.astype(dtype).reshape(-1, 2, BOX_MULLER_BLOCK // 2)
    radius = numpy.sqrt(dtype.type(-2) * numpy.log(dtype.type(1) - u[:, 0]))
    theta = dtype.type(2 * math.pi) * u[:, 1]
    standard = numpy.stack([radius * numpy.cos(theta), radius * numpy.sin(theta)], axis=1).ravel()
    return scaled(standard, dtype.type(std), dtype.type(mean))


def scaled(z: numpy.ndarray, std, mean) -> numpy.ndarray:
    """z·std + mean in z's dtype, rounded once as PyTorch's fused multiply-add rounds it
    (for float32 the product is exact in float64)."""
    if z.dtype == numpy.float64:
        return fused_multiply_add(z, float(std), float(mean))
    return (z.astype(numpy.float64) * float(std) + float(mean)).astype(z.dtype)


WIDE_SPAN = 1 << 28  # from this span up PyTorch 2.13 draws a 64-bit word per integer (measured)


def span_words(bits: numpy.random.MT19937, count: int, span: int) -> numpy.ndarray:
    """One word per integer drawn from ``span`` values, as PyTorch's CPU kernels take
    them: 32 bits, or 64 from :data:`WIDE_SPAN` up."""
    return words64(bits, count) if span >= WIDE_SPAN else bits.random_raw(count)


def integers(bits: numpy.random.MT19937, count: int, low: int, high: int) -> numpy.ndarray:
    """PyTorch's ``randint(low, high)``: low + w mod (high − low), w a :func:`span_words` word."""
    span = high - low
    return (span_words(bits, count, span) % numpy.uint64(span)).astype(numpy.int64) + low


def bernoulli(bits: numpy.random.MT19937, probabilities, dtype) -> numpy.ndarray:
    """True where u < p, u drawn for ``dtype`` (PyTorch's ``bernoulli`` of a tensor of
    ``probabilities``, or ``bernoulli_(p)`` of a number in float64)."""
    p = numpy.asarray(probabilities, dtype)
    return unit_uniform(bits, p.size, dtype).reshape(p.shape).astype(dtype) < p
