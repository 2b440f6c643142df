"""Why a BatchNorm backward is wrong: which of its routes from x to y is missing.

In training mode x reaches y directly through x̂, through μ and through σ²
(docs/batchnorm.md). The exact dx, per channel, is

    dx = γ·inv_std·(dy − mean(dy) − x̂·mean(dy·x̂))          (B7)

where −mean(dy) is the μ route and −x̂·mean(dy·x̂) the σ² route. So the μ route
makes Σ dx = 0, and the σ² route makes Σ dx·x̂ = 0 (up to ε) in every channel.
Fitting the error e = dx_test − dx_exact against x̂, per channel, as
e ≈ α + β·x̂ tells the routes apart: a missing μ term leaves the intercept
α = γ·inv_std·mean(dy), a missing σ² term the slope β = γ·inv_std·mean(dy·x̂).
"""

from __future__ import annotations

import numpy

#: A fitted term counts when it is this large a part of the error, and the error is
#: "explained" by the fit when what is left is this small a part of it.
SIGNIFICANT = 0.05
#: A fitted term "is" the missing route when it is within this ratio of it.
MATCH = 0.1


def per_channel(array, axis: int = 1):
    """``array`` as (C, everything else) with channels along ``axis``."""
    array = numpy.asarray(array, dtype=float)
    return numpy.moveaxis(array, axis, 0).reshape(array.shape[axis], -1)


def channel_errors(a, b, scale: float, axis: int = 1) -> list:
    """max |a − b| per channel, relative to ``scale`` (the row's largest value)."""
    if numpy.ndim(a) == 0:
        return []
    if numpy.ndim(a) == 1:
        axis = 0
    gap = per_channel(numpy.abs(numpy.asarray(a, float) - numpy.asarray(b, float)), axis).max(axis=1)
    return [float(g / scale) if scale > 0 else float(g) for g in gap]


def routes(x, dy, weight, eps):
    """The exact training-mode dx split into its routes, each of x's shape:
    (direct, μ, σ²) with dx = direct + μ + σ², and x̂."""
    x, dy = numpy.asarray(x, float), numpy.asarray(dy, float)
    axes = tuple(i for i in range(x.ndim) if i != 1)
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1 / numpy.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std
    scale = (numpy.ones(x.shape[1]) if weight is None else numpy.asarray(weight, float)).reshape(shape) * inv_std
    direct = scale * dy
    through_mean = -scale * dy.mean(axis=axes, keepdims=True)
    through_var = -scale * x_hat * (dy * x_hat).mean(axis=axes, keepdims=True)
    return direct, through_mean, through_var, x_hat


def diagnose(dx_test, x, dy, weight=None, eps=1e-5) -> str:
    """A sentence naming the route of a training-mode BatchNorm backward that is
    missing or wrong, and in how many channels, from the dx it gave.

    >>> rng = numpy.random.default_rng(0)
    >>> x, dy = 5 * rng.standard_normal((16, 3)) + 12, rng.standard_normal((16, 3))
    >>> direct, mu, var, _ = routes(x, dy, None, 1e-5)
    >>> diagnose(direct + var, x, dy)  # the μ route dropped
    'the μ route is missing in 3 of 3 channels: the error is constant within each channel (Σ dx ≠ 0)'
    """
    direct, through_mean, through_var, x_hat = routes(x, dy, weight, eps)
    error = per_channel(numpy.asarray(dx_test, float) - (direct + through_mean + through_var))
    mean_route, var_route, x_hat = per_channel(through_mean), per_channel(through_var), per_channel(x_hat)
    channels = error.shape[0]
    findings = {"μ missing": 0, "μ wrong": 0, "σ² missing": 0, "σ² wrong": 0, "unexplained": 0}
    for c in range(channels):
        size = numpy.abs(error[c]).max()
        if size == 0:
            continue
        design = numpy.stack([numpy.ones_like(x_hat[c]), x_hat[c]], axis=1)
        (alpha, beta), *_ = numpy.linalg.lstsq(design, error[c], rcond=None)
        left = numpy.abs(error[c] - design @ [alpha, beta]).max()
        if left > SIGNIFICANT * size:
            findings["unexplained"] += 1
            continue
        missing_alpha = -mean_route[c, 0]                 # the intercept a dropped μ route leaves
        missing_beta = -var_route[c] @ x_hat[c] / max(x_hat[c] @ x_hat[c], 1e-300)  # and its slope
        if abs(alpha) > SIGNIFICANT * size:
            findings["μ missing" if _matches(alpha, missing_alpha) else "μ wrong"] += 1
        if abs(beta) * numpy.abs(x_hat[c]).max() > SIGNIFICANT * size:
            findings["σ² missing" if _matches(beta, missing_beta) else "σ² wrong"] += 1
    return _sentence(findings, channels)


def _matches(fitted: float, missing: float) -> bool:
    return abs(fitted - missing) <= MATCH * abs(missing)


def _sentence(findings: dict, channels: int) -> str:
    def count(key):
        return f"{findings[key]} of {channels} channels"

    mu = findings["μ missing"] + findings["μ wrong"]
    var = findings["σ² missing"] + findings["σ² wrong"]
    parts = []
    if findings["μ missing"] and findings["σ² missing"] and not (findings["μ wrong"] or findings["σ² wrong"]):
        parts.append(f"both the μ and the σ² routes are missing (μ in {count('μ missing')}, σ² in "
                     f"{count('σ² missing')}): the backward treats μ and σ as constants (dx = dy·γ/σ, "
                     "right only in eval mode)")
    else:
        if mu:
            state = "missing" if findings["μ missing"] else "wrong"
            parts.append(f"the μ route is {state} in {count('μ missing' if state == 'missing' else 'μ wrong')}: "
                         "the error is constant within each channel (Σ dx ≠ 0)")
        if var:
            state = "missing" if findings["σ² missing"] else "wrong"
            parts.append(f"the σ² route is {state} in {count('σ² missing' if state == 'missing' else 'σ² wrong')}"
                         ": the error grows linearly with x̂ within each channel (Σ dx·x̂ ≠ 0)")
    if findings["unexplained"]:
        parts.append(f"in {count('unexplained')} the error is not of the form α + β·x̂: the direct route "
                     "dy·γ·inv_std, or the statistics themselves, are wrong")
    return "; ".join(parts) or "no error in dx"
