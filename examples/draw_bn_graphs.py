"""Draw the pictures of docs/visualization.md: the BatchNorm twins forward and
backward, their comparison, a small model, and the step-through page.

    python examples/draw_bn_graphs.py          # writes docs/images/bn-*.svg and bn-stepper.png

Needs the Graphviz ``dot`` program (``apt-get install graphviz``); the page's
screenshot needs Debian's ``chromium`` and ``chromium-driver`` and selenium
(it is skipped with a note when they are missing).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy

from tinygrad_bn import Tensor, nn
from tinygrad_bn.cli.graph import bn_graph, bn_page
from tinygrad_bn.viz import draw_graph

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def small_model():
    """Linear → BatchNorm → ReLU → Linear → cross-entropy, after one backward:
    the first Linear's bias, just before BatchNorm, gets a gradient of zero up to rounding."""
    rng = numpy.random.default_rng(1)
    model = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 3))
    x = Tensor(rng.normal(size=(8, 5)).astype("float32"))
    loss = nn.CrossEntropyLoss()(model(x), Tensor(rng.integers(0, 3, size=8)))
    loss.backward()
    return draw_graph(loss, model=model, inputs={"x": x}, output_names="loss", show_grads=True)


def stepper_screenshot(path: Path, steps: int):
    """The composite's page after ``steps`` presses of →, as the browser shows it."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        print(f"skipped {path}: Debian's chromium and chromium-driver are not installed")
        return
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    os.environ["SE_OFFLINE"] = "true"
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "bn.html"
        page.write_text(bn_page("composite", (4, 3)), encoding="utf-8")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", f"--user-data-dir={Path(folder) / 'profile'}", "--window-size=830,900",
                         "--hide-scrollbars"):
            options.add_argument(argument)
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
        try:
            driver.get(page.as_uri())
            body = driver.find_element(By.TAG_NAME, "body")
            for _ in range(steps):
                body.send_keys(Keys.ARROW_RIGHT)
            driver.save_screenshot(str(path))
        finally:
            driver.quit()
    print(f"wrote {path}")


def main():
    pictures = {
        # one BatchNorm1d(3) in training mode on a batch of 4, drawn with its names
        "bn-composite.svg": bn_graph("composite", (4, 3)),
        "bn-fused.svg": bn_graph("fused", (4, 3)),
        # the twins compared: aligned inputs, outputs side by side, the verdict
        "bn-both.svg": bn_graph("both", (4, 3)),
        # what each twin keeps for backward, on a batch of 64 × 16
        "bn-composite-saved.svg": bn_graph("composite", (64, 16), saved=True),
        "bn-fused-saved.svg": bn_graph("fused", (64, 16), saved=True),
        # the gradient each edge carries back, x's three routes apart
        "bn-composite-grads.svg": bn_graph("composite", (4, 3), grads=True),
        # the graphs the backward records under create_graph=True
        "bn-backward-composite.svg": bn_graph("composite", (4, 3), backward=True),
        "bn-backward-fused.svg": bn_graph("fused", (4, 3), backward=True),
        "bn-model.svg": small_model(),
    }
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, graph in pictures.items():
        path = IMAGES / name
        path.write_bytes(graph.pipe(format="svg"))
        print(f"wrote {path}")
    stepper_screenshot(IMAGES / "bn-stepper.png", steps=5)


if __name__ == "__main__":
    # no options: --help prints what the script does (and writes nothing)
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
