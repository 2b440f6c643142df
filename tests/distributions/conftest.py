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


def peaked(rng, shape):
    """Above 1, where a Weibull's mode is finite (for k < 1 it is NaN, as PyTorch's)."""
    return rng.uniform(1.2, 3.0, shape)


# Matrix samplers: (rng, shape (..., n)) -> (..., n, n), for the vectors of that shape


def positive_definite(rng, shape):
    """A Aᵀ + I, A standard normal: eigenvalues of at least 1."""
    A = rng.standard_normal(shape + shape[-1:])
    return A @ A.swapaxes(-1, -2) + numpy.eye(shape[-1])


def lower_cholesky(rng, shape):
    """Standard normal below the diagonal, a diagonal in [0.5, 2]."""
    return numpy.tril(rng.standard_normal(shape + shape[-1:]), -1) + positive(rng, shape)[..., None] * numpy.eye(
        shape[-1])


def one_temperature(rng, shape):
    """One temperature in [0.5, 2] (a 0-d array) for the whole batch, as a relaxed categorical
    takes it (PyTorch's multiplies it into values and adds its log to one score per event)."""
    return rng.uniform(0.5, 2.0, ())


def low_rank_factor(rng, shape):
    """W of n × 2, standard normal, for the vectors of ``shape`` (..., n)."""
    return rng.standard_normal(shape + (2,))


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


def unbounded_count_values(rng, params, shape):
    """Counts from 0 to 9, for a support with no upper end."""
    return rng.integers(0, 10, shape).astype(float)


def binary_values(rng, params, shape):
    return rng.integers(0, 2, shape).astype(float)


def angle_values(rng, params, shape):
    """Angles over two turns, so that the 2π period shows."""
    return rng.uniform(-2 * numpy.pi, 2 * numpy.pi, shape)


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

    ``moments`` says what the mean and variance are: "finite" ones, "undefined" ones (NaN
    or ∞ constants, a Cauchy's), "circular" ones (a von Mises's) or "none" (PyTorch gives
    none); only finite ones are compared with sample moments. ``lacks`` names what PyTorch
    does not define for the family (mean, variance, entropy: NotImplementedError there and
    here); ``on_a_surface`` marks values on a surface (the simplex) that a nudge of one
    entry leaves. The shared tests that need these run without such cases (see ``NEEDS``).
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
    moments: str = "finite"
    lacks: tuple = ()
    on_a_surface: bool = False

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
        nor the NaN moments of class indices, nor undefined moments."""
        constant = self.indicator or self.moments == "undefined"
        undefined = ("mode", "mean", "variance", "stddev") if constant else ("mode",)
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
NO_ENTROPY = ("log_prob", "mean", "mode", "variance", "stddev")  # NegativeBinomial's, VonMises's
LOG_PROB = ("log_prob",)  # the relaxed families': PyTorch gives them neither moments nor entropy
RELAXED = dict(methods=LOG_PROB, moments="none", lacks=("mean", "variance", "entropy"))
RELAXED_ONE_HOT = dict(RELAXED, on_a_surface=True)  # test_relaxed_categorical.py checks its value gradients

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
    # the mean of a Cauchy is undefined (NaN) and its variance ∞, a half-Cauchy's both ∞: their
    # samples are checked against the CDF instead (test_samples_follow_pytorchs_cdf)
    FamilyCase("Cauchy", {"loc": -0.5, "scale": 2.0}, (), real_values, CONTINUOUS, "scalar", moments="undefined"),
    FamilyCase("Cauchy", {"loc": real, "scale": positive}, (2, 3), real_values, CONTINUOUS, "batched",
               moments="undefined"),
    FamilyCase("HalfCauchy", {"scale": 1.5}, (), nonnegative_values, CONTINUOUS, "scalar", moments="undefined"),
    FamilyCase("HalfCauchy", {"scale": positive}, (2, 3), nonnegative_values, CONTINUOUS, "batched",
               moments="undefined"),
    FamilyCase("Weibull", {"scale": 1.5, "concentration": 0.5}, (), positive_values, CONTINUOUS, "scalar, k < 1"),
    FamilyCase("Weibull", {"scale": positive, "concentration": peaked}, (2, 3), positive_values, CONTINUOUS,
               "batched"),
    # the mean and variance of a von Mises are circular ones (test_von_mises.py checks its samples)
    FamilyCase("VonMises", {"loc": real, "concentration": positive}, (2, 3), angle_values, NO_ENTROPY, "batched",
               moments="circular", lacks=("entropy",)),
    FamilyCase("NegativeBinomial", {"total_count": 3.0, "probs": 0.4}, (), unbounded_count_values, NO_ENTROPY,
               "scalar", lacks=("entropy",)),
    FamilyCase("NegativeBinomial", {"total_count": positive, "probs": probability}, (2, 3), unbounded_count_values,
               NO_ENTROPY, "probs", lacks=("entropy",)),
    FamilyCase("NegativeBinomial", {"total_count": positive, "logits": real}, (4,), unbounded_count_values,
               NO_ENTROPY, "logits", lacks=("entropy",)),
    FamilyCase("LowRankMultivariateNormal", {"loc": real, "cov_factor": low_rank_factor, "cov_diag": positive},
               (2, 3), real_values, NO_CDF, "batched"),
    FamilyCase("RelaxedBernoulli", {"temperature": positive, "probs": probability}, (2, 3), unit_values,
               label="probs", **RELAXED),
    FamilyCase("RelaxedBernoulli", {"temperature": positive, "logits": real}, (4,), unit_values, label="logits",
               **RELAXED),
    FamilyCase("RelaxedOneHotCategorical", {"temperature": one_temperature, "probs": positive}, (2, 3), simplex_values,
               label="probs", **RELAXED_ONE_HOT),
    FamilyCase("RelaxedOneHotCategorical", {"temperature": one_temperature, "logits": real}, (2, 4), simplex_values,
               label="logits", **RELAXED_ONE_HOT),
    FamilyCase("Normal", {"loc": real, "scale": positive}, (2, 3), real_values, DISCRETE, wrap=1),
    FamilyCase("Bernoulli", {"logits": real}, (2, 3), binary_values, DISCRETE, wrap=2),
    FamilyCase("Uniform", {"low": real, "high": 3.0}, (2, 3), inside_interval, DISCRETE, wrap=1),
]


def _dtypes(case):
    """float32 and float64, or float32 alone for parameters given as Python numbers."""
    return ["float32"] if case.scalar else ["float32", "float64"]


def pytest_configure(config):
    config.addinivalue_line("markers", "families(predicate): run the test for the cases the predicate accepts")


# shared tests that compare what some families lack -> the cases they run for
NEEDS = {
    "test_gradients_match_finite_differences": lambda case: not case.on_a_surface,
    "test_sample_moments_match_pytorchs_mean_and_variance": lambda case: case.moments == "finite",
    "test_samples_are_drawn_on_the_device_from_the_same_numbers":
        lambda case: not {"mean", "variance", "entropy"} & set(case.lacks),
}


def pytest_generate_tests(metafunc):
    """``family_case`` runs over CASES (those a ``families`` mark accepts and that have what
    the test compares, see ``NEEDS``); with ``dtype`` over the dtypes of each case."""
    if "family_case" not in metafunc.fixturenames:
        return
    mark = metafunc.definition.get_closest_marker("families")
    needs = NEEDS.get(metafunc.definition.originalname, lambda case: True)
    cases = [case for case in CASES if (mark is None or mark.args[0](case)) and needs(case)]
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


def build_pair(framework, pair, dtype, tensors=None):
    """p and q of a KL pair ``(family of p, p's arguments, family of q, q's arguments,
    reinterpreted axes)`` in ``framework``, and the leaf tensors made for their array
    arguments in ``dtype`` (floats stay numbers); ``tensors``, when given, stand for those
    arrays in order (for gradcheck)."""
    module = distributions if framework is tg else framework.distributions
    family_p, args_p, family_q, args_q, wrap = pair
    leaves = list(tensors) if tensors is not None else []
    made = iter(leaves)

    def arguments(args):
        result = {}
        for name, value in args.items():
            if isinstance(value, float):
                result[name] = value
            elif tensors is not None:
                result[name] = next(made)
            else:
                result[name] = framework.tensor(value, dtype=getattr(framework, dtype), requires_grad=True)
                leaves.append(result[name])
        return result

    p, q = getattr(module, family_p)(**arguments(args_p)), getattr(module, family_q)(**arguments(args_q))
    if wrap:
        p, q = module.Independent(p, wrap), module.Independent(q, wrap)
    return p, q, leaves


@pytest.fixture
def kl_pair():
    """:func:`build_pair`, for tests of kl_divergence."""
    return build_pair
