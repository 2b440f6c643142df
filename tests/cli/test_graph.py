import re
import shutil
import xml.etree.ElementTree as ElementTree

import pytest

from tinygrad_bn.cli import main
from tinygrad_bn.cli.graph import IMPLS

CLUSTERS = {"composite": 1, "fused": 1, "both": 2}
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz program is not installed")


def svg_groups(path, kind: str) -> list:
    """The text of each ``<g class=kind>`` group of an SVG file."""
    ns = "{http://www.w3.org/2000/svg}"
    groups = [g for g in ElementTree.parse(path).iter(f"{ns}g") if g.get("class") == kind]
    return [" ".join(t.text or "" for t in g.iter(f"{ns}text")) for g in groups]


@pytest.mark.parametrize("impl", ["composite", "fused", "both"])
def test_dot_output(tmp_path, capsys, impl):
    out = tmp_path / "bn.dot"
    assert main(["graph", "--impl", impl, "--format", "dot", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    dot = out.read_text(encoding="utf-8")
    assert dot.startswith("digraph {")
    assert dot.count("subgraph cluster_") - dot.count("subgraph cluster_legend") == CLUSTERS[impl]
    assert ("BatchNorm1d · composite" in dot) == (impl != "fused")
    assert ("BatchNorm (fused)" in dot) == (impl != "composite")


@needs_dot
@pytest.mark.parametrize("impl", ["composite", "fused", "both"])
def test_svg_output(tmp_path, impl):
    out = tmp_path / "bn.svg"
    assert main(["graph", "--impl", impl, "--format", "svg", "--out", str(out)]) == 0
    clusters = [c for c in svg_groups(out, "cluster") if not c.startswith("legend")]
    assert len(clusters) == CLUSTERS[impl]
    nodes = " | ".join(svg_groups(out, "node"))
    if impl == "both":
        assert sorted(c.split(" · ")[1].split()[0] for c in clusters) == ["composite", "fused"]
        assert "composite.x" in nodes and "fused.x" in nodes
    else:
        assert "x (4, 3) float32" in nodes


@needs_dot
def test_both_twins_show_the_same_gradient_for_the_same_input(tmp_path):
    out = tmp_path / "bn.svg"
    assert main(["graph", "--impl", "both", "--grads", "--shape", "5,2", "--out", str(out)]) == 0
    nodes = svg_groups(out, "node")
    grads = [text.split("grad norm ")[1] for text in nodes if text.startswith(("composite.x", "fused.x"))]
    assert len(grads) == 2 and grads[0] == grads[1]


@pytest.mark.parametrize(
    ("flags", "present", "absent"),
    [
        (["--eval", "--impl", "fused"], "eval", "training ·"),
        (["--impl", "fused"], "training ·", "eval"),
        (["--grads"], "grad norm", None),
        (["--saved"], "saved ·", "keeps nothing"),
        (["--backward", "--impl", "composite"], "∂ normalize", None),
        (["--backward", "--impl", "fused"], "(B7) dx", None),
        (["--grads", "--impl", "composite"], "label=\" ", None),  # an edge labelled with its gradient norm
        (["--shape", "2,3,4,4"], "BatchNorm2d · composite", "BatchNorm1d"),
        (["--shape", "2,3,2,2,2"], "BatchNorm3d · composite", "BatchNorm1d"),
        (["--shape", "2,3,5"], "(2, 3, 5) float32", None),
        (["--collapse", "--impl", "composite"], "ops folded", "subgraph"),
    ],
)
def test_options(tmp_path, flags, present, absent):
    out = tmp_path / "bn.dot"
    assert main(["graph", *flags, "--out", str(out)]) == 0  # the suffix chooses DOT
    dot = out.read_text(encoding="utf-8")
    assert present in dot
    assert absent is None or absent not in dot


@pytest.mark.parametrize("shape", ["4", "4,0", "a,b", "1,2,3,4,5,6"])
def test_bad_shape_is_a_usage_error(tmp_path, capsys, shape):
    with pytest.raises(SystemExit) as exit_info:
        main(["graph", "--shape", shape, "--out", str(tmp_path / "g.dot")])
    assert exit_info.value.code == 2
    expected = f"expected N,C or N,C,L or N,C,H,W or N,C,D,H,W (positive integers, e.g. 4,3), got '{shape}'"
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_without_graphviz_images_fail_with_one_clear_line(tmp_path, capsys, monkeypatch, fmt):
    monkeypatch.setenv("PATH", "")
    out = tmp_path / f"bn.{fmt}"
    assert main(["graph", "--format", fmt, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "Graphviz" in err and "apt-get install graphviz" in err and "--format dot" in err
    assert not out.exists()
    assert main(["graph", "--format", "dot", "--out", str(tmp_path / "bn.dot")]) == 0


def test_the_output_folder_is_created(tmp_path, capsys):
    out = tmp_path / "missing" / "deeper" / "bn.dot"
    assert main(["graph", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("digraph {")


def test_unwritable_output_is_reported(tmp_path, capsys):
    out = tmp_path / "taken.dot"
    out.mkdir()
    assert main(["graph", "--out", str(out)]) == 1
    assert f"cannot write {out}: Is a directory" in capsys.readouterr().err


MAGIC = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF", "dot": b"digraph {", "html": b"<!DOCTYPE html>"}


@needs_dot
@pytest.mark.parametrize(("name", "flags", "fmt"), [
    ("bn.svg", [], "svg"), ("bn.PNG", [], "png"), ("bn.pdf", [], "pdf"), ("bn.gv", [], "dot"),
    ("bn.html", [], "html"), ("bn", [], "svg"), ("bn", ["--format", "png"], "png"),
    ("bn.png", ["--format", "png"], "png"),
])
def test_the_format_comes_from_the_suffix_or_format(tmp_path, name, flags, fmt):
    out = tmp_path / name
    assert main(["graph", "--impl", "composite", *flags, "--out", str(out)]) == 0
    assert out.read_bytes().startswith(MAGIC[fmt])


@pytest.mark.parametrize(("name", "flags", "message"), [
    ("bn.jpg", [], "ends in .jpg, which is none of .svg, .png, .pdf, .dot, .gv, .html"),
    ("bn.svg", ["--format", "png"], "--format png but --out"),
    ("bn.jpg", ["--format", "svg"], "ends in .jpg"),
])
def test_a_suffix_that_is_unknown_or_disagrees_is_a_usage_error(tmp_path, capsys, name, flags, message):
    out = tmp_path / name
    assert main(["graph", *flags, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not out.exists()


@needs_dot
@pytest.mark.parametrize("flags", [[], ["--grads"], ["--backward"]])
def test_both_is_a_comparison_with_a_verdict(tmp_path, flags):
    out = tmp_path / "bn.svg"
    assert main(["graph", "--impl", "both", *flags, "--out", str(out)]) == 0
    ns = "{http://www.w3.org/2000/svg}"
    groups = {g.findtext(f"{ns}title"): g for g in ElementTree.parse(out).iter(f"{ns}g")
              if g.get("class") in ("node", "edge")}
    verdict = " ".join(t.text or "" for t in groups["verdict"].iter(f"{ns}text"))
    assert verdict.startswith("composite against fused")
    for term in ("y", "dx", "dγ", "dβ"):
        value = re.search(rf"max \|Δ{term}\| (\S+) (\S+)", verdict)
        assert value and value.group(2) == "ok" and float(value.group(1)) < 1e-5
    assert "float32: ok when within 1e-05" in verdict
    nodes = " | ".join(svg_groups(out, "node"))
    wanted = ("composite y", "fused y") if not flags or flags == ["--grads"] else ("composite dx", "fused dx")
    for title in wanted:
        assert title in nodes
    assert "output 0" not in nodes and "output 1" not in nodes
    compared = [title for title in groups if title.endswith("->verdict")]
    assert len(compared) == (2 if flags != ["--backward"] else 6)


@needs_dot
def test_html_page_for_each_impl(tmp_path):
    for impl in IMPLS:
        out = tmp_path / impl / "bn.html"
        assert main(["graph", "--impl", impl, "--format", "html", "--out", str(out)]) == 0
        page = out.read_text(encoding="utf-8")
        assert page.count("<svg") == 1 and "tgbn-stepper" in page and "https://" not in page


def test_a_shape_training_refuses_is_one_line_naming_the_option(tmp_path, capsys):
    assert main(["graph", "--shape", "1,3", "--out", str(tmp_path / "g.dot")]) == 2
    err = capsys.readouterr().err
    assert err == (
        "tinygrad-bn graph: argument --shape: Expected more than 1 value per channel when training, "
        "got input size (1, 3)\n"
    )
    assert not (tmp_path / "g.dot").exists()
    assert main(["graph", "--shape", "1,3", "--eval", "--out", str(tmp_path / "g.dot")]) == 0
