"""Parameter initialisation, in place, with PyTorch's names and formulas.

Values are drawn on the host from the library's seeded generator
(:func:`tinygrad_bn.manual_seed`) and copied into the tensor, which keeps its
dtype and device. The uniform and normal fills draw PyTorch's numbers, and the
bounds and deviations are computed in PyTorch's order of operations, so after the
same seed a layer's initial weights are PyTorch's.

>>> from tinygrad_bn import manual_seed, zeros
>>> generator = manual_seed(0)
>>> w = kaiming_uniform_(zeros(64, 100), nonlinearity="relu")
>>> bound = (2 ** 0.5) * (3 / 100) ** 0.5
>>> bool(abs(w.numpy()).max() <= bound)
True
"""

from __future__ import annotations

import math
import warnings

import numpy

from tinygrad_bn import generator as generators
from tinygrad_bn import mersenne
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.autograd.version import bump

_GAINS = {
    "linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0, "conv_transpose3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0),
    "selu": 0.75,
}


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor by which ``nonlinearity`` shrinks the spread of unit-variance inputs,
    undone by scaling the weights: √2 for ReLU, √(2 / (1 + a²)) for leaky ReLU of slope
    a (``param``, default 0.01), 5/3 for tanh, 1 for linear and sigmoid."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(
            f"unknown nonlinearity {nonlinearity!r}: expected one of {sorted(_GAINS)} or 'leaky_relu'"
        )
    return _GAINS[nonlinearity]


def fan_in_and_fan_out(tensor: Tensor) -> tuple:
    """(inputs, outputs) of one unit of a weight: (in, out) for a Linear's (out, in)
    weight, (C·kh·kw, O·kh·kw) for a Conv2d's (O, C, kh, kw) weight."""
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a weight of at least 2 dimensions, got shape {tensor.shape}"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


# PyTorch's private name, which scripts call for a layer's fans
_calculate_fan_in_and_fan_out = fan_in_and_fan_out


def _fill(tensor: Tensor, host_values) -> Tensor:
    tensor._data[...] = Tensor(host_values, dtype=tensor.dtype, device=tensor.device)._data
    bump(tensor)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with samples of U(a, b), from ``generator`` (the default one when None)."""
    return _fill(tensor, generators.uniform(tensor.shape, tensor.dtype, a, b, generator=generator))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with samples of N(mean, std²), from ``generator`` (the default one when None)."""
    return _fill(tensor, generators.normal(tensor.shape, tensor.dtype, mean, std, generator=generator))


def constant_(tensor: Tensor, value: float) -> Tensor:
    tensor._data[...] = value
    bump(tensor)
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1)


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He et al.: U(−bound, bound) with bound = √3·gain/√fan, so the variance is gain² / fan."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He et al.: N(0, std²) with std = gain / √fan."""
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)), generator)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot & Bengio: U(−bound, bound) with bound = gain·√(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * (gain * math.sqrt(2.0 / float(fan_in + fan_out)))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot & Bengio: N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Saxe et al.: the weight seen as (rows, rest) with orthonormal rows or columns
    (whichever are fewer), times ``gain``: Q of the QR decomposition of a standard normal
    matrix, each column's sign set by R's diagonal so that Q is uniform over the
    orthogonal matrices.

    >>> from tinygrad_bn import manual_seed, zeros
    >>> _ = manual_seed(0)
    >>> w = orthogonal_(zeros(3, 5)).numpy()
    >>> bool(abs(w @ w.T - numpy.eye(3)).max() < 1e-6)
    True
    """
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_ needs a tensor of at least 2 dimensions, got shape {tensor.shape}")
    rows = tensor.shape[0]
    columns = math.prod(tensor.shape) // rows
    gaussian = generators.normal((rows, columns), tensor.dtype, generator=generator).astype(numpy.float64)
    tall = gaussian if rows >= columns else gaussian.T
    q, r = numpy.linalg.qr(tall)
    q = q * numpy.sign(numpy.diag(r))
    return _fill(tensor, gain * (q if rows >= columns else q.T).reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Martens: a 2-D weight of N(0, std²) values with ⌈sparsity·rows⌉ of each column's
    entries set to zero, the rows picked by a permutation per column. As in PyTorch, the
    values come from ``generator`` and the permutations from the default generator, so
    the zeros fall where PyTorch's do for the same seed.

    >>> from tinygrad_bn import manual_seed, zeros
    >>> _ = manual_seed(0)
    >>> (sparse_(zeros(10, 4), 0.3).numpy() == 0).sum(axis=0).tolist()
    [3, 3, 3, 3]
    """
    if tensor.ndim != 2:
        raise ValueError(f"sparse_ needs a 2-D tensor, got shape {tensor.shape}")
    rows, columns = tensor.shape
    zeros_per_column = math.ceil(sparsity * rows)
    values = generators.normal(tensor.shape, tensor.dtype, 0.0, std, generator=generator)
    for column in range(columns):
        values[mersenne.randperm(generators.stream(), rows)[:zeros_per_column], column] = 0
    return _fill(tensor, values)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    """N(mean, std²) conditioned on [a, b] (bounds in the values' own units), drawn as
    PyTorch 2.13 draws it, so its numbers for the same seed: when [a, b] holds more than
    0.3 of the normal, whole normal tensors are drawn and the values outside replaced
    from the next one until none is; otherwise uniforms on [a, b] are accepted with
    probability exp(−½((x − mean)/std)²) relative to the density's peak on [a, b], a fresh
    uniform tensor for every round of rejected values."""
    if not a < b:
        raise ValueError(f"trunc_normal_ needs a < b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("trunc_normal_: mean is more than 2 std from [a, b]; the values may follow the truncated "
                      "normal only roughly", stacklevel=2)
    inside = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    draw = _redrawn_normals if inside > 0.3 else _accepted_uniforms
    return _fill(tensor, draw(tensor.shape, numpy.dtype(tensor.dtype), mean, std, a, b, generator))


def _normal_cdf(z: float) -> float:
    return (1.0 + math.erf(z / math.sqrt(2.0))) / 2.0


def _redrawn_normals(shape, dtype, mean, std, a, b, generator):
    """Normals, each outside [a, b] replaced from a whole new draw, until none is outside."""
    low, high = dtype.type(a), dtype.type(b)  # the bounds as the tensor's dtype holds them
    values = generators.normal(shape, dtype, mean, std, generator=generator)
    outside = (values < low) | (values > high)
    while outside.any():
        values = numpy.where(outside, generators.normal(shape, dtype, mean, std, generator=generator), values)
        outside = (values < low) | (values > high)
    return values


def _accepted_uniforms(shape, dtype, mean, std, a, b, generator):
    """Uniforms on [a, b], each kept when log(v) ≤ −½((x − mean)/std)² − log_peak for a
    fresh uniform v (log_peak: the same at the mode on [a, b]), redrawn until all are kept;
    the arithmetic in ``dtype``, step by step, as PyTorch does it."""
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def rejected(candidates):
        log_density = ((candidates - mean) / std) ** 2 * -0.5 - log_peak
        return numpy.log(generators.uniform(shape, dtype, generator=generator)) > log_density

    values = generators.uniform(shape, dtype, a, b, generator=generator)
    pending = rejected(values)
    while pending.any():
        candidates = generators.uniform(shape, dtype, a, b, generator=generator)
        values = numpy.where(pending, candidates, values)
        pending &= rejected(candidates)
    return values


def eye_(tensor: Tensor) -> Tensor:
    """The 2-D identity: ones on the diagonal, zeros elsewhere."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_ needs a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, numpy.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The identity of a convolution: a (O, C, k...) weight of 3, 4 or 5 dimensions is
    zeroed, then each group's first min(O / groups, C) output channels get a 1 at the centre
    of the kernel of their own input channel, so the layer passes those channels through.

    >>> from tinygrad_bn import zeros
    >>> dirac_(zeros(2, 2, 3)).numpy()[:, :, 1].tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_ needs a tensor of 3, 4 or 5 dimensions, got shape {tensor.shape}")
    if groups < 1 or tensor.shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 ({tensor.shape[0]}) must be divisible by groups, got groups={groups}")
    per_group = tensor.shape[0] // groups
    values = numpy.zeros(tensor.shape)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d) + centre] = 1.0
    return _fill(tensor, values)


def default_(weight: Tensor, bias: Tensor | None = None):
    """PyTorch's default for Linear and Conv2d: kaiming_uniform_ with a = √5, which is
    U(−1/√fan_in, 1/√fan_in), and the bias from the same range."""
    kaiming_uniform_(weight, a=math.sqrt(5.0))
    if bias is not None:
        bound = 1.0 / math.sqrt(fan_in_and_fan_out(weight)[0])
        uniform_(bias, -bound, bound)
