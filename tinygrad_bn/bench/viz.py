"""How long pictures of a large graph take: a 2,000-op graph to SVG, and the size of
its step-through page and the time until the page is ready in headless Chromium.

The graph: blocks of Linear(8, 8) → composite BatchNorm1d(8) → ReLU on a batch of
16, stacked until the graph has at least ``ops`` op nodes, then a sum. Goals: SVG
in ≤ 3 s; a page of ≤ 5 MB that is ready in ≤ 5 s, each decided on the median of
``runs`` measurements.

    tinygrad-bn bench viz          (or python -m tinygrad_bn.bench.viz)
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy

from tinygrad_bn import Tensor, nn
from tinygrad_bn.autograd.graph import nodes
from tinygrad_bn.timing import format_mib
from tinygrad_bn.viz import draw_graph, to_html

OPS = 2000
RUNS = 3
HEADING = f"viz: a graph of {OPS:,} ops drawn to SVG and as a step-through page, median of {{runs}} runs"
GOALS = {"svg_seconds": 3.0, "page_bytes": 5 * 2**20, "ready_seconds": 5.0}
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def large_graph(ops: int = OPS):
    """(loss, model, x): the blocks described above, with at least ``ops`` op nodes."""
    rng = numpy.random.default_rng(0)
    x = Tensor(rng.normal(size=(16, 8)).astype("float32"))
    layers, y = [], x
    while len(nodes(y)) < ops:
        block = [nn.Linear(8, 8), nn.BatchNorm1d(8, impl="composite"), nn.ReLU()]
        layers += block
        for layer in block:
            y = layer(y)
    return y.sum(), nn.Sequential(*layers), x


def _ready_seconds(page: str) -> float | None:
    """Seconds from loading the page from disk until its script has run (None
    without Debian's chromium and chromium-driver)."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.html"
        path.write_text(page, encoding="utf-8")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--no-first-run", f"--user-data-dir={folder}/profile"):
            options.add_argument(argument)
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
        try:
            start = time.perf_counter()
            driver.get(path.as_uri())  # returns once the page has loaded and its scripts ran
            ready = driver.execute_script("return document.querySelector('.tgbn-stepper').dataset.ready")
            seconds = time.perf_counter() - start
        finally:
            driver.quit()
    return seconds if ready == "true" else float("inf")


def run(runs: int = RUNS, ops: int = OPS) -> dict:
    """Measure ``runs`` times; each time is the median (and the range) over the runs."""
    loss, model, x = large_graph(ops)
    svg_seconds, page_seconds, ready_seconds, page = [], [], [], None
    for _ in range(runs):
        start = time.perf_counter()
        draw_graph(loss, model=model, inputs={"x": x}).pipe(format="svg")
        svg_seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        page = to_html(loss, model=model, inputs={"x": x})
        page_seconds.append(time.perf_counter() - start)
        ready_seconds.append(_ready_seconds(page))
    return {
        "ops": len(nodes(loss)),
        "runs": runs,
        "svg_seconds": svg_seconds,
        "page_build_seconds": page_seconds,
        "page_bytes": len(page.encode("utf-8")),
        "ready_seconds": None if None in ready_seconds else ready_seconds,
        "goals": GOALS,
    }


def _times(seconds: list, goal: float) -> str:
    median = statistics.median(seconds)
    verdict = "meets" if median <= goal else "misses"
    return f"{median:.2f} s (runs {min(seconds):.2f}–{max(seconds):.2f})   goal ≤ {goal:g} s: {verdict}"


def report(result: dict, heading: bool = True) -> str:
    ready = result["ready_seconds"]
    size = result["page_bytes"]
    size_verdict = "meets" if size <= GOALS["page_bytes"] else "misses"
    lines = [HEADING.format(runs=result["runs"])] if heading else []
    return "\n".join(lines + [
        f"  a graph of {result['ops']} ops",
        f"  to SVG (dot)           {_times(result['svg_seconds'], GOALS['svg_seconds'])}",
        f"  step-through page      {format_mib(size)}, built in {statistics.median(result['page_build_seconds']):.2f} s"
        f"   goal ≤ {format_mib(GOALS['page_bytes'])}: {size_verdict}",
        "  page ready in Chromium " + ("not measured (no chromium)" if ready is None
                                       else _times(ready, GOALS["ready_seconds"])),
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--ops", type=int, default=OPS)
    arguments = parser.parse_args()
    print(report(run(arguments.runs, arguments.ops)))
