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

import numpy

from tinygrad_bn import generator as generators
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.autograd.version import bump
from tinygrad_bn.ops import generator

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


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples of U(a, b)."""
    return _fill(tensor, generators.uniform(tensor.shape, tensor.dtype, a, b))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples of N(mean, std²)."""
    return _fill(tensor, generators.normal(tensor.shape, tensor.dtype, mean, std))


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
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al.: U(−bound, bound) with bound = √3·gain/√fan, so the variance is gain² / fan."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al.: N(0, std²) with std = gain / √fan."""
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio: U(−bound, bound) with bound = gain·√(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * (gain * math.sqrt(2.0 / float(fan_in + fan_out)))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio: N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
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
    gaussian = generators.normal((rows, columns), tensor.dtype).astype(numpy.float64)
    tall = gaussian if rows >= columns else gaussian.T
    q, r = numpy.linalg.qr(tall)
    q = q * numpy.sign(numpy.diag(r))
    return _fill(tensor, gain * (q if rows >= columns else q.T).reshape(tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0) -> Tensor:
    """N(mean, std²) conditioned on [a, b] (bounds in the values' own units, as in
    PyTorch), drawn by redrawing the values that fall outside."""
    if not a < b:
        raise ValueError(f"trunc_normal_ needs a < b, got a={a}, b={b}")
    inside = 0.5 * (math.erf((b - mean) / (std * math.sqrt(2))) - math.erf((a - mean) / (std * math.sqrt(2))))
    if inside < 1e-3:
        raise ValueError(f"trunc_normal_: [{a}, {b}] holds {inside:.2g} of N({mean}, {std}²), too little to draw "
                         "from by redrawing; bring the bounds nearer the mean")
    values = generator().normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = generator().normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


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
