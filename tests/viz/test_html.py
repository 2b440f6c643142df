"""The step-through page: one self-contained file, replayed in a real browser."""

import os
import re
import shutil
from pathlib import Path

import numpy
import pytest

from tinygrad_bn import Tensor, nn
from tinygrad_bn.autograd.engine import observe_backward
from tinygrad_bn.viz import to_html
from tinygrad_bn.viz.dot import picture_of

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz program is not installed")


def batch_norm(impl, shape=(4, 3)):
    rng = numpy.random.default_rng(0)
    x = Tensor(rng.normal(size=shape).astype("float32"), requires_grad=True)
    bn = nn.BatchNorm1d(shape[1], impl=impl)
    return bn(x), {"model": bn, "inputs": {"x": x}}, Tensor(rng.normal(size=shape).astype("float32"))


def small_model():
    """Linear → BatchNorm → ReLU → Linear → cross-entropy on a batch of 8."""
    rng = numpy.random.default_rng(1)
    model = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4, impl="composite"), nn.ReLU(), nn.Linear(4, 3))
    x = Tensor(rng.normal(size=(8, 5)).astype("float32"))
    target = Tensor(rng.integers(0, 3, size=8))
    return nn.CrossEntropyLoss()(model(x), target), {"model": model, "inputs": {"x": x}}, None


# the first text of each highlighted node, and the panel's heading
RUNNING = """return [
    Array.from(document.querySelectorAll('g.node.tgbn-running'), g => g.querySelector('text').textContent),
    document.querySelector('.tgbn-panel h3').textContent]"""


def engine_order(outputs, grad_outputs, title):
    """The titles (``title(node)``) of the nodes in the order the engine runs them, watched directly."""
    ran = []

    def run(node, grad):
        ran.append(title(node))
        return node.backward(grad)

    with observe_backward(run):
        for output, dy in zip(outputs, grad_outputs):
            output.backward(dy, retain_graph=True)
    return ran


def titles_in_picture(outputs, options):
    """The title each op node has in the picture of ``outputs``."""
    picture = picture_of(outputs, **options)
    picture.digraph("TB")
    return picture.op_title


@needs_dot
@pytest.mark.parametrize("case", ["composite", "fused", "both", "model"])
def test_the_page_is_self_contained(case):
    page = build(case)[0]
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 1
    without_namespaces = re.sub(r'xmlns(:xlink)?="[^"]*"', "", page)
    assert "http://" not in without_namespaces.replace("http://www.w3.org/", "")
    assert "https://" not in page and " src=" not in page and "<link" not in page
    assert len(page.encode("utf-8")) <= 5 * 2**20
    assert page._repr_html_() in page and page._repr_html_().startswith('<div class="tgbn-stepper"')


def build(case):
    if case == "both":
        composite, composite_options, dy = batch_norm("composite")
        fused, fused_options, _ = batch_norm("fused")
        options = {"params": [*composite_options["model"].named_parameters(prefix="composite"),
                              *fused_options["model"].named_parameters(prefix="fused")]}
        outputs, grad_outputs = [composite, fused], [dy, dy]
    else:
        output, options, dy = small_model() if case == "model" else batch_norm(case)
        outputs, grad_outputs = [output], [dy]
    page = to_html(*outputs, grad_outputs=None if case == "model" else grad_outputs, **options)
    return page, outputs, grad_outputs, options


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium from Debian's packages, driven through the system chromedriver
    (one browser for the module: starting one takes seconds)."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # never download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--no-first-run",
                     "--disable-sync", f"--user-data-dir={tmp_path_factory.mktemp('profile')}",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


@needs_dot
@pytest.mark.parametrize("case", ["composite", "fused", "both", "model"])
def test_stepping_follows_the_engines_order_in_a_browser(browser, tmp_path, case):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page, outputs, grad_outputs, options = build(case)
    title = titles_in_picture(outputs, options)
    # both twins run in one backward, so check each twin's own order within it
    expected = None if case == "both" else engine_order(outputs, grad_outputs, title)
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    browser.get(path.as_uri())
    assert browser.execute_script("return document.querySelector('.tgbn-stepper').dataset.ready") == "true"
    body = browser.find_element(By.TAG_NAME, "body")
    count = browser.execute_script("return JSON.parse(document.querySelector('script.tgbn-steps').text).steps.length")
    titles = []
    for _ in range(count):
        body.send_keys(Keys.ARROW_RIGHT)
        running, heading = browser.execute_script(RUNNING)
        assert len(running) == 1 and heading == running[0]
        titles.append(running[0])
    if expected is not None:
        assert titles == expected
    else:
        assert sorted(titles) == sorted(engine_order(outputs[:1], grad_outputs[:1], title)
                                        + engine_order(outputs[1:], grad_outputs[1:], title))
    body.send_keys(Keys.ARROW_RIGHT)  # past the end: stays on the last step
    assert browser.execute_script("return document.querySelector('.tgbn-stepper').dataset.step") == str(count - 1)
    body.send_keys(Keys.ARROW_LEFT)
    running = browser.find_elements(By.CSS_SELECTOR, "g.node.tgbn-running")
    assert [g.find_element(By.TAG_NAME, "text").text for g in running] == titles[-2:-1]
    browser.find_element(By.CLASS_NAME, "tgbn-next").click()
    assert browser.execute_script("return document.querySelector('.tgbn-stepper').dataset.step") == str(count - 1)
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []


@needs_dot
def test_a_fan_out_shows_as_accumulation_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page, outputs, grad_outputs, _ = build("composite")
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    browser.get(path.as_uri())
    body = browser.find_element(By.TAG_NAME, "body")
    panel = browser.find_element(By.CLASS_NAME, "tgbn-panel")
    while not panel.text.startswith("centre"):
        body.send_keys(Keys.ARROW_RIGHT)
    assert "the sum of 2 gradients" in panel.text
    assert "from normalize" in panel.text and "from square" in panel.text
