"""A report as a picture (matplotlib) and as notebook output (HTML, pretty text)."""

import pytest

from tinygrad_bn.check import compare_bn, zoo
from tinygrad_bn.check.compare_bn import compare_case

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def failing():
    """The lecture-notes backward in training and eval mode (only training fails)."""
    return zoo.catch("lecture notes: μ and σ constant").checks


def _titles(figure):
    return [axes.get_title() for axes in figure.axes if axes.get_title()]


def test_a_failing_report_plots_four_panels(failing, tmp_path):
    path = tmp_path / "report.png"
    from tinygrad_bn.check.plot import plot_report

    figure = plot_report(failing, path)
    titles = _titles(figure)
    assert len(titles) == 4
    assert titles[0].startswith("log10(error / tolerance)")
    heat = figure.axes[0]
    assert len(heat.get_yticklabels()) == len(failing)  # one line per case
    assert len(heat.get_xticklabels()) == len({(r.kind, r.term) for c in failing for r in c.rows})
    per_channel = figure.axes[1]
    assert len(per_channel.patches) == 3  # one bar per channel of (8, 3)
    routes = figure.axes[3]
    assert len(routes.collections) == 3  # the error against x̂, one scatter per channel
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_passing_report_plots_without_failure_panels():
    report = compare_bn(shapes=[(4, 2)], dtypes=["float64"], modes=["training"], affine=[True],
                        timing_shape=None)
    figure = report.plot()
    assert len(_titles(figure)) == 4
    assert any(text.get_text() == "every row passed" for text in figure.axes[1].texts)


def test_reports_show_themselves_in_a_notebook(failing):
    training = failing[0]
    html = training._repr_html_()
    assert html.count("<tr>") == len(training.rows) + 1 and "✗" in html and "FAIL" in html

    class Printer:
        def __init__(self):
            self.out = []

        def text(self, value):
            self.out.append(value)

    printer = Printer()
    training._repr_pretty_(printer, cycle=False)
    assert printer.out == [str(training)]
    assert compare_case((4, 2), "float64")._repr_html_().count("✗") == 0
