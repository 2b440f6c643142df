"""The pictures benchmark: its graph, and a report that decides each goal on the median."""

import pytest

from tinygrad_bn.autograd.graph import nodes
from tinygrad_bn.bench import viz


@pytest.mark.parametrize("ops", [30, 100])
def test_the_graph_has_at_least_the_asked_ops_in_whole_blocks(ops):
    loss, model, x = viz.large_graph(ops)
    count = len(nodes(loss))
    assert ops <= count < ops + 30  # a Linear → BatchNorm → ReLU block is fewer than 30 ops
    assert len(model) % 3 == 0


@pytest.mark.parametrize("svg, ready, verdicts", [
    ([2.0, 2.9, 3.5], [4.0, 4.5, 9.0], ("meets", "meets")),
    ([3.1, 3.2, 1.0], [5.5, 5.1, 1.0], ("misses", "misses")),
])
def test_the_report_decides_on_the_median(svg, ready, verdicts):
    result = {"ops": 2011, "runs": 3, "svg_seconds": svg, "page_build_seconds": [1.0] * 3,
              "page_bytes": 4 * 2**20, "ready_seconds": ready}
    lines = viz.report(result).splitlines()
    assert lines[0] == viz.HEADING.format(runs=3)
    svg_line = next(line for line in lines if "to SVG (dot)" in line)
    ready_line = next(line for line in lines if "ready in Chromium" in line)
    assert svg_line.endswith(verdicts[0]) and ready_line.endswith(verdicts[1])
    assert f"runs {min(svg):.2f}–{max(svg):.2f}" in svg_line
    assert next(line for line in lines if "page" in line and "MiB" in line).endswith("meets")


def test_without_chromium_the_page_time_is_not_measured():
    result = {"ops": 10, "runs": 1, "svg_seconds": [0.1], "page_build_seconds": [0.1], "page_bytes": 10,
              "ready_seconds": None}
    assert "not measured (no chromium)" in viz.report(result, heading=False)
