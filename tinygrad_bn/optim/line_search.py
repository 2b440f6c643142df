"""A line search for the strong Wolfe conditions, as :class:`~tinygrad_bn.optim.LBFGS` uses it.

Along a direction d from x, with φ(t) = f(x + t·d) and φ'(t) = ∇f(x + t·d)·d, a step t
is accepted when it satisfies the strong Wolfe conditions (Nocedal & Wright,
*Numerical Optimization*, eq. 3.7):

    φ(t) ≤ φ(0) + c₁·t·φ'(0)        (sufficient decrease, Armijo)
    |φ'(t)| ≤ −c₂·φ'(0)              (curvature)

The search first steps outward until an interval must hold such a step (the bracket),
then shrinks that interval (the zoom; Algorithms 3.5 and 3.6), each new trial at the
minimizer of the cubic that matches φ and φ' at two points. The rules and constants
are PyTorch's (``torch.optim.LBFGS(line_search_fn="strong_wolfe")``), so the trials and
the step chosen are PyTorch's.

Numbers follow the types they are given: losses are Python floats, slopes are 0-d
arrays of the parameters' dtype, so single-precision problems round as PyTorch's do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple


class Trial(NamedTuple):
    """One evaluated point of the line: φ(t), the gradient there and φ'(t) = g·d."""

    t: float
    f: float
    g: object
    gtd: object


def cubic_minimizer(a: Trial, b: Trial, bounds: tuple | None = None):
    """The minimizer of the cubic through (a.t, a.f) and (b.t, b.f) with slopes a.gtd and
    b.gtd, clipped to ``bounds`` (by default the interval between a.t and b.t); the
    middle of the bounds when the cubic has no minimum (Nocedal & Wright, eq. 3.59).

    >>> cubic_minimizer(Trial(0.0, 1.0, None, -2.0), Trial(1.0, 1.0, None, 2.0))
    0.5
    """
    low, high = bounds if bounds is not None else (min(a.t, b.t), max(a.t, b.t))
    # d₁ = φ'(a) + φ'(b) − 3·(φ(a) − φ(b))/(a − b)
    d1 = a.gtd + b.gtd - 3 * (a.f - b.f) / (a.t - b.t)
    d2_square = d1**2 - a.gtd * b.gtd
    if not d2_square >= 0:
        return (low + high) / 2.0
    # d₂ = √(d₁² − φ'(a)·φ'(b))
    d2 = math.sqrt(d2_square)
    left, right = (a, b) if a.t <= b.t else (b, a)
    # t = right − (right − left)·(φ'(right) + d₂ − d₁)/(φ'(right) − φ'(left) + 2·d₂)
    t = right.t - (right.t - left.t) * ((right.gtd + d2 - d1) / (right.gtd - left.gtd + 2 * d2))
    return min(max(t, low), high)


def strong_wolfe(evaluate: Callable[[float], Trial], t: float, start: Trial, d_norm, c1: float = 1e-4,
                 c2: float = 0.9, tolerance_change: float = 1e-9, max_ls: int = 25) -> tuple[Trial, int]:
    """A step satisfying the strong Wolfe conditions, tried first at ``t``.

    ``evaluate(t)`` gives the :class:`Trial` at x + t·d, ``start`` the one at t = 0 and
    ``d_norm`` is max|d|. At most ``max_ls`` trials after the first; the zoom also ends
    when the bracket is shorter than ``tolerance_change`` along d. Returns the trial
    chosen and the number of evaluations made; when no trial satisfies the conditions,
    the lower end of the last bracket (out of trials while stepping outward: the lower
    of the start and the last trial, as in PyTorch).

    >>> phi = lambda t: Trial(t, (t - 2.0) ** 2, None, 2 * (t - 2.0))  # φ(t) = (t − 2)², d = 1
    >>> step, evaluations = strong_wolfe(phi, 5.0, phi(0.0), d_norm=1.0)  # t = 5 goes too far
    >>> step.t, evaluations
    (2.0, 2)
    """
    bracket, iterations, done = _bracket(evaluate, evaluate(t), start, c1, c2, max_ls)
    if done:
        return bracket[0], iterations + 1
    best, iterations = _zoom(evaluate, bracket, start, iterations, c1, c2, tolerance_change, max_ls, d_norm)
    return best, iterations + 1


def _too_high(trial: Trial, start: Trial, c1: float) -> bool:
    """The sufficient decrease fails: φ(t) > φ(0) + c₁·t·φ'(0)."""
    return trial.f > start.f + c1 * trial.t * start.gtd


def _flat_enough(trial: Trial, start: Trial, c2: float) -> bool:
    """The curvature condition holds: |φ'(t)| ≤ −c₂·φ'(0)."""
    return abs(trial.gtd) <= -c2 * start.gtd


def _bracket(evaluate, trial: Trial, start: Trial, c1: float, c2: float, max_ls: int):
    """Step outward from ``trial`` until it satisfies both conditions (returned alone,
    done) or an interval [previous, trial] must hold such a step: the trial is too
    high, no lower than the previous one (checked from the third trial on, as in
    PyTorch), or already climbing. Each step outward goes to the cubic's minimizer
    within [t + (t − t_prev)/100, 10·t]. Returns the bracket, the number of steps
    outward, and whether the search is done."""
    previous = start
    for iteration in range(max_ls):
        if _too_high(trial, start, c1) or (iteration > 1 and trial.f >= previous.f):
            return [previous, trial], iteration, False
        if _flat_enough(trial, start, c2):
            return [trial], iteration, True
        if trial.gtd >= 0:
            return [previous, trial], iteration, False
        bounds = (trial.t + 0.01 * (trial.t - previous.t), trial.t * 10)
        previous, trial = trial, evaluate(cubic_minimizer(previous, trial, bounds))
    return [start, trial], max(max_ls, 0), False


def _zoom(evaluate, bracket: list, start: Trial, iteration: int, c1: float, c2: float, tolerance_change: float,
          max_ls: int, d_norm) -> tuple[Trial, int]:
    """Shrink the bracket around a step satisfying both conditions, keeping at
    ``bracket[low]`` the lowest trial that decreases enough. Returns that trial and the
    iteration count."""
    low, high = _lowest_first(bracket)
    hugging = False  # the last trial fell near an end of the bracket
    while iteration < max_ls:
        if abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change:  # too short to shrink further
            break
        t = cubic_minimizer(bracket[0], bracket[1])
        t, hugging = _away_from_the_ends(t, bracket[0].t, bracket[1].t, hugging)
        trial = evaluate(t)
        iteration += 1
        if _too_high(trial, start, c1) or trial.f >= bracket[low].f:
            bracket[high] = trial
            low, high = _lowest_first(bracket)
            continue
        if _flat_enough(trial, start, c2):
            return trial, iteration
        if trial.gtd * (bracket[high].t - bracket[low].t) >= 0:  # the minimum lies on the other side of the trial
            bracket[high] = bracket[low]
        bracket[low] = trial
    return bracket[low], iteration


def _lowest_first(bracket: list) -> tuple[int, int]:
    """The indices of the bracket's lower and higher end (by loss; the first on a tie)."""
    return (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)


def _away_from_the_ends(t, t0, t1, hugging: bool):
    """Keep the trial at least a tenth of the bracket from its ends when it falls outside,
    or near an end twice running; returns the trial and whether it fell near an end."""
    top, bottom = max(t0, t1), min(t0, t1)
    margin = 0.1 * (top - bottom)
    near_an_end = min(top - t, t - bottom) < margin
    if not near_an_end:
        return t, False
    if not (hugging or t >= top or t <= bottom):
        return t, True
    return (top - margin if abs(t - top) < abs(t - bottom) else bottom + margin), False
