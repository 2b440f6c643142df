"""The ops under test: one :class:`OpCase` per op and shape, shared by the gradient,
PyTorch-parity and device tests of this folder (a test asking for ``op_case`` runs
once per case).

Inputs are drawn away from kinks by construction: ``abs`` and ``relu`` never see 0,
``max``/``min`` never see ties, ``maximum``/``minimum`` never see equal pairs,
``clamp`` never sees a bound, and ``log``, ``sqrt`` and ``pow`` bases stay positive.
``prod`` has no kinks, so it sees zeros: one and two in a row. The math functions
see their domains only (asin in (−1, 1), acosh above 1, lgamma away from its poles,
logit inside (0, 1) and off its eps bounds, fmod and frac off the jumps).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy
import pytest

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


def between(low, high):
    """A sampler of values uniform in [low, high]."""

    def sample(rng, shape):
        return rng.uniform(low, high, shape)

    return sample


def either_sign_between(low, high):
    """A sampler of values whose magnitudes are uniform in [low, high], of either sign."""

    def sample(rng, shape):
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(low, high, shape)

    return sample


def off_the_integers(rng, shape):
    """Values in [−3, 4) at least 0.2 from every integer: away from the poles of lgamma and its kin."""
    return rng.integers(-3, 4, shape) + rng.uniform(0.2, 0.8, shape)


def around_the_eps_bounds(rng, shape):
    """Near 0.1, 0.5 or 0.9: below, inside and above logit's [0.25, 0.75], never at a bound."""
    return rng.choice([0.1, 0.5, 0.9], shape) + rng.uniform(-0.05, 0.05, shape)


SAME = object()  # OpCase.torch_fn: the case's own fn works on torch tensors too


@dataclass(frozen=True)
class OpCase:
    """``fn`` applied to Tensors made from ``inputs`` (shape, sampler) pairs.

    ``torch_fn`` is the same computation on torch tensors: ``fn`` itself when
    ``torch_fn is SAME``, None when PyTorch has no counterpart. ``torch_float64_rtol``
    is PyTorch's own relative error in float64 where it exceeds the parity test's 1e-12
    (measured against mpmath, tests/ops/test_special.py)."""

    name: str
    fn: Callable
    inputs: tuple
    torch_fn: Callable | None = None
    label: str = ""
    torch_float64_rtol: float = 0.0

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
        ("matrix_norm", lambda x: _linalg(x).matrix_norm(x, 2), (((2, 3, 4), normal),), "ord=2"),
        ("matrix_norm", lambda x: _linalg(x).matrix_norm(x, -2, dim=(0, 2), keepdim=True), (((4, 2, 3), normal),),
         "ord=-2,dim=(0,2),keepdim"),
        ("matrix_norm", lambda x: _linalg(x).matrix_norm(x, "nuc"), (((3, 5), normal),), "nuc"),
        ("norm", lambda x: _linalg(x).norm(x, "nuc", dim=(1, 0)), (((4, 3), normal),), "nuc,dim=(1,0)"),
        ("cholesky_ex", lambda a: _linalg(a).cholesky_ex(a @ a.mT).L, (((3, 3), well_conditioned),), "A@A.mT"),
        ("cholesky_ex", lambda a: _linalg(a).cholesky_ex(a @ a.mT, upper=True).L, (((2, 3, 3), well_conditioned),),
         "A@A.mT,upper,batch"),
        ("inv_ex", lambda a: _linalg(a).inv_ex(a).inverse, (((2, 3, 3), well_conditioned),), "batch"),
        ("solve_ex", lambda a, b: _linalg(a).solve_ex(a, b).result, (((3, 3), well_conditioned), ((3, 2), normal)),
         ""),
        ("solve_ex", lambda a, b: _linalg(a).solve_ex(a, b, left=False).result,
         (((2, 3, 3), well_conditioned), ((2, 2, 3), normal)), "left=False"),
        ("lu_factor_ex", lambda a: _linalg(a).lu_factor_ex(a).LU, (((3, 3), normal),), ""),
        ("lu_factor_ex", lambda a: _linalg(a).lu_factor_ex(a).LU, (((2, 3, 5), normal),), "wide,batch"),
        ("lu_factor", lambda a: _linalg(a).lu_factor(a).LU, (((4, 2), normal),), "tall"),
        ("lu_factor", lambda a: _linalg(a).lu_factor(a).LU, (((2, 4, 4), well_conditioned),), "batch"),
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
    OpCase("einsum", lambda a, b: _einsum(a)("...qd,...kd->...qk", a, b), (((2, 3, 4, 5), normal),
           ((1, 3, 2, 5), normal)), SAME, "ellipsis broadcast"),
    OpCase("einsum", lambda a, b: _einsum(a)("i...,...i", a, b), (((3, 2, 4), normal), ((4, 3), normal)), SAME,
           "ellipsis, implicit output"),
    OpCase("einsum", lambda a: _einsum(a)("bii->bi", a), (((2, 3, 3), normal),), SAME, "diagonal"),
    OpCase("einsum", lambda a, b: _einsum(a)("ij,jj", a, b), (((2, 3), normal), ((3, 3), normal)), SAME,
           "trace in a product"),
]


def _einsum(x):
    """Our einsum, or PyTorch's, beside ``x``."""
    return tg.einsum if isinstance(x, Tensor) else _torch().einsum

# Math functions ---------------------------------------------------------------------


def _unary(name, sampler, label="", shape=(2, 3), **words):
    """The method ``name`` of one input, the same call on torch tensors."""
    return OpCase(name, lambda x: getattr(x, name)(**words), ((shape, sampler),), SAME, label)


MATH = [
    _unary("tan", between(-1.2, 1.2)),
    _unary("asin", between(-0.9, 0.9)),
    _unary("acos", between(-0.9, 0.9)),
    _unary("atan", normal),
    _unary("arcsin", between(-0.9, 0.9), "alias"),
    _unary("sinh", normal),
    _unary("cosh", normal),
    _unary("asinh", normal),
    _unary("acosh", between(1.2, 3.0)),
    _unary("atanh", between(-0.9, 0.9)),
    _unary("expm1", normal),
    _unary("log2", positive),
    _unary("log10", positive),
    _unary("sinc", away_from_zero),
    _unary("erfinv", between(-0.95, 0.95)),
    _unary("erfinv", either_sign_between(0.99, 0.999), "tails"),
    _unary("lgamma", off_the_integers),
    _unary("lgamma", between(12.0, 30.0), "Stirling"),
    # the gradient of digamma, and polygamma(1, ·), meet PyTorch's trigamma, good to 5e-10 only
    OpCase("digamma", lambda x: x.digamma(), (((2, 3), off_the_integers),), SAME, torch_float64_rtol=1e-9),
    _unary("digamma", between(12.0, 30.0), "asymptotic"),
    OpCase("polygamma", lambda x: x.polygamma(1), (((2, 3), off_the_integers),), SAME, "n=1", torch_float64_rtol=1e-9),
    OpCase("polygamma", lambda x: _special(x).polygamma(2, x), (((2, 3), off_the_integers),), SAME, "n=2"),
    _unary("logit", between(0.1, 0.9)),
    _unary("logit", around_the_eps_bounds, "eps", eps=0.25),
    _unary("frac", odd_lattice),
    _unary("nan_to_num", normal),
    _unary("negative", normal),
    _unary("absolute", away_from_zero),
    _unary("clamp_min", odd_lattice, min=0.0),
    _unary("clamp_max", odd_lattice, max=0.0),
    OpCase("fmod", lambda x: x.fmod(2.0), (((2, 3), either_sign_between(2.3, 2.7)),), SAME, "number"),
    OpCase("fmod", lambda a, b: a.fmod(b), (((2, 3), either_sign_between(2.3, 2.7)), ((3,), between(0.95, 1.05))),
           SAME, "tensor"),
    *binary_cases("atan2", lambda a, b: a.atan2(b), normal, normal),
    *binary_cases("hypot", lambda a, b: a.hypot(b), normal, normal),
    *binary_cases("logaddexp", lambda a, b: a.logaddexp(b), normal, normal),
    *binary_cases("logaddexp2", lambda a, b: a.logaddexp2(b), normal, normal),
    _unary("rad2deg", normal),
    _unary("deg2rad", normal),
    _unary("erfc", normal, "method"),
    _unary("fix", odd_lattice, "alias"),
    *binary_cases("xlogy", lambda a, b: a.xlogy(b), normal, positive),
    *binary_cases("copysign", lambda a, b: a.copysign(b), away_from_zero, away_from_zero),
    OpCase("xlogy", lambda x: x.xlogy(2.0), (((2, 3), normal),), SAME, "number"),
    OpCase("lerp", lambda a, b: a.lerp(b, 0.3), (((2, 3), normal), ((3,), normal)), SAME, "weight 0.3"),
    OpCase("lerp", lambda a, b: a.lerp(b, 0.8), (((2, 3), normal), ((2, 3), normal)), SAME, "weight 0.8"),
    OpCase("lerp", lambda a, b, w: a.lerp(b, w), (((2, 3), normal), ((2, 3), normal), ((2, 3), normal)), SAME,
           "tensor weight"),
    OpCase("addcmul", lambda x, a, b: x.addcmul(a, b, value=0.5), (((2, 3), normal), ((2, 3), normal),
           ((3,), normal)), SAME),
    OpCase("addcdiv", lambda x, a, b: x.addcdiv(a, b, value=-2.0), (((2, 3), normal), ((2, 3), normal),
           ((2, 1), away_from_zero)), SAME),
]


def _special(x):
    """``tinygrad_bn`` or ``torch.special``, whichever ``x`` belongs to (both have polygamma(n, x))."""
    return tg if isinstance(x, Tensor) else _torch().special


def _sp(x):
    """``tinygrad_bn.special`` or ``torch.special``, whichever ``x`` belongs to."""
    return tg.special if isinstance(x, Tensor) else _torch().special


def _special_unary(name, sampler, label="", *args, **words):
    """``special.<name>(x, *args, **words)`` in either library."""
    return OpCase(f"special.{name}", lambda x: getattr(_sp(x), name)(x, *args, **words), (((2, 3), sampler),), SAME,
                  label)


def _bessel(name, sampler, label):
    """``special.<name>(x)``; PyTorch's CPU has no float16 backward of i1 and i1e, so there
    it computes in float32 and rounds."""

    def theirs(x):
        if x.dtype == _torch().float16:
            return getattr(_torch().special, name)(x.float()).half()
        return getattr(_torch().special, name)(x)

    return OpCase(f"special.{name}", lambda x: getattr(tg.special, name)(x), (((2, 3), sampler),), theirs, label)


SPECIAL = [
    _special_unary("expit", normal),
    _special_unary("erfc", normal),
    _special_unary("erfc", either_sign_between(1.5, 6.0), "tails"),
    _special_unary("ndtr", normal),
    _special_unary("ndtr", between(-12.0, -2.0), "left tail"),
    _special_unary("log_ndtr", normal),
    # not as far as −33, where PyTorch's float32 gradient errs by 3e-5 (tests/test_special.py goes there)
    _special_unary("log_ndtr", either_sign_between(3.0, 12.0), "tails"),
    _special_unary("ndtri", between(0.02, 0.98)),
    _special_unary("ndtri", between(1e-3, 1e-2), "left tail"),
    _special_unary("entr", positive),
    _special_unary("gammaln", off_the_integers),
    # psi's gradient meets PyTorch's trigamma, good to 5e-10 only (as digamma's above)
    OpCase("special.psi", lambda x: _sp(x).psi(x), (((2, 3), between(0.5, 5.0)),), SAME, torch_float64_rtol=1e-9),
    _special_unary("multigammaln", between(2.0, 5.0), "p=3", 3),
    _special_unary("logsumexp", normal, "dim=1", 1),
    _special_unary("softmax", normal, "dim=0", 0),
    _special_unary("log_softmax", normal, "dim=1", 1),
    _special_unary("exp2", normal),
    *(_bessel(name, either_sign_between(0.3, 4.0), "") for name in ("i0", "i1", "i0e", "i1e")),
    # i0 and i1 overflow float16 there (tests/test_special.py checks their asymptotic gradients)
    *(_bessel(name, either_sign_between(31.0, 40.0), "asymptotic") for name in ("i0e", "i1e")),
    *binary_cases("special.xlog1py", lambda a, b: _sp(a).xlog1py(a, b), normal, positive),
    OpCase("special.xlog1py", lambda x: _sp(x).xlog1py(x, 2.0), (((2, 3), normal),), SAME, "number"),
]


# Shape, indexing and reduction utilities ----------------------------------------------
# Order statistics, running extremes and scatter's amax/amin see distinct values (no ties),
# cumprod and scatter's prod see zeros, the NaN-skipping reductions see NaNs they skip.


def _fw(x):
    """``tinygrad_bn`` or ``torch``, whichever ``x`` belongs to: for the functions that are no Tensor methods."""
    return tg if isinstance(x, Tensor) else _torch()


def _q(x, values):
    """Quantile levels as a tensor of x's dtype beside ``x``."""
    return _fw(x).tensor(values, dtype=x.dtype, device=x.device)


def _nan_where(x, mask):
    """``x`` with NaN at the true places of the host ``mask`` (they get no gradient)."""
    return x.masked_fill(_from_numpy(mask, x), float("nan"))


REPEATS = numpy.array([2, 0, 1])
TAKEN = numpy.array([[0, 5], [-1, 3]])
ALONG = numpy.array([[3, 0]])
FILLED = numpy.array([2, 0])
NAN_MASK = numpy.array([[True, False, False, True], [False, False, False, False], [False, True, False, False]])


def _scatter_reduce(reduce, include_self, sampler):
    return OpCase("scatter_reduce",
                  lambda x, src: x.scatter_reduce(1, _from_numpy(REPEATED_PLACES, x), src, reduce,
                                                  include_self=include_self),
                  (((3, 5), sampler), ((3, 4), sampler)), SAME, f"{reduce},include_self={include_self}")


REDUCED_SLICES = numpy.array([3, 0, 3, 1])  # along dim 1 of a (3, 5) tensor: column 3 twice, columns 2 and 4 never


def _index_reduce(reduce, include_self, sampler):
    return OpCase("index_reduce",
                  lambda x, src: x.index_reduce(1, _from_numpy(REDUCED_SLICES, x), src, reduce,
                                                include_self=include_self),
                  (((3, 5), sampler), ((3, 4), sampler)), SAME, f"{reduce},include_self={include_self}")


UTILITIES = [
    OpCase("repeat_interleave", lambda x: x.repeat_interleave(2, dim=1), (((2, 3), normal),), SAME),
    OpCase("repeat_interleave", lambda x: x.repeat_interleave(_from_numpy(REPEATS, x), dim=0), (((3, 2), normal),),
           SAME, "tensor repeats"),
    OpCase("repeat_interleave", lambda x: x.repeat_interleave(3), (((2, 2), normal),), SAME, "flattened"),
    OpCase("tile", lambda x: x.tile((2, 1, 2)), (((2, 3), normal),), SAME),
    OpCase("narrow", lambda x: x.narrow(1, -3, 2), (((2, 4), normal),), SAME),
    OpCase("movedim", lambda x: x.movedim((0, 1), (2, 0)), (((2, 3, 4), normal),), SAME),
    OpCase("moveaxis", lambda x: x.moveaxis(-1, 0), (((2, 3, 2), normal),), SAME),
    OpCase("swapdims", lambda x: x.swapdims(0, -1), (((2, 3, 2), normal),), SAME),
    OpCase("tensor_split", lambda x: x.tensor_split(3, dim=1)[0] * x.tensor_split([1, 3], dim=1)[2],
           (((2, 5), normal),), SAME),
    OpCase("unflatten", lambda x: x.unflatten(1, (2, -1)), (((3, 4), normal),), SAME),
    OpCase("ravel", lambda x: x.t().ravel(), (((2, 3), normal),), SAME),
    OpCase("rot90", lambda x: x.rot90(1, (0, 2)), (((2, 3, 2), normal),), SAME),
    OpCase("rot90", lambda x: x.rot90(-1), (((2, 3), normal),), SAME, "k=-1"),
    OpCase("rot90", lambda x: x.rot90(2, (1, 0)), (((2, 3), normal),), SAME, "k=2"),
    OpCase("fliplr", lambda x: x.fliplr() * x.flipud(), (((2, 3), normal),), SAME),
    OpCase("diag", lambda x: x.diag(1), (((3,), normal),), SAME, "vector"),
    OpCase("diag", lambda x: x.diag(-1), (((3, 4), normal),), SAME, "matrix"),
    OpCase("diagonal", lambda x: x.diagonal(1, 0, 2), (((3, 2, 4), normal),), SAME),
    OpCase("diagonal", lambda x: x.diagonal(-1, -1, -2), (((3, 2, 4), normal),), SAME, "offset=-1,dims=(-1,-2)"),
    OpCase("diag_embed", lambda x: x.diag_embed(1, 0, 2), (((2, 3), normal),), SAME),
    OpCase("diag_embed", lambda x: x.diag_embed(), (((2, 2), normal),), SAME, "defaults"),
    OpCase("diagflat", lambda x: x.diagflat(-1), (((2, 2), normal),), SAME),
    OpCase("trace", lambda x: x.trace(), (((3, 4), normal),), SAME),
    OpCase("broadcast_tensors", lambda a, b: (lambda p, q: p * q.exp())(*_fw(a).broadcast_tensors(a, b)),
           (((3, 1), normal), ((2, 1, 4), normal)), SAME),
    OpCase("atleast_3d", lambda a, b: _fw(a).atleast_3d(a) * _fw(b).atleast_2d(b), (((3,), normal), ((), normal)),
           SAME),
    OpCase("hstack", lambda a, b: _fw(a).hstack([a, b]), (((2,), normal), ((3,), normal)), SAME),
    OpCase("hstack", lambda a, b: _fw(a).hstack((a, b)), (((2, 1), normal), ((2, 3), normal)), SAME, "matrices"),
    OpCase("vstack", lambda a, b: _fw(a).vstack([a, b]), (((3,), normal), ((2, 3), normal)), SAME),
    OpCase("column_stack", lambda a, b: _fw(a).column_stack([a, b]), (((2,), normal), ((2, 2), normal)), SAME),
    OpCase("dstack", lambda a, b: _fw(a).dstack([a, b]), (((2, 3), normal), ((2, 3), normal)), SAME),
    OpCase("meshgrid", lambda a, b: (lambda p, q: p * q)(*_fw(a).meshgrid(a, b, indexing="xy")),
           (((3,), normal), ((2,), normal)), SAME),
    OpCase("cartesian_prod", lambda a, b: _fw(a).cartesian_prod(a, b), (((3,), normal), ((2,), normal)), SAME),
    OpCase("block_diag", lambda a, b, c: _fw(a).block_diag(a, b, c), (((2, 2), normal), ((3,), normal), ((), normal)),
           SAME),
    OpCase("kron", lambda a, b: a.kron(b), (((2, 3), normal), ((2, 2), normal)), SAME),
    OpCase("kron", lambda a, b: a.kron(b), (((2,), normal), ((2, 3), normal)), SAME, "fewer dims"),
    OpCase("take", lambda x: x.take(_from_numpy(TAKEN, x)), (((2, 3), normal),), SAME),
    OpCase("take_along_dim", lambda x: x.take_along_dim(_from_numpy(ALONG, x), dim=1), (((3, 4), normal),), SAME,
           "broadcast"),
    OpCase("take_along_dim", lambda x: x.take_along_dim(_from_numpy(TAKEN % 6, x)), (((2, 3), normal),), SAME,
           "flattened"),
    OpCase("masked_select", lambda x: x.masked_select(_from_numpy(MASK, x)), (((2, 3), normal),), SAME),
    OpCase("masked_select", lambda x: x.masked_select(_from_numpy(MASK[0], x)), (((2, 3), normal),), SAME,
           "broadcast mask"),
    OpCase("masked_scatter", lambda x, src: x.masked_scatter(_from_numpy(MASK, x), src),
           (((2, 3), normal), ((5,), normal)), SAME),
    OpCase("masked_scatter", lambda x, src: x.masked_scatter(_from_numpy(MASK[0], x), src),
           (((2, 3), normal), ((2, 3), normal)), SAME, "broadcast mask"),
    OpCase("masked_scatter", lambda x, src: x.masked_scatter(_from_numpy(MASK, x), src),
           (((3,), normal), ((2, 2), normal)), SAME, "broadcast input"),
    OpCase("index_fill", lambda x: x.index_fill(1, _from_numpy(FILLED, x), -1.0), (((2, 3), normal),), SAME),
    OpCase("index_fill", lambda x, v: x.index_fill(0, _from_numpy(FILLED[:1], x), v), (((3, 2), normal),
           ((), normal)), SAME, "tensor value"),
    OpCase("index_copy", lambda x, src: x.index_copy(0, _from_numpy(FILLED, x), src),
           (((3, 2), normal), ((2, 2), normal)), SAME),
    OpCase("select", lambda x: x.select(1, -1), (((2, 3, 2), normal),), SAME),
    OpCase("slice_scatter", lambda x, src: x.slice_scatter(src, dim=1, start=0, end=None, step=2),
           (((2, 4), normal), ((2, 2), normal)), SAME),
    OpCase("cov", lambda x: x.cov(), (((3, 5), normal),), SAME),
    OpCase("cov", lambda x: x.cov(correction=0), (((6,), normal),), SAME, "1-d,correction=0"),
    OpCase("corrcoef", lambda x: x.corrcoef(), (((3, 6), normal),), SAME),
    OpCase("unfold", lambda x: x.unfold(1, 3, 2), (((2, 7), normal),), SAME),
    OpCase("unfold", lambda x: x.unfold(-1, 2, 1).unfold(0, 2, 2), (((4, 3), normal),), SAME, "twice"),
    OpCase("index_put", lambda x, v: x.index_put((_from_numpy(numpy.array([0, 2, 0]), x),), v, accumulate=True),
           (((3, 2), normal), ((3, 2), normal)), SAME, "accumulate"),
    OpCase("index_put", lambda x, v: x.index_put((_from_numpy(numpy.array([1, 0]), x),
                                                   _from_numpy(numpy.array([0, 1]), x)), v), (((2, 3), normal),
           ((2,), normal)), SAME, "two indices"),
    OpCase("diagonal", lambda x: x.diagonal(-1, 2, 0), (((3, 2, 4), normal),), SAME, "offset=-1,dims=(2,0)"),
    OpCase("select_scatter", lambda x, src: x.select_scatter(src, 1, -2), (((2, 4, 3), normal), ((2, 3), normal)),
           SAME),
    OpCase("diagonal_scatter", lambda x, src: x.diagonal_scatter(src, 1), (((3, 4), normal), ((3,), normal)), SAME),
    OpCase("diagonal_scatter", lambda x, src: x.diagonal_scatter(src, -1, 2, 0), (((3, 2, 4), normal),
           ((2, 3), normal)), SAME, "offset=-1,dims=(2,0)"),
    *(_scatter_reduce(reduce, include_self, sampler) for reduce, sampler in
      (("sum", normal), ("mean", normal), ("prod", every_third_zero), ("amax", distinct), ("amin", distinct))
      for include_self in (True, False)),
    *(_index_reduce(reduce, include_self, sampler) for reduce, sampler in
      (("mean", normal), ("prod", every_third_zero), ("amax", distinct), ("amin", distinct))
      for include_self in (True, False)),
    OpCase("cumprod", lambda x: x.cumprod(1), (((2, 5), away_from_zero),), SAME),
    OpCase("cumprod", lambda x: x.cumprod(dim=-1), (((7,), every_third_zero),), SAME, "zeros"),
    OpCase("cumprod", lambda x: x.cumprod(0), (((4, 2), every_third_zero),), SAME, "zeros,dim=0"),
    OpCase("cummax", lambda x: x.cummax(1).values, (((3, 4), distinct),), SAME),
    OpCase("cummin", lambda x: x.cummin(dim=0).values, (((4, 3), distinct),), SAME),
    OpCase("logcumsumexp", lambda x: x.logcumsumexp(-1), (((2, 5), normal),), SAME),
    OpCase("logcumsumexp", lambda x: x.logcumsumexp(0), (((3, 2), normal),), SAME, "dim=0"),
    OpCase("diff", lambda x: x.diff(), (((2, 4), normal),), SAME),
    OpCase("diff", lambda x, p, a: x.diff(n=2, dim=0, prepend=p, append=a),
           (((3, 2), normal), ((1, 2), normal), ((2, 2), normal)), SAME, "n=2,prepend,append"),
    OpCase("trapezoid", lambda y, x: _fw(y).trapezoid(y, x), (((2, 4), normal), ((4,), normal)), SAME),
    OpCase("trapezoid", lambda y: _fw(y).trapezoid(y, dx=0.5, dim=0), (((3, 2), normal),), SAME, "dx"),
    OpCase("cumulative_trapezoid", lambda y, x: _fw(y).cumulative_trapezoid(y, x), (((2, 4), normal), ((4,), normal)),
           SAME),
    OpCase("cumulative_trapezoid", lambda y: _fw(y).cumulative_trapezoid(y, dx=0.5, dim=0), (((3, 2), normal),), SAME,
           "dx"),
    OpCase("median", lambda x: x.median(), (((3, 4), distinct),), SAME),
    OpCase("median", lambda x: x.median(dim=1).values, (((3, 4), distinct),), SAME, "dim=1"),
    OpCase("median", lambda x: x.median(0, keepdim=True).values, (((3, 4), distinct),), SAME, "dim=0,keepdim"),
    OpCase("nanmedian", lambda x: _nan_where(x, NAN_MASK).nanmedian(1).values, (((3, 4), distinct),), SAME),
    OpCase("nanmedian", lambda x: _nan_where(x, NAN_MASK).nanmedian(), (((3, 4), distinct),), SAME, "all"),
    OpCase("kthvalue", lambda x: x.kthvalue(2, dim=0).values, (((3, 4), distinct),), SAME),
    OpCase("kthvalue", lambda x: x.kthvalue(3, keepdim=True).values, (((2, 4), distinct),), SAME, "keepdim"),
    # the first two columns twice over: the mode is the smaller of them, at its copy
    OpCase("mode", lambda x: _fw(x).cat([x, x[:, :2]], 1).mode(1).values, (((2, 5), distinct),), SAME),
    OpCase("quantile", lambda x: x.quantile(0.3, dim=1), (((3, 4), distinct),), SAME),
    OpCase("quantile", lambda x: x.quantile(_q(x, [0.25, 0.9]), dim=0, keepdim=True), (((3, 4), distinct),), SAME,
           "q tensor,keepdim"),
    OpCase("quantile", lambda x: x.quantile(0.4), (((3, 4), distinct),), SAME, "all"),
    *(OpCase("quantile", lambda x, how=how: x.quantile(_q(x, [0.1, 0.45]), dim=-1, interpolation=how),
             (((2, 5), distinct),), SAME, how) for how in ("lower", "higher", "midpoint", "nearest")),
    OpCase("nanquantile", lambda x: _nan_where(x, NAN_MASK).nanquantile(0.6, dim=1), (((3, 4), distinct),), SAME),
    OpCase("nansum", lambda x: _nan_where(x, NAN_MASK).nansum(1), (((3, 4), normal),), SAME),
    OpCase("nanmean", lambda x: _nan_where(x, NAN_MASK).nanmean(dim=0, keepdim=True), (((3, 4), normal),), SAME),
    OpCase("var_mean", lambda x: (lambda v, m: v * m)(*_fw(x).var_mean(x, 1, correction=0)), (((3, 4), normal),),
           SAME),
    OpCase("std_mean", lambda x: (lambda s, m: s + m)(*_fw(x).std_mean(x, dim=(0, 1), keepdim=True)),
           (((3, 4), normal),), SAME),
    OpCase("inner", lambda a, b: a.inner(b), (((2, 3), normal), ((4, 3), normal)), SAME),
    OpCase("tensordot", lambda a, b: _fw(a).tensordot(a, b), (((2, 3, 2), normal), ((3, 2, 2), normal)), SAME),
    OpCase("tensordot", lambda a, b: _fw(a).tensordot(a, b, dims=([1, 0], [0, 2])),
           (((2, 3, 2), normal), ((3, 2, 2), normal)), SAME, "dims lists"),
    OpCase("addmm", lambda c, a, b: c.addmm(a, b, beta=0.5, alpha=2.0), (((4,), normal), ((2, 3), normal),
           ((3, 4), normal)), SAME),
    OpCase("addmv", lambda c, a, v: c.addmv(a, v, alpha=-1.5), (((2,), normal), ((2, 3), normal), ((3,), normal)),
           SAME),
    OpCase("baddbmm", lambda c, a, b: c.baddbmm(a, b, beta=2.0), (((1, 2, 2), normal), ((2, 2, 3), normal),
           ((2, 3, 2), normal)), SAME),
    OpCase("addbmm", lambda c, a, b: c.addbmm(a, b), (((2, 2), normal), ((2, 2, 3), normal), ((2, 3, 2), normal)),
           SAME),
    OpCase("mv", lambda a, v: a.mv(v), (((2, 3), normal), ((3,), normal)), SAME),
    OpCase("cross", lambda a, b: a.cross(b, dim=1), (((2, 3), normal), ((1, 3), normal)), SAME),
    OpCase("dist", lambda a, b: a.dist(b), (((2, 3), normal), ((3,), normal)), SAME),
    OpCase("dist", lambda a, b: a.dist(b, 3), (((2, 3), normal), ((2, 3), normal)), SAME, "p=3"),
    OpCase("dist", lambda a: a.dist(a * 0.25, float("inf")), (((2, 3), distinct_magnitudes),), SAME, "p=inf"),
]


# Extremes, powers and index sets (ops/extrema.py, ops/powers.py, ops/index_sets.py) ------------
# fmax and fmin see no ties (where all of the gradient goes to input, tested apart) and NaNs in
# either operand, never in both at once; float_power's float64 result is cast back to the
# input's dtype, so the parity test compares it in every dtype.

OTHER_NAN_MASK = numpy.array([[False, True, False], [True, False, False]])  # never where MASK is


def _float_power_back(x, exponent):
    return x.float_power(exponent).to(x.dtype)


EXTREMES_AND_POWERS = [
    *binary_cases("fmax", lambda a, b: a.fmax(b), odd_lattice, even_lattice),
    *binary_cases("fmin", lambda a, b: _fw(a).fmin(a, b), odd_lattice, even_lattice),
    OpCase("fmax", lambda a, b: _nan_where(a, MASK).fmax(_nan_where(b, OTHER_NAN_MASK)),
           (((2, 3), odd_lattice), ((2, 3), even_lattice)), SAME, "NaNs"),
    OpCase("fmin", lambda a, b: _nan_where(a, MASK).fmin(_nan_where(b, OTHER_NAN_MASK)),
           (((2, 3), odd_lattice), ((2, 3), even_lattice)), SAME, "NaNs"),
    OpCase("aminmax", lambda x: (lambda r: 2.0 * r.min + r.max)(x.aminmax()), (((3, 4), distinct),), SAME),
    OpCase("aminmax", lambda x: (lambda lo, hi: lo * hi)(*_fw(x).aminmax(x, dim=1, keepdim=True)),
           (((3, 4), distinct),), SAME, "dim=1,keepdim"),
    OpCase("aminmax", lambda x: (lambda lo, hi: lo - hi)(*x.aminmax(dim=-1)), (((2, 3, 4), distinct),), SAME,
           "dim=-1"),
    _unary("exp2", normal),
    OpCase("exp2", lambda x: _fw(x).exp2(x), (((), normal),), SAME, "function"),
    OpCase("float_power", lambda x: _float_power_back(x, 2.5), (((2, 3), positive),), SAME),
    OpCase("float_power", lambda a, b: _float_power_back(a, b), (((2, 3), positive), ((3,), normal)), SAME,
           "tensor exponent"),
    OpCase("float_power", lambda x: _fw(x).float_power(1.5, x).to(x.dtype), (((2, 3), normal),), SAME,
           "number base"),
    OpCase("combinations", lambda x: _fw(x).combinations(x), (((4,), normal),), SAME),
    OpCase("combinations", lambda x: _fw(x).combinations(x, 3, with_replacement=True), (((3,), normal),), SAME,
           "r=3,with_replacement"),
    OpCase("combinations", lambda x: _fw(x).combinations(x, r=1), (((3,), normal),), SAME, "r=1"),
]


BUILTIN_ERRORS = (IndexError, KeyError, NotImplementedError, ZeroDivisionError, TypeError, ValueError, RuntimeError)


def _agree(ours, theirs, rtol=1e-6):
    """Our result is PyTorch's: tensors (or tuples of them, named ones too) of the same
    dtypes, shapes and values, NaN where PyTorch's is NaN."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        fields = getattr(type(theirs), "__match_args__", None)  # of torch.return_types: ("values", "indices")
        assert fields is None or getattr(ours, "_fields", None) == fields
        for a, b in zip(ours, theirs):
            _agree(a, b, rtol)
        return
    assert ours.dtype == str(theirs.dtype).removeprefix("torch.") and ours.shape == tuple(theirs.shape)
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=rtol)


def _raises_like_torch(ours, theirs, words):
    """``ours()`` raises an instance of the builtin class ``theirs()`` raises, with a message matching ``words``."""
    with pytest.raises(Exception) as expected:  # noqa: B017 - which class PyTorch raises is what is found out
        theirs()
    kind = next(k for k in BUILTIN_ERRORS if isinstance(expected.value, k))
    with pytest.raises(kind, match=words):
        ours()


@pytest.fixture
def agree():
    """``agree(ours, theirs)``: our result has PyTorch's dtypes, shapes and values."""
    return _agree


@pytest.fixture
def raises_like_torch():
    """``raises_like_torch(ours, theirs, words)``: our error is of PyTorch's builtin class and says ``words``."""
    return _raises_like_torch


ALL = ELEMENTWISE + REDUCE + SHAPE + LINALG + PICKING + MATH + UTILITIES + EXTREMES_AND_POWERS + SPECIAL


@pytest.fixture
def matches_torch(torch):
    """``check(fn, *arrays, gradients=True)``: ``fn`` of tensors made from the arrays gives
    PyTorch's values (NaN where NaN, the same infinities) and dtype, and, for float
    arrays, the same gradients of the sum (NaN where NaN)."""

    def check(fn, *arrays, gradients=True, rtol=1e-12):
        arrays = [numpy.asarray(a) for a in arrays]
        differentiable = [gradients and a.dtype.kind == "f" for a in arrays]
        ours = [Tensor(a, requires_grad=d) for a, d in zip(arrays, differentiable, strict=True)]
        theirs = [torch.tensor(a, requires_grad=d) for a, d in zip(arrays, differentiable, strict=True)]
        y, expected = fn(*ours), fn(*theirs)
        assert str(y.dtype) == str(expected.dtype).removeprefix("torch.")
        numpy.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=rtol, atol=0)
        if any(differentiable):
            y.sum().backward()
            expected.sum().backward()
            for t, e in zip(ours, theirs, strict=True):
                if t.requires_grad:
                    numpy.testing.assert_allclose(t.grad.numpy(), e.grad.numpy(), rtol=rtol, atol=0)

    return check


def pytest_generate_tests(metafunc):
    if "op_case" in metafunc.fixturenames:
        metafunc.parametrize("op_case", ALL, ids=[case.id for case in ALL])
