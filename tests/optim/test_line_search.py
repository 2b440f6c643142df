"""The strong Wolfe line search against PyTorch's (the one torch.optim.LBFGS runs) on
random wavy functions of one variable: the same step, loss and number of evaluations;
and the conditions the step it returns satisfies."""

from __future__ import annotations

import math

import numpy
import pytest

from tinygrad_bn.optim.line_search import Trial, cubic_minimizer, strong_wolfe

CASES = 300


def wavy(rng):
    """φ(x) = p·x² + q·sin(r·x) + s·x⁴ − 3x and its slope, with random p, q, r, s: up to a
    few local minima, so the search has to bracket and zoom."""
    p, q, r, s = rng.uniform(0.1, 2.0), rng.uniform(0.0, 3.0), rng.uniform(0.5, 8.0), rng.uniform(0.0, 0.5)

    def phi(x):
        value = p * x * x + q * math.sin(r * x) + s * x**4 - 3 * x
        return value, 2 * p * x + q * r * math.cos(r * x) + 4 * s * x**3 - 3

    return phi


def searches(seed: int):
    """Random line searches: a function, a start, a direction of random length going
    down, a first trial t, an evaluation budget and a tolerance on the bracket."""
    rng = numpy.random.default_rng(seed)
    for _ in range(CASES):
        phi = wavy(rng)
        x = rng.uniform(-2.0, 2.0)
        d = -math.copysign(10 ** rng.uniform(-2, 2), phi(x)[1])
        yield phi, x, d, 10 ** rng.uniform(-3, 2), int(rng.integers(1, 26)), 10 ** rng.uniform(-12, -2)


def steep_past_4(x):
    """φ = −x + x⁴/100: going down at x = 1, up again past x ≈ 2.9."""
    return -x + x**4 / 100, -1 + x**3 / 25


def a_hump(x):
    """φ = −x + 9.5·σ(2(x − 5)) + (x/20)⁶, σ the logistic function: down, over a hump
    (so a trial past it is higher than one before it), down again, and up far away."""
    sigma = 1 / (1 + math.exp(-2 * (x - 5)))
    return -x + 9.5 * sigma + (x / 20) ** 6, -1 + 19 * sigma * (1 - sigma) + 0.3 * (x / 20) ** 5


def ours(phi, x, d, t, max_ls, tolerance_change):
    direction = numpy.array([d])

    def trial(step):
        f, slope = phi(x + float(step) * d)
        g = numpy.array([slope])
        return Trial(step, f, g, numpy.dot(g, direction))

    return strong_wolfe(trial, t, trial(0), abs(direction).max(), tolerance_change=tolerance_change, max_ls=max_ls)


def test_the_search_takes_pytorchs_steps(torch):
    from torch.optim.lbfgs import _strong_wolfe  # the search LBFGS(line_search_fn="strong_wolfe") runs

    def objective(phi):
        def at(x, t, d):
            f, slope = phi(float(x[0]) + float(t) * float(d[0]))
            return f, torch.tensor([slope], dtype=torch.float64)
        return at

    evaluations = []
    for phi, x, d, t, max_ls, tolerance in searches(seed=0):
        f0, slope0 = phi(x)
        g0, direction = torch.tensor([slope0], dtype=torch.float64), torch.tensor([d], dtype=torch.float64)
        f, _, step, used = _strong_wolfe(objective(phi), torch.tensor([x], dtype=torch.float64), t, direction, f0, g0,
                                         g0.dot(direction), tolerance_change=tolerance, max_ls=max_ls)
        mine, my_used = ours(phi, x, d, t, max_ls, tolerance)
        # Not ==: PyTorch's CPU sqrt is 1 ulp off for ~1% of inputs, and it divides a number
        # by a tensor as reciprocal·number; in a long search the cubic's cancellation
        # (φ(a) − φ(b) of close trials) grows such an ulp to up to ~1e-6 here.
        assert my_used == used
        assert math.isclose(float(mine.t), float(step), rel_tol=1e-6)
        assert math.isclose(mine.f, f, rel_tol=1e-6)
        evaluations.append(used)
    assert max(evaluations) >= 8 and evaluations.count(1) < CASES / 2  # the searches were not all trivial


@pytest.mark.parametrize("phi, max_ls", [
    # out of trials after one step outward: the better of the start and the last trial
    # (t = 4.25, φ = −0.982), though the trial before was lower (t = 1, φ = −0.99)
    (steep_past_4, 1),
    (steep_past_4, 2),
    # the second trial, past the hump, is higher than the first yet low enough: stepping
    # outward goes on (only from the third trial on does "no lower than the last" bracket)
    (a_hump, 25),
    (a_hump, 3),
])
def test_rare_turns_of_the_search_are_pytorchs(torch, phi, max_ls):
    from torch.optim.lbfgs import _strong_wolfe

    def at(x, t, d):
        f, slope = phi(float(x[0]) + float(t) * float(d[0]))
        return f, torch.tensor([slope], dtype=torch.float64)

    f0, slope0 = phi(0.0)
    g0, direction = torch.tensor([slope0], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64)
    f, _, step, used = _strong_wolfe(at, torch.tensor([0.0], dtype=torch.float64), 1.0, direction, f0, g0,
                                     g0.dot(direction), max_ls=max_ls)
    mine, my_used = ours(phi, 0.0, 1.0, 1.0, max_ls, 1e-9)
    assert (float(mine.t), mine.f, my_used) == (float(step), f, used)


def test_an_accepted_step_satisfies_the_strong_wolfe_conditions():
    accepted = 0
    for phi, x, d, t, _, _ in searches(seed=1):
        f0, slope0 = phi(x)
        step, _ = ours(phi, x, d, t, max_ls=25, tolerance_change=1e-12)
        decrease = step.f <= f0 + 1e-4 * step.t * slope0 * d
        curvature = abs(step.gtd) <= -0.9 * slope0 * d
        accepted += decrease and curvature
        assert step.f <= f0  # never worse than the start, even when no step satisfies them
    assert accepted >= 0.95 * CASES


@pytest.mark.parametrize("a, b, bounds, expected", [
    ((0.0, 1.0, -2.0), (1.0, 1.0, 2.0), None, 0.5),  # c(t) = 1 − 2t + 2t²: symmetric, the middle
    ((1.0, 1.0, 2.0), (0.0, 1.0, -2.0), None, 0.5),  # the same two points, given the other way round
    # c(t) = −t − 1.5t² + t³: its minimum (3 + √21)/6 lies past the far end, so clipped there...
    ((0.0, 0.0, -1.0), (1.0, -1.5, -1.0), None, 1.0),
    ((0.0, 0.0, -1.0), (1.0, -1.5, -1.0), (1.01, 10.0), (3 + math.sqrt(21)) / 6),  # ... or not, stepping outward
    ((0.0, 0.0, -1.0), (1.0, -1.5, -1.0), (1.5, 10.0), 1.5),
    ((0.0, 0.0, 3.0), (1.0, 2.0, 3.0), (2.0, 4.0), 3.0),  # c(t) = 3t − 3t² + 2t³ has no minimum: the middle
])
def test_cubic_minimizer(a, b, bounds, expected):
    point = cubic_minimizer(Trial(a[0], a[1], None, a[2]), Trial(b[0], b[1], None, b[2]), bounds)
    assert point == pytest.approx(expected, abs=1e-12)
