"""A cross-check report as one figure of four panels (needs matplotlib, the ``plot`` extra).

1. every case × every term, coloured by log10(error / tolerance), the terms
   grouped by order: anything above 0 failed;
2. the first failing term's error per channel (the lowest order that fails, the
   largest error there), against its tolerance;
3. that term's values, a against b, one dot per element: a right pair lies on the
   diagonal;
4. for BatchNorm, the error of a failing dx against x̂, per channel: a horizontal
   line is a missing μ route, a sloped one a missing σ² route
   (see :mod:`~tinygrad_bn.check.diagnosis`).

See docs/cross-check.md, "Reading the plot".
"""

from __future__ import annotations

import math
import textwrap

import numpy

from tinygrad_bn.check.diagnosis import channel_errors, per_channel, routes


def _ratio(row) -> float:
    """The row's worst error as a multiple of its tolerance."""
    ratios = []
    for d in row.differences():
        if d.rel == 0:
            ratios.append(0.0)
        elif d.tolerance == 0 or not math.isfinite(d.rel):
            ratios.append(math.inf)
        else:
            ratios.append(d.rel / d.tolerance)
    return max(ratios, default=0.0)


def plot_report(checks, path=None):
    """A matplotlib Figure of the comparison reports ``checks``; saved to ``path`` when given."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("plotting a report needs matplotlib: pip install -e '.[plot]'") from error
    figure = Figure(figsize=(15, 10), layout="constrained")
    heat, channels, pair, routes_axes = figure.subplots(2, 2).ravel()
    _heatmap(figure, heat, checks)
    failing = [(check, row) for check in checks for row in check.failures]
    # the first failing term, where the bug shows first: the lowest order, with
    # elements to show (a scalar only when nothing else failed), the largest error
    worst = min(failing, key=lambda item: (numpy.size(item[1].values[0]) <= 1, item[1].order, -_ratio(item[1])),
                default=None)
    _per_channel(channels, worst)
    _a_against_b(pair, worst)
    _error_against_x_hat(routes_axes, checks)
    if path is not None:
        figure.savefig(path, dpi=110)
    return figure


def _heatmap(figure, axes, checks):
    terms = sorted({(row.order, row.kind, row.term) for check in checks for row in check.rows})
    grid = numpy.full((len(checks), len(terms)), numpy.nan)
    for i, check in enumerate(checks):
        for row in check.rows:
            ratio = _ratio(row)
            grid[i, terms.index((row.order, row.kind, row.term))] = math.log10(max(min(ratio, 1e12), 1e-12))
    image = axes.imshow(grid, aspect="auto", cmap="RdBu_r", vmin=-8, vmax=8, interpolation="nearest")
    axes.set_xticks(range(len(terms)), [f"{kind} {term}" for _, kind, term in terms], rotation=60, ha="right",
                    fontsize=7)
    axes.set_yticks(range(len(checks)), [_short(check) for check in checks], fontsize=6)
    for k in range(1, len(terms)):
        if terms[k][0] != terms[k - 1][0]:
            axes.axvline(k - 0.5, color="black", linewidth=1.5)
    axes.set_title("log10(error / tolerance): above 0 fails; orders separated by lines", fontsize=9)
    figure.colorbar(image, ax=axes, shrink=0.8)


def _short(check) -> str:
    name = check.names[0] if check.in_verdict else f"[{check.names[0]}]"
    return f"{name}: {check.title[:60]}"


def _titled(axes, title, worst) -> bool:
    """Give a panel of the first failing term its title; False (and a note) when nothing failed."""
    axes.set_title(f"first failing term: {title}", fontsize=9)
    if worst is None:
        axes.text(0.5, 0.5, "every row passed", ha="center", va="center", transform=axes.transAxes)
    return worst is not None


def _per_channel(axes, worst):
    if not _titled(axes, "error per channel against its tolerance", worst):
        return
    check, row = worst
    a, b, _ = row.values
    errors = row.channel_errors or channel_errors(a, b, row.scale) or [row.a_b.rel]
    axes.bar(range(len(errors)), errors, color="#D55E00")
    axes.axhline(row.a_b.tolerance, color="black", linestyle="--", label=f"tolerance {row.a_b.tolerance:.0e}")
    axes.set_yscale("log")
    axes.set_xlabel("channel")
    axes.set_ylabel(f"max |{check.names[0]} − {check.names[1]}| / largest")
    axes.legend(fontsize=8)
    axes.text(0.01, 0.99, f"{row.kind} {row.term}", transform=axes.transAxes, va="top", fontsize=8)


def _a_against_b(axes, worst):
    if not _titled(axes, "a against b, one dot per element", worst):
        return
    check, row = worst
    a, b, _ = (numpy.ravel(numpy.asarray(v, dtype=float)) if v is not None else None for v in row.values)
    axes.scatter(b, a, s=12, color="#0072B2")
    low, high = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    axes.plot([low, high], [low, high], color="black", linewidth=1, label="a = b")
    axes.set_xlabel(f"{check.names[1]} ({row.kind} {row.term})")
    axes.set_ylabel(check.names[0])
    axes.legend(fontsize=8)


def _error_against_x_hat(axes, checks):
    axes.set_title("BatchNorm dx: error against x̂ per channel (flat: μ route; sloped: σ² route)", fontsize=9)
    for check in checks:
        context = getattr(check, "batch_norm", None)
        failing = [row for row in check.failures if (row.kind, row.term) == ("grad", "x")]
        if context is None or not failing or not context["training"]:
            continue
        a, _, ref = failing[0].values
        *_, x_hat = routes(context["x"], check.grad_outputs[0], context["weight"], context["eps"])
        error, x_hat = per_channel(numpy.asarray(a) - numpy.asarray(ref)), per_channel(x_hat)
        for c, colour in zip(range(error.shape[0]), _PALETTE * (1 + error.shape[0] // len(_PALETTE)), strict=False):
            axes.scatter(x_hat[c], error[c], s=14, color=colour, label=f"channel {c}")
        axes.set_xlabel("x̂")
        axes.set_ylabel(f"{check.names[0]} dx − exact dx")
        axes.legend(fontsize=8)
        if failing[0].diagnosis:
            axes.text(0.01, 0.01, textwrap.fill(failing[0].diagnosis, 90), transform=axes.transAxes, fontsize=7)
        return
    axes.text(0.5, 0.5, "no failing BatchNorm dx in training mode", ha="center", va="center",
              transform=axes.transAxes)


#: Okabe–Ito: told apart with every common colour-vision deficiency.
_PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
