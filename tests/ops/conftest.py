"""The ops under test: one :class:`OpCase` per op and shape, shared by the gradient,
PyTorch-parity and device tests of this folder (a test asking for ``op_case`` runs
once per case).

Inputs are drawn away from kinks by construction: ``abs`` and ``relu`` never see 0,
``max``/``min`` never see ties, ``maximum``/``minimum`` never see equal pairs,
``clamp`` never sees a bound, and ``log``, ``sqrt`` and ``pow`` bases stay positive.
``prod`` has no kinks, so it sees zeros: one and two in a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy

import tinygrad_bn as tg
from tinygrad_bn import Tensor

# Samplers: (rng, shape) -> float64 host array -----------------------------------------


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 1.5, shape)


def distinct(rng, shape):
    """Values at least 0.2 apart: no ties for max and min."""
    size = int(numpy.prod(shape))
    return (rng.permutation(size) * 0.3 + rng.uniform(-0.05, 0.05, size)).reshape(shape) - 0.15 * size


def distinct_magnitudes(rng, shape):
    """Values of either sign whose magnitudes are at least 0.2 apart: no ties for max |x|."""
    return rng.choice([-1.0, 1.0], shape) * (distinct(rng, shape) + 0.15 * int(numpy.prod(shape)) + 0.5)


def odd_lattice(rng, shape):
    """Near odd multiples of 0.25; never within 0.15 of an :func:`even_lattice` value."""
    return 0.5 * rng.integers(-3, 3, shape) + 0.25 + rng.uniform(-0.05, 0.05, shape)


def even_lattice(rng, shape):
    return 0.5 * rng.integers(-3, 3, shape) + rng.uniform(-0.05, 0.05, shape)


def well_conditioned(rng, shape):
    """Square matrices (..., n, n) far from singular: normal entries plus n on the diagonal."""
    return rng.standard_normal(shape) + shape[-1] * numpy.eye(shape[-1])


def every_third_zero(rng, shape):
    """:func:`away_from_zero` with every third element (in C order) set to 0."""
    x = away_from_zero(rng, shape)
    x.reshape(-1)[::3] = 0.0
    return x


SAME = object()  # OpCase.torch_fn: the case's own fn works on torch tensors too


@dataclass(frozen=True)
class OpCase:
    """``fn`` applied to Tensors made from ``inputs`` (shape, sampler) pairs.

    ``torch_fn`` is the same computation on torch tensors: ``fn`` itself when
    ``torch_fn is SAME``, None when PyTorch has no counterpart."""

    name: str
    fn: Callable
    inputs: tuple
    torch_fn: Callable | None = None
    label: str = ""

    @property
    def id(self) -> str:
        shapes = ",".join(str(shape) for shape, _ in self.inputs).replace(" ", "")
        label = f"[{self.label}]".replace(" ", "_") if self.label else ""
        return f"{self.name}{label}-{shapes}"

    def host_inputs(self, seed=0) -> list:
        rng = numpy.random.default_rng(seed)
        return [numpy.asarray(sample(rng, shape)) for shape, sample in self.inputs]

    def tensors(self, dtype="float64", device=None, seed=0) -> list:
        return [
            Tensor(a.astype(dtype), requires_grad=True, device=device) for a in self.host_inputs(seed)
        ]

    def torch_function(self):
        return self.fn if self.torch_fn is SAME else self.torch_fn

# Elementwise ------------------------------------------------------------------------

BROADCAST_PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1, 3), (4, 1)), ((), (2, 2))]


def _torch():
    """PyTorch, imported only by the parity tests (which skip without it)."""
    import torch

    return torch


def _linalg(x):
    """``torch.linalg`` or ``tinygrad_bn.linalg``, whichever ``x`` belongs to."""
    return tg.linalg if isinstance(x, Tensor) else _torch().linalg


def binary_cases(name, fn, first, second, torch_fn=SAME):
    return [OpCase(name, fn, ((a, first), (b, second)), torch_fn) for a, b in BROADCAST_PAIRS]


MASK = numpy.array([[True, False, True], [False, False, True]])

ELEMENTWISE = [
    *binary_cases("add", lambda a, b: a + b, normal, normal),
    *binary_cases("sub", lambda a, b: a - b, normal, normal),
    *binary_cases("mul", lambda a, b: a * b, normal, normal),
    *binary_cases("div", lambda a, b: a / b, normal, away_from_zero),
    *binary_cases("pow", lambda a, b: a**b, positive, normal),
    *binary_cases("maximum", tg.maximum, odd_lattice, even_lattice, lambda a, b: _torch().maximum(a, b)),
    *binary_cases("minimum", tg.minimum, odd_lattice, even_lattice, lambda a, b: _torch().minimum(a, b)),
    OpCase("add", lambda x: x + 1.5, (((2, 3), normal),), SAME, "scalar"),
    OpCase("add", lambda x: 1.5 + x, (((2, 3), normal),), SAME, "reflected"),
    OpCase("sub", lambda x: 2.0 - x, (((2, 3), normal),), SAME, "reflected"),
    OpCase("mul", lambda x: 2.0 * x, (((2, 3), normal),), SAME, "reflected"),
    OpCase("div", lambda x: x / 4.0, (((2, 3), normal),), SAME, "scalar"),
    OpCase("div", lambda x: 3.0 / x, (((2, 3), away_from_zero),), SAME, "reflected"),
    OpCase("pow", lambda x: x**3.0, (((2, 3), normal),), SAME, "x**3.0"),
    OpCase("pow", lambda x: x**2, (((2, 3), normal),), SAME, "x**2"),
    OpCase("pow", lambda x: x**0.5, (((2, 3), positive),), SAME, "x**0.5"),
    OpCase("pow", lambda x: x**-1.5, (((2, 3), positive),), SAME, "x**-1.5"),
    OpCase("pow", lambda x: 2.0**x, (((2, 3), normal),), SAME, "2.0**x"),
    OpCase("pow", lambda a, b: a.pow(b), (((2, 3), positive), ((3,), normal)), SAME, "method"),
    OpCase("where", lambda a, b: tg.where(MASK, a, b), (((2, 3), normal), ((2, 3), normal)),
           lambda a, b: _torch().where(_torch().from_numpy(MASK), a, b)),
    OpCase("where", lambda a, b: tg.where(MASK, a, b), (((2, 3), normal), ((3,), normal)),
           lambda a, b: _torch().where(_torch().from_numpy(MASK), a, b)),
    OpCase("where", lambda a: tg.where(MASK, a, 0.5), (((2, 3), normal),),
           lambda a: _torch().where(_torch().from_numpy(MASK), a, 0.5), "scalar"),
    OpCase("where", lambda a, b: tg.where(a > 0.0, a, b), (((2, 3), away_from_zero), ((2, 3), normal)),
           lambda a, b: _torch().where(a > 0.0, a, b), "tensor condition"),
    OpCase("maximum", lambda x: tg.maximum(x, 0.1), (((2, 3), away_from_zero),),
           lambda x: _torch().clamp(x, min=0.1), "scalar"),
    OpCase("clamp", lambda x: x.clamp(-0.5, 0.5), (((2, 3), odd_lattice),), SAME),
    OpCase("clamp", lambda x: x.clamp(min=-0.5), (((2, 3), odd_lattice),), SAME, "min"),
    OpCase("clip", lambda x: x.clip(max=0.5), (((2, 3), odd_lattice),), SAME, "max"),
    OpCase("clamp", lambda x, low, high: x.clamp(low, high),
           (((2, 3), odd_lattice), ((3,), even_lattice), ((2, 1), even_lattice)), SAME, "tensor bounds"),
    OpCase("masked_fill", lambda x: x.masked_fill(Tensor(MASK, device=x.device), 0.5), (((2, 3), normal),),
           lambda x: x.masked_fill(_torch().from_numpy(MASK), 0.5)),
    OpCase("masked_fill", lambda x, v: x.masked_fill(Tensor(MASK[0], device=x.device), v),
           (((2, 3), normal), ((), normal)), lambda x, v: x.masked_fill(_torch().from_numpy(MASK[0]), v),
           "broadcast mask, tensor value"),
    OpCase("neg", lambda x: -x, (((2, 3), normal),), SAME),
    OpCase("exp", lambda x: x.exp(), (((2, 3), normal),), SAME),
    OpCase("log", lambda x: x.log(), (((2, 3), positive),), SAME),
    OpCase("sqrt", lambda x: x.sqrt(), (((2, 3), positive),), SAME),
    OpCase("abs", lambda x: x.abs(), (((2, 3), away_from_zero),), SAME),
    OpCase("tanh", lambda x: x.tanh(), (((2, 3), normal),), SAME),
    OpCase("log1p", lambda x: x.log1p(), (((2, 3), positive),), SAME),
    OpCase("sin", lambda x: x.sin(), (((2, 3), normal),), SAME),
    OpCase("cos", lambda x: x.cos(), (((2, 3), normal),), SAME),
    OpCase("erf", lambda x: x.erf(), (((2, 3), normal),), SAME),
    OpCase("square", lambda x: x.square(), (((2, 3), normal),), SAME),
    OpCase("max", lambda a, b: a.max(b), (((2, 3), odd_lattice), ((3,), even_lattice)), SAME, "other tensor"),
    OpCase("sigmoid", lambda x: x.sigmoid(), (((2, 3), normal),), SAME),
    OpCase("relu", lambda x: x.relu(), (((2, 3), away_from_zero),), SAME),
    OpCase("exp", lambda x: x.exp(), (((), normal),), SAME),
]

# Reductions -------------------------------------------------------------------------

AXES = [(None, False), (1, False), ((0, 2), True), (-1, False)]


def _dims(axis, ndim=3):
    return tuple(range(ndim)) if axis is None else axis


def reduction_cases(name, sampler, torch_reduce, **words):
    return [
        OpCase(
            name,
            lambda x, axis=axis, keepdims=keepdims: getattr(x, name)(dim=axis, keepdim=keepdims, **words),
            (((2, 3, 4), sampler),),
            lambda x, axis=axis, keepdims=keepdims: torch_reduce(x, _dims(axis), keepdims),
            f"dim={axis},keepdim={keepdims}",
        )
        for axis, keepdims in AXES
    ]


def _torch_max(x, dims, keepdims):
    return _torch().amax(x, dim=dims, keepdim=keepdims)


def _torch_min(x, dims, keepdims):
    return _torch().amin(x, dim=dims, keepdim=keepdims)


def pytorch_word_cases(name, sampler, *calls):
    """``name`` called with PyTorch's keywords (one dict per case), the same call on
    torch tensors; of ``max(dim=...)`` and ``min(dim=...)`` the values."""

    def case(words):
        def fn(x):
            result = getattr(x, name)(**words)
            return result.values if name in ("max", "min") else result

        label = ",".join(f"{word}={value}" for word, value in words.items()).replace(" ", "")
        return OpCase(name, fn, (((2, 3, 4), sampler),), SAME, label)

    return [case(words) for words in calls]


REDUCE = [
    *reduction_cases("sum", normal, lambda x, dims, keep: x.sum(dim=dims, keepdim=keep)),
    *reduction_cases("mean", normal, lambda x, dims, keep: x.mean(dim=dims, keepdim=keep)),
    *reduction_cases("amax", distinct, _torch_max),
    *reduction_cases("amin", distinct, _torch_min),
    *reduction_cases("var", normal, lambda x, dims, keep: x.var(dim=dims, keepdim=keep, correction=0), correction=0),
    OpCase("var", lambda x: x.var(axis=(0, 2), keepdims=True), (((2, 3, 4), normal),),
           lambda x: x.var(dim=(0, 2), keepdim=True, correction=1), "axis=(0,2),keepdims=True"),
    OpCase("max", lambda x: x.max(axis=1).values, (((2, 3, 4), distinct),), lambda x: x.max(dim=1).values,
           "axis=1"),
    *pytorch_word_cases("sum", normal, {"dim": (0, -1), "keepdim": True}, {"dim": ()}),
    *pytorch_word_cases("mean", normal, {"dim": 1}),
    *pytorch_word_cases("max", distinct, {"dim": 1}, {"dim": -1, "keepdim": True}),
    *pytorch_word_cases("min", distinct, {"dim": 0}, {"dim": -2, "keepdim": True}),
    *pytorch_word_cases("var", normal, {"dim": 1}, {"dim": (0, -1), "keepdim": True, "unbiased": False},
                        {"correction": 0}, {"dim": -1, "correction": 2}),
    OpCase("logsumexp", lambda x: x.logsumexp(-1), (((2, 3, 4), normal),),
           lambda x: x.logsumexp(dim=-1), "dim=-1"),
    OpCase("logsumexp", lambda x: x.logsumexp((0, 2), keepdims=True), (((2, 3, 4), normal),),
           lambda x: x.logsumexp(dim=(0, 2), keepdim=True), "dim=(0,2)"),
    OpCase("logsumexp", lambda x: x.logsumexp(0), (((3,), normal),), lambda x: x.logsumexp(dim=0)),
    OpCase("log_softmax", lambda x: x.log_softmax(), (((2, 3, 4), normal),),
           lambda x: x.log_softmax(dim=-1), "axis=-1"),
    OpCase("log_softmax", lambda x: x.log_softmax(0), (((2, 3), normal),),
           lambda x: x.log_softmax(dim=0), "axis=0"),
    OpCase("softmax", lambda x: x.softmax(1), (((2, 3, 4), normal),), lambda x: x.softmax(dim=1), "axis=1"),
    *pytorch_word_cases("softmax", normal, {"dim": 0}),
    *pytorch_word_cases("log_softmax", normal, {"dim": -2}),
    OpCase("std", lambda x: x.std(axis=(0, 2), keepdims=True), (((2, 3, 4), normal),),
           lambda x: x.std(dim=(0, 2), keepdim=True), "axis=(0,2),keepdims=True"),
    *pytorch_word_cases("std", normal, {}, {"dim": -1, "unbiased": False}),
    OpCase("prod", lambda x: x.prod(), (((2, 3), away_from_zero),), SAME),
    OpCase("prod", lambda x: x.prod(1), (((3, 4), every_third_zero),), SAME, "zeros,dim=1"),
    OpCase("prod", lambda x: x.prod(dim=0, keepdim=True), (((3, 4), every_third_zero),), SAME,
           "zeros,dim=0,keepdim=True"),
    OpCase("prod", lambda x: x.prod(axis=(0, 2)), (((2, 5, 3), every_third_zero),),
           lambda x: x.prod(2).prod(0), "zeros,axis=(0,2)"),
]

# Shapes -----------------------------------------------------------------------------

INDEX = numpy.array([0, 2, 0, 1, 2, 2])


def _cat(tensors, axis):
    return _torch().cat(tensors, dim=axis)


SHAPE = [
    OpCase("reshape", lambda x: x.reshape(6, 4), (((2, 3, 4), normal),), SAME),
    OpCase("reshape", lambda x: x.reshape(-1), (((2, 3, 4), normal),), SAME, "-1"),
    OpCase("permute", lambda x: x.permute(2, 0, 1), (((2, 3, 4), normal),), SAME),
    OpCase("transpose", lambda x: x.transpose(0, 2), (((2, 3, 4), normal),), SAME),
    OpCase("transpose", lambda x: x.T, (((2, 3), normal),), SAME, ".T"),
    OpCase("swapaxes", lambda x: x.swapaxes(0, 2), (((2, 3, 4), normal),), SAME),
    OpCase("permute", lambda x: x.permute(1, -1, 0), (((2, 3, 4), normal),), SAME),
    OpCase("view", lambda x: x.view(4, -1), (((2, 3, 4), normal),), SAME),
    OpCase("flatten", lambda x: x.flatten(), (((2, 3, 4), normal),), SAME),
    OpCase("flatten", lambda x: x.flatten(1, 2), (((2, 3, 4, 2), normal),), SAME, "1..2"),
    OpCase("unsqueeze", lambda x: x.unsqueeze(-2), (((2, 3), normal),), SAME),
    OpCase("squeeze", lambda x: x.squeeze(), (((2, 1, 3, 1), normal),), SAME),
    OpCase("squeeze", lambda x: x.squeeze((0, 1)), (((2, 1, 3), normal),), SAME, "dims"),
    OpCase("expand", lambda x: x.expand(2, -1, 4), (((3, 1), normal),), SAME),
    OpCase("broadcast_to", lambda x: x.broadcast_to((2, 3, 4)), (((3, 1), normal),),
           lambda x: x.broadcast_to((2, 3, 4))),
    OpCase("sum_to", lambda x: x.sum_to((3, 1)), (((2, 3, 4), normal),),
           lambda x: x.sum(dim=(0, 2)).reshape(3, 1)),
    OpCase("getitem", lambda x: x[1:, ::2], (((3, 4), normal),), SAME, "slices"),
    OpCase("getitem", lambda x: x[-1], (((3, 4), normal),), SAME, "int"),
    OpCase("getitem", lambda x: x[INDEX], (((3, 4), normal),), SAME, "repeated rows"),
    OpCase("getitem", lambda x: x[:, INDEX[:4]], (((3, 4), normal),), SAME, "repeated columns"),
    OpCase("getitem", lambda x: x[INDEX[:3], INDEX[3:]], (((3, 4), normal),), SAME, "paired arrays"),
    OpCase("getitem", lambda x: x[Tensor(INDEX, device=x.device)], (((3, 2), normal),),
           lambda x: x[_torch().from_numpy(INDEX)], "tensor index"),
    OpCase("getitem", lambda x: x[MASK], (((2, 3), normal),),
           lambda x: x[_torch().from_numpy(MASK)], "mask"),
    OpCase("getitem", lambda x: x[x > 0.0], (((2, 3), away_from_zero),), SAME, "tensor mask"),
    OpCase("getitem", lambda x: x[None, ..., 1], (((2, 3, 4), normal),), SAME, "None and Ellipsis"),
    OpCase("t", lambda x: x.t(), (((2, 3), normal),), SAME),
    OpCase("clone", lambda x: x.clone(), (((2, 3), normal),), SAME),
    OpCase("concatenate", lambda a, b, c: tg.concatenate([a, b, c], axis=1),
           (((2, 3), normal), ((2, 1), normal), ((2, 2), normal)), lambda a, b, c: _cat([a, b, c], 1)),
    OpCase("concatenate", lambda a, b: tg.concatenate([a, b]), (((1, 3), normal), ((2, 3), normal)),
           lambda a, b: _cat([a, b], 0)),
    OpCase("stack", lambda a, b, c: tg.stack([a, b, c]), (((2, 3), normal),) * 3,
           lambda a, b, c: _torch().stack([a, b, c])),
    OpCase("stack", lambda a, b: tg.stack([a, b], axis=-1), (((2, 3), normal),) * 2,
           lambda a, b: _torch().stack([a, b], dim=-1), "axis=-1"),
    OpCase("cat", lambda a, b, c: tg.cat((a, b, c)), (((1, 2, 2), normal), ((3, 2, 2), normal), ((2, 2, 2), normal)),
           lambda a, b, c: _cat((a, b, c), 0)),
    OpCase("cat", lambda a, b: tg.cat([a, b], dim=-1), (((2, 3), normal), ((2, 1), normal)),
           lambda a, b: _cat([a, b], -1), "dim=-1"),
    OpCase("cat", lambda a, b: tg.cat([a, b], dim=1), (((2, 2, 3), normal), ((2, 4, 3), normal)),
           lambda a, b: _cat([a, b], 1), "dim=1"),
    OpCase("cat", lambda a: tg.cat([a, a], dim=0), (((2, 3), normal),), lambda a: _cat([a, a], 0), "one input twice"),
    OpCase("stack", lambda a, b: tg.stack([a, b], dim=1), (((2, 3), normal),) * 2,
           lambda a, b: _torch().stack([a, b], dim=1), "dim=1"),
    OpCase("pad", lambda x: x.pad(((1, 0), (2, 1)), 0.5), (((2, 3), normal),),
           lambda x: _torch().nn.functional.pad(x, (2, 1, 1, 0), value=0.5)),
]

# Matrix multiplication --------------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((2, 2, 3), (3, 4)),
    ((2, 1, 2, 3), (3, 3, 2)),
    ((3,), (2, 3, 4)),
]

CONVOLUTIONS = [  # (x, weight, arguments, label): rows of fewer than 16 windows put the batch last, others first
    ((2, 3, 4, 5), (4, 3, 3, 3), {"padding": 1}, "padding=1"),
    ((2, 2, 3, 18), (3, 2, 2, 3), {}, "rows of 16"),
    ((1, 4, 5, 36), (6, 2, 3, 3), {"stride": (1, 2), "dilation": (2, 1), "padding": (1, 2), "groups": 2},
     "strided, dilated, grouped, rows of 19"),
]


def _conv2d(**arguments):
    """``conv2d(x, weight, bias, **arguments)``, ours or PyTorch's, beside x."""

    def conv(x, weight, bias=None):
        functional = tg.nn.functional if isinstance(x, Tensor) else _torch().nn.functional
        return functional.conv2d(x, weight, bias, **arguments)

    return conv


LINALG = [
    *(OpCase("matmul", lambda a, b: a @ b, ((a, normal), (b, normal)), SAME) for a, b in MATMUL_SHAPES),
    *(OpCase("linear", lambda x, w: tg.nn.functional.linear(x, w), ((x, normal), ((2, 3), normal)),
             lambda x, w: _torch().nn.functional.linear(x, w)) for x in ((3,), (4, 3), (2, 4, 3))),
    *(OpCase("conv2d", _conv2d(**arguments), ((x, normal), (w, normal)), SAME, label)
      for x, w, arguments, label in CONVOLUTIONS),
    OpCase("conv2d", _conv2d(stride=2, padding=1), (((2, 3, 5, 6), normal), ((4, 3, 3, 2), normal), ((4,), normal)),
           SAME, "bias, stride=2"),
    OpCase("norm", lambda x: x.norm(), (((2, 3, 4), normal),), SAME),
    OpCase("norm", lambda x: x.norm(2, dim=1), (((2, 3, 4), normal),), SAME, "p=2,dim=1"),
    OpCase("norm", lambda x: x.norm(1, dim=(0, 2), keepdim=True), (((2, 3, 4), away_from_zero),), SAME,
           "p=1,dim=(0,2),keepdim=True"),
    OpCase("norm", lambda x: x.norm(float("inf"), dim=-1), (((3, 4), distinct_magnitudes),), SAME, "p=inf,dim=-1"),
    *(OpCase(f"linalg.{name}", fn, inputs, SAME, label) for name, fn, inputs, label in [
        ("inv", lambda a: _linalg(a).inv(a), (((3, 3), well_conditioned),), ""),
        ("inv", lambda a: _linalg(a).inv(a), (((2, 4, 4), well_conditioned),), "batch"),
        ("det", lambda a: _linalg(a).det(a), (((3, 3), well_conditioned),), ""),
        ("det", lambda a: _linalg(a).det(a), (((2, 3, 3), well_conditioned),), "batch"),
        ("solve", lambda a, b: _linalg(a).solve(a, b), (((3, 3), well_conditioned), ((3, 2), normal)), ""),
        ("solve", lambda a, b: _linalg(a).solve(a, b), (((2, 3, 3), well_conditioned), ((2, 3), normal)), "vectors"),
        ("vector_norm", lambda x: _linalg(x).vector_norm(x, 3, dim=-1), (((2, 4), away_from_zero),), "ord=3"),
        ("vector_norm", lambda x: _linalg(x).vector_norm(x, float("-inf")), (((2, 4), distinct_magnitudes),),
         "ord=-inf"),
        ("matrix_norm", lambda x: _linalg(x).matrix_norm(x), (((2, 3, 4), normal),), "fro"),
        ("matrix_norm", lambda x: _linalg(x).matrix_norm(x, 1), (((3, 4), distinct_magnitudes),), "ord=1"),
        ("matrix_norm", lambda x: _linalg(x).matrix_norm(x, float("inf"), dim=(-1, -2)),
         (((2, 3, 4), distinct_magnitudes),), "ord=inf,dim=(-1,-2)"),
        ("norm", lambda x: _linalg(x).norm(x, -1, dim=(0, 1), keepdim=True), (((3, 4), distinct_magnitudes),),
         "ord=-1,keepdim"),
    ]),
]

# Picking by index, pieces, rounding --------------------------------------------------

PLACES = numpy.array([[0, 1, 2], [4, 3, 1], [2, 0, 4]])  # distinct in each row: scatter's writes do not collide
REPEATED_PLACES = numpy.array([[0, 1, 2, 0], [4, 3, 3, 1], [2, 2, 0, 4]])
GATHER = numpy.array([[0, 3, 3], [1, 1, 0], [2, 0, 3]])


def _from_numpy(array, x):
    """``array`` as an index tensor beside ``x``, ours or PyTorch's."""
    return Tensor(array, device=x.device) if isinstance(x, Tensor) else _torch().from_numpy(array)


PICKING = [
    OpCase("gather", lambda x: x.gather(1, _from_numpy(GATHER, x)), (((3, 4), normal),), SAME, "repeated"),
    OpCase("gather", lambda x: x.gather(0, _from_numpy(GATHER[:2] % 3, x)), (((3, 4), normal),), SAME, "dim=0"),
    OpCase("index_select", lambda x: x.index_select(1, _from_numpy(INDEX[:4], x)), (((2, 3), normal),), SAME),
    OpCase("scatter", lambda x, src: x.scatter(1, _from_numpy(PLACES, x), src), (((3, 5), normal), ((3, 3), normal)),
           SAME),
    OpCase("scatter", lambda x: x.scatter(0, _from_numpy(PLACES[:1] % 3, x), 2.0), (((3, 5), normal),), SAME,
           "a number, dim=0"),
    OpCase("scatter_add", lambda x, src: x.scatter_add(1, _from_numpy(REPEATED_PLACES, x), src),
           (((3, 5), normal), ((3, 4), normal)), SAME, "repeated places"),
    OpCase("index_add", lambda x, src: x.index_add(0, _from_numpy(INDEX[:5] % 3, x), src, alpha=2.0),
           (((3, 4), normal), ((5, 4), normal)), SAME, "repeated, alpha"),
    OpCase("index_add", lambda x, src: x.index_add(1, _from_numpy(INDEX[:3], x), src),
           (((2, 3), normal), ((2, 3), normal)), SAME, "dim=1"),
    OpCase("sort", lambda x: x.sort(dim=1, descending=True).values, (((2, 5, 3), distinct),), SAME, "descending"),
    OpCase("sort", lambda x: x.sort().values, (((3, 4), distinct),), SAME),
    OpCase("topk", lambda x: x.topk(2, dim=0).values, (((4, 3), distinct),), SAME),
    OpCase("topk", lambda x: x.topk(3, largest=False).values, (((2, 5), distinct),), SAME, "smallest"),
    OpCase("cumsum", lambda x: x.cumsum(1), (((2, 3, 4), normal),), SAME),
    OpCase("cumsum", lambda x: x.cumsum(dim=-1), (((5,), normal),), SAME, "dim=-1"),
    OpCase("repeat", lambda x: x.repeat(2, 1, 3), (((3, 2), normal),), SAME),
    OpCase("split", lambda x: x.split(2, dim=1)[1] * x.split([1, 3], dim=1)[1][:, :2], (((3, 4), normal),), SAME),
    OpCase("chunk", lambda x: x.chunk(3)[-1] - x.chunk(3)[0][:1], (((5, 2), normal),), SAME),
    OpCase("flip", lambda x: x.flip((0, 2)), (((2, 3, 4), normal),), SAME),
    OpCase("roll", lambda x: x.roll((1, -2), (0, 2)), (((2, 3, 4), normal),), SAME),
    OpCase("roll", lambda x: x.roll(5), (((2, 3), normal),), SAME, "flattened"),
    OpCase("unbind", lambda x: x.unbind(1)[2] * x.unbind(0)[0][:1], (((2, 3), normal),), SAME),
    OpCase("tril", lambda x: x.tril(-1), (((3, 4), normal),), SAME),
    OpCase("triu", lambda x: x.triu(1), (((2, 3, 4), normal),), SAME),
    OpCase("outer", lambda a, b: a.outer(b), (((3,), normal), ((4,), normal)), SAME),
    OpCase("rsqrt", lambda x: x.rsqrt(), (((2, 3), positive),), SAME),
    OpCase("reciprocal", lambda x: x.reciprocal(), (((2, 3), positive),), SAME),
    OpCase("sign", lambda x: x.sign() * x, (((2, 3), away_from_zero),), SAME),
    OpCase("floor", lambda x: x.floor() + x, (((2, 3), odd_lattice),), SAME),
    OpCase("ceil", lambda x: x.ceil() * x, (((2, 3), odd_lattice),), SAME),
    OpCase("round", lambda x: x.round() - x, (((2, 3), odd_lattice),), SAME),
    OpCase("trunc", lambda x: x.trunc() * x, (((2, 3), odd_lattice),), SAME),
    OpCase("floor_divide", lambda x: (x // 2.0) * x, (((2, 3), odd_lattice),), lambda x: (x / 2.0).floor() * x),
    OpCase("remainder", lambda x: x % 2.0, (((2, 3), odd_lattice),), SAME),
    OpCase("remainder", lambda x: 2.0 % x, (((2, 3), positive),), None, "reflected"),  # PyTorch: no derivative
    OpCase("bmm", lambda a, b: a.bmm(b), (((2, 2, 3), normal), ((2, 3, 4), normal)), SAME),
    OpCase("dot", lambda a, b: a.dot(b), (((3,), normal), ((3,), normal)), SAME),
    OpCase("einsum", lambda a, b: _einsum(a)("ij,jk->ik", a, b), (((2, 3), normal), ((3, 4), normal)), SAME),
    OpCase("einsum", lambda a, b: _einsum(a)("bij,bkj->bik", a, b), (((2, 3, 4), normal), ((2, 2, 4), normal)), SAME,
           "batched"),
    OpCase("einsum", lambda a, b, c: _einsum(a)("ij,jk,kl", a, b, c), (((2, 3), normal), ((3, 4), normal),
           ((4, 2), normal)), SAME, "three, implicit output"),
    OpCase("einsum", lambda a, b: _einsum(a)("ij,k->kj", a, b), (((2, 3), normal), ((4,), normal)), SAME,
           "summed away"),
    OpCase("einsum", lambda a: _einsum(a)("ijk->ki", a), (((2, 3, 4), normal),), SAME, "one operand"),
]


def _einsum(x):
    """Our einsum, or PyTorch's, beside ``x``."""
    return tg.einsum if isinstance(x, Tensor) else _torch().einsum

ALL = ELEMENTWISE + REDUCE + SHAPE + LINALG + PICKING


def pytest_generate_tests(metafunc):
    if "op_case" in metafunc.fixturenames:
        metafunc.parametrize("op_case", ALL, ids=[case.id for case in ALL])
