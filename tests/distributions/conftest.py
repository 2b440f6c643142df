"""The distributions under test: one :class:`FamilyCase` per family and parameter shape,
built alike here and in ``torch.distributions`` from the same host arrays (a test
asking for ``family_case`` runs once per case).

Parameters are drawn away from the edges of their constraints (probabilities in
[0.1, 0.9], scales and rates in [0.5, 2], covariances with eigenvalues of at least 1),
and values for ``log_prob`` and ``cdf``
inside the support and away from its kinks (no value at a Laplace's location).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import distributions

# Parameter samplers: (rng, shape) -> float64 host array -------------------------------


def real(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def degrees_of_freedom(rng, shape):
    """Above 4, so that samples have a finite fourth moment (the variance's standard error)."""
    return rng.uniform(4.5, 8.0, shape)


def count(rng, shape):
    return rng.integers(1, 8, shape).astype(float)


def probability(rng, shape):
    return rng.uniform(0.1, 0.9, shape)


# Matrix samplers: (rng, shape (..., n)) -> (..., n, n), for the vectors of that shape


def positive_definite(rng, shape):
    """A Aᵀ + I, A standard normal: eigenvalues of at least 1."""
    A = rng.standard_normal(shape + shape[-1:])
    return A @ A.swapaxes(-1, -2) + numpy.eye(shape[-1])


def lower_cholesky(rng, shape):
    """Standard normal below the diagonal, a diagonal in [0.5, 2]."""
    return numpy.tril(rng.standard_normal(shape + shape[-1:]), -1) + positive(rng, shape)[..., None] * numpy.eye(
        shape[-1])


# Value samplers: (rng, parameters, shape) -> host array in the support ------------------


def real_values(rng, params, shape):
    """Normal values, none within 0.05 of a location (Laplace's kink)."""
    loc = params.get("loc", 0.0)
    offset = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.05, 2.0, shape)
    return numpy.broadcast_to(loc, shape) + offset


def inside_interval(rng, params, shape):
    low, high = params["low"], params["high"]
    return low + rng.uniform(0.05, 0.95, shape) * (numpy.asarray(high) - low)


def nonnegative_values(rng, params, shape):
    return rng.exponential(1.0, shape)


def positive_values(rng, params, shape):
    return rng.exponential(1.0, shape) + 0.05


def unit_values(rng, params, shape):
    return rng.uniform(0.05, 0.95, shape)


def simplex_values(rng, params, shape):
    weights = rng.uniform(0.1, 1.0, shape)
    return weights / weights.sum(-1, keepdims=True)


def count_values(rng, params, shape):
    """Counts up to ``total_count`` where there is one, else up to 9."""
    top = numpy.broadcast_to(params.get("total_count", 9.0), shape)
    return numpy.floor(rng.uniform(0.0, 1.0, shape) * (top + 1))


def binary_values(rng, params, shape):
    return rng.integers(0, 2, shape).astype(float)


def class_values(rng, params, shape):
    classes = next(iter(params.values())).shape[-1]
    return rng.integers(0, classes, shape)


def one_hot_values(rng, params, shape):
    classes = shape[-1]
    return numpy.eye(classes)[rng.integers(0, classes, shape[:-1])]


@dataclass(frozen=True)
class FamilyCase:
    """A family with parameters of one shape.

    ``params`` maps each argument to a sampler of arrays of ``param_shape`` (of
    matrices for vectors of that shape), or to a float, given as a Python number.
    ``wrap`` reads that many batch axes as event axes (``Independent``). ``methods`` are
    what PyTorch has for the family; ``indicator`` marks class-index samples, whose moments are those of
    their one-hot vectors; ``trigamma`` marks gradients through PyTorch's trigamma,
    good to 5e-10 only (ours to float64's precision, see tests/ops/conftest.py).
    """

    family: str
    params: dict
    param_shape: tuple
    values: Callable
    methods: tuple
    label: str = ""
    wrap: int = 0
    indicator: bool = False
    trigamma: bool = False

    @property
    def id(self) -> str:
        name = f"Independent({self.family}, {self.wrap})" if self.wrap else self.family
        return f"{name} {self.label}".strip()

    @property
    def scalar(self) -> bool:
        """Whether every parameter is a Python number (so float32 whatever the dtype asked)."""
        return all(isinstance(p, float) for p in self.params.values())

    @property
    def differentiable_methods(self) -> tuple:
        """The methods whose output is a smooth function of the parameters: not the mode,
        nor the NaN moments of class indices."""
        undefined = ("mode", "mean", "variance", "stddev") if self.indicator else ("mode",)
        return tuple(method for method in self.methods if method not in undefined)

    def host_params(self, seed=0) -> dict:
        rng = numpy.random.default_rng(seed)
        return {name: p if isinstance(p, float) else p(rng, self.param_shape) for name, p in self.params.items()}

    def build(self, framework, host: dict, dtype="float64", requires_grad=False, device=None):
        """The distribution in ``framework`` (tinygrad_bn or torch) from ``host``
        parameters, and the leaf tensors made for the array parameters."""
        leaves = {}
        for name, value in host.items():
            if not isinstance(value, float):
                options = {"device": device} if device else {}
                leaves[name] = framework.tensor(value, dtype=getattr(framework, dtype), requires_grad=requires_grad,
                                                **options)
        return self.from_arguments(framework, {**host, **leaves}), leaves

    def from_arguments(self, framework, arguments: dict):
        module = distributions if framework is tg else framework.distributions
        dist = getattr(module, self.family)(**arguments)
        return module.Independent(dist, self.wrap) if self.wrap else dist

    def host_values(self, host: dict, sample_shape=(3,), seed=1):
        """Values in the support, of shape ``sample_shape + batch_shape + event_shape``."""
        dist = self.from_arguments(tg, {k: v if isinstance(v, float) else tg.tensor(v) for k, v in host.items()})
        shape = tuple(sample_shape) + dist.batch_shape + dist.event_shape
        return self.values(numpy.random.default_rng(seed), host, shape)


CONTINUOUS = ("log_prob", "entropy", "mean", "mode", "variance", "stddev", "cdf", "icdf")
DISCRETE = ("log_prob", "entropy", "mean", "mode", "variance", "stddev")
NO_CDF = DISCRETE  # what PyTorch's Gamma (whose cdf has no gradient in α there), Beta, Dirichlet and
# MultivariateNormal have

CASES = [
    FamilyCase("Normal", {"loc": 0.5, "scale": 2.0}, (), real_values, CONTINUOUS, "scalar"),
    FamilyCase("Normal", {"loc": real, "scale": positive}, (2, 3), real_values, CONTINUOUS, "batched"),
    FamilyCase("Normal", {"loc": real, "scale": 1.5}, (4,), real_values, CONTINUOUS, "tensor and float"),
    FamilyCase("Uniform", {"low": -1.0, "high": 2.0}, (), inside_interval, CONTINUOUS, "scalar"),
    FamilyCase("Uniform", {"low": real, "high": 3.0}, (2, 3), inside_interval, CONTINUOUS, "batched"),
    FamilyCase("Exponential", {"rate": 1.5}, (), nonnegative_values, CONTINUOUS, "scalar"),
    FamilyCase("Exponential", {"rate": positive}, (2, 3), nonnegative_values, CONTINUOUS, "batched"),
    FamilyCase("Laplace", {"loc": -0.5, "scale": 0.75}, (), real_values, CONTINUOUS, "scalar"),
    FamilyCase("Laplace", {"loc": real, "scale": positive}, (2, 3), real_values, CONTINUOUS, "batched"),
    FamilyCase("LogNormal", {"loc": 0.5, "scale": 0.75}, (), positive_values, CONTINUOUS, "scalar"),
    FamilyCase("LogNormal", {"loc": real, "scale": positive}, (2, 3), positive_values, CONTINUOUS, "batched"),
    FamilyCase("Gumbel", {"loc": -0.5, "scale": 2.0}, (), real_values, CONTINUOUS, "scalar"),
    FamilyCase("Gumbel", {"loc": real, "scale": positive}, (2, 3), real_values, CONTINUOUS, "batched"),
    FamilyCase("Gamma", {"concentration": 0.5, "rate": 2.0}, (), positive_values, NO_CDF, "scalar", trigamma=True),
    FamilyCase("Gamma", {"concentration": positive, "rate": positive}, (2, 3), positive_values, NO_CDF, "batched",
               trigamma=True),
    FamilyCase("Chi2", {"df": positive}, (4,), positive_values, NO_CDF, "batched", trigamma=True),
    FamilyCase("Beta", {"concentration1": 2.5, "concentration0": 0.75}, (), unit_values, NO_CDF, "scalar",
               trigamma=True),
    FamilyCase("Beta", {"concentration1": positive, "concentration0": positive}, (2, 3), unit_values, NO_CDF,
               "batched", trigamma=True),
    FamilyCase("Dirichlet", {"concentration": positive}, (4,), simplex_values, NO_CDF, "single", trigamma=True),
    FamilyCase("Dirichlet", {"concentration": positive}, (2, 3), simplex_values, NO_CDF, "batched", trigamma=True),
    FamilyCase("MultivariateNormal", {"loc": real, "covariance_matrix": positive_definite}, (3,), real_values, NO_CDF,
               "covariance"),
    FamilyCase("MultivariateNormal", {"loc": real, "precision_matrix": positive_definite}, (2, 3), real_values,
               NO_CDF, "precision, batched"),
    FamilyCase("MultivariateNormal", {"loc": real, "scale_tril": lower_cholesky}, (2, 3), real_values, NO_CDF,
               "scale_tril, batched"),
    FamilyCase("MultivariateNormal", {"loc": real, "covariance_matrix": positive_definite}, (2, 1), real_values,
               NO_CDF, "covariance, batched, n = 1"),
    FamilyCase("Bernoulli", {"probs": 0.3}, (), binary_values, DISCRETE, "scalar"),
    FamilyCase("Bernoulli", {"probs": probability}, (2, 3), binary_values, DISCRETE, "probs"),
    FamilyCase("Bernoulli", {"logits": real}, (4,), binary_values, DISCRETE, "logits"),
    FamilyCase("Categorical", {"probs": positive}, (4,), class_values, DISCRETE, "probs", indicator=True),
    FamilyCase("Categorical", {"logits": real}, (2, 3, 4), class_values, DISCRETE, "logits", indicator=True),
    FamilyCase("OneHotCategorical", {"probs": positive}, (3, 4), one_hot_values, DISCRETE, "probs"),
    FamilyCase("OneHotCategorical", {"logits": real}, (5,), one_hot_values, DISCRETE, "logits"),
    FamilyCase("HalfNormal", {"scale": 1.5}, (), nonnegative_values, CONTINUOUS, "scalar"),
    FamilyCase("HalfNormal", {"scale": positive}, (2, 3), nonnegative_values, CONTINUOUS, "batched"),
    FamilyCase("StudentT", {"df": 5.0, "loc": 0.5, "scale": 2.0}, (), real_values, NO_CDF, "scalar",
               trigamma=True),
    FamilyCase("StudentT", {"df": degrees_of_freedom, "loc": real, "scale": positive}, (2, 3), real_values, NO_CDF,
               "batched", trigamma=True),
    FamilyCase("Geometric", {"probs": 0.3}, (), count_values, DISCRETE, "scalar"),
    FamilyCase("Geometric", {"probs": probability}, (2, 3), count_values, DISCRETE, "probs"),
    FamilyCase("Geometric", {"logits": real}, (4,), count_values, DISCRETE, "logits"),
    FamilyCase("Binomial", {"total_count": 5.0, "probs": probability}, (2, 3), count_values, DISCRETE, "probs"),
    FamilyCase("Binomial", {"total_count": 6.0, "logits": real}, (4,), count_values, DISCRETE, "logits"),
    FamilyCase("Normal", {"loc": real, "scale": positive}, (2, 3), real_values, DISCRETE, wrap=1),
    FamilyCase("Bernoulli", {"logits": real}, (2, 3), binary_values, DISCRETE, wrap=2),
    FamilyCase("Uniform", {"low": real, "high": 3.0}, (2, 3), inside_interval, DISCRETE, wrap=1),
]


def _dtypes(case):
    """float32 and float64, or float32 alone for parameters given as Python numbers."""
    return ["float32"] if case.scalar else ["float32", "float64"]


def pytest_configure(config):
    config.addinivalue_line("markers", "families(predicate): run the test for the cases the predicate accepts")


def pytest_generate_tests(metafunc):
    """``family_case`` runs over CASES (those a ``families`` mark accepts); with ``dtype``
    over the dtypes of each case."""
    if "family_case" not in metafunc.fixturenames:
        return
    mark = metafunc.definition.get_closest_marker("families")
    cases = [case for case in CASES if mark is None or mark.args[0](case)]
    if "dtype" in metafunc.fixturenames:
        rows = [(case, dtype) for case in cases for dtype in _dtypes(case)]
        metafunc.parametrize("family_case, dtype", rows, ids=[f"{case.id}-{dtype}" for case, dtype in rows])
    else:
        metafunc.parametrize("family_case", cases, ids=[case.id for case in cases])


@pytest.fixture
def family_cases():
    """The cases by id, for a test that takes two of them (a KL divergence's p and q)."""
    return {case.id: case for case in CASES}


@pytest.fixture
def default_validation():
    """Restores the default validation of arguments (on) after a test that changes it."""
    yield
    distributions.Distribution.set_default_validate_args(True)


@pytest.fixture
def same_as_pytorch(torch):
    """``check(call, rtol=1e-12)``: ``call(D, t)`` run here and in PyTorch, with ``D`` the
    distributions module and ``t`` a float64 tensor maker of each; asserts the results
    agree (NaN and ±∞ included) and returns ours as a NumPy array."""

    def check(call, rtol=1e-12, atol=1e-14):
        ours = call(distributions, lambda v: tg.tensor(v, dtype=tg.float64))
        theirs = call(torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64))
        assert ours.shape == tuple(theirs.shape)
        numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)
        return ours.detach().numpy()

    return check


@pytest.fixture
def refused_alike(torch):
    """``check(call)``: ``call(D, t)``, with ``D`` the distributions module and ``t`` its
    tensor maker, raises a ValueError here and in PyTorch with the same words (a tensor
    of one axis or more prints otherwise here, so printed tensors are blanked)."""

    def check(call):
        with pytest.raises(ValueError) as theirs:
            call(torch.distributions, torch.tensor)
        with pytest.raises(ValueError) as ours:
            call(distributions, tg.tensor)
        assert _tensors_blanked(str(ours.value)) == _tensors_blanked(str(theirs.value))

    return check


def _tensors_blanked(message: str) -> str:
    """The message with each printed tensor of one axis or more (PyTorch's or ours) as <tensor>."""
    return re.sub(r"(?s)[Tt]ensor\(\[.*?\](, dtype=\w+)?\)", "<tensor>", message)
