"""Why a BatchNorm backward is wrong: the μ and σ² routes told apart per channel."""

import numpy
import pytest

from tinygrad_bn.check.compare_bn import compare_case
from tinygrad_bn.check.diagnosis import diagnose, routes
from tinygrad_bn.check.zoo import entries


def _case(shape, seed):
    rng = numpy.random.default_rng(seed)
    x = 5 * rng.standard_normal(shape) + 12
    return x, rng.standard_normal(shape), 1 + 0.5 * rng.standard_normal(shape[1])


@pytest.mark.parametrize("shape", [(16, 3), (4, 5, 6)])
def test_the_exact_routes_make_the_invariants_hold(shape):
    x, dy, weight = _case(shape, 0)
    direct, mu, var, x_hat = routes(x, dy, weight, 1e-5)
    dx = direct + mu + var
    axes = tuple(i for i in range(len(shape)) if i != 1)
    numpy.testing.assert_allclose(dx.sum(axis=axes), 0, atol=1e-12)  # Σ dx = 0, the μ route
    numpy.testing.assert_allclose((dx * x_hat).sum(axis=axes), 0, atol=1e-5)  # Σ dx·x̂ = 0 up to ε
    assert diagnose(dx, x, dy, weight) == "no error in dx"


@pytest.mark.parametrize("shape", [(16, 3), (4, 5, 6)])
def test_each_dropped_route_is_named(shape):
    x, dy, weight = _case(shape, 1)
    direct, mu, var, _ = routes(x, dy, weight, 1e-5)
    channels = shape[1]
    only_mu = diagnose(direct + var, x, dy, weight)
    only_var = diagnose(direct + mu, x, dy, weight)
    both = diagnose(direct, x, dy, weight)
    assert only_mu.startswith(f"the μ route is missing in {channels} of {channels} channels")
    assert "σ²" not in only_mu
    assert only_var.startswith(f"the σ² route is missing in {channels} of {channels} channels")
    assert "μ route" not in only_var
    assert both.startswith("both the μ and the σ² routes are missing")


def test_a_route_with_the_wrong_size_is_wrong_not_missing():
    x, dy, weight = _case((16, 3), 2)
    direct, mu, var, _ = routes(x, dy, weight, 1e-5)
    assert diagnose(direct + 2 * mu + var, x, dy, weight).startswith("the μ route is wrong in 3 of 3")


def test_an_error_no_route_explains_is_said_to_be_elsewhere():
    x, dy, weight = _case((16, 3), 3)
    direct, mu, var, _ = routes(x, dy, weight, 1e-5)
    assert "not of the form α + β·x̂" in diagnose(1.5 * direct + mu + var, x, dy, weight)


def _implementation(cls, training):
    def fn(x, weight, bias, running_mean, running_var):
        return cls.apply(x, weight, bias, running_mean, running_var, training=training, momentum=0.1, eps=1e-5)

    return fn


@pytest.mark.parametrize("cls, expected", [
    (entries.MeanConstant, "the μ route is missing"),
    (entries.VarianceConstant, "the σ² route is missing"),
    (entries.LectureNotes, "both the μ and the σ² routes are missing"),
])
def test_the_cross_check_diagnoses_failing_dx_rows(cls, expected):
    report = compare_case((16, 4), "float64", training=True, implementation=_implementation(cls, True))
    dx = report.row("grad", "x")
    assert not dx.passed and dx.diagnosis.startswith(expected)
    assert f"why: {dx.diagnosis}" in str(report)
    assert report.to_dict()["rows"][[r.term for r in report.rows].index("x")]  # serializes
