import shutil
import xml.etree.ElementTree as ElementTree

import pytest

from tinygrad_bn.cli import main

CLUSTERS = {"composite": 1, "fused": 0, "both": 2}
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
    assert dot.count("subgraph cluster_") == CLUSTERS[impl]
    assert ("BatchNorm1d · composite" in dot) == (impl != "fused")
    assert ("BatchNorm (fused)" in dot) == (impl != "composite")


@needs_dot
@pytest.mark.parametrize("impl", ["composite", "fused", "both"])
def test_svg_output(tmp_path, impl):
    out = tmp_path / "bn.svg"
    assert main(["graph", "--impl", impl, "--format", "svg", "--out", str(out)]) == 0
    clusters = svg_groups(out, "cluster")
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
        (["--saved"], "keeps", None),
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


def test_unwritable_output_is_reported(tmp_path, capsys):
    out = tmp_path / "missing" / "bn.dot"
    assert main(["graph", "--out", str(out)]) == 1
    assert f"cannot write {out}: No such file or directory" in capsys.readouterr().err
