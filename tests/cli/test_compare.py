"""``tinygrad-bn compare``: the BatchNorm cross-check from the command line."""

import importlib
import json

import pytest

from tinygrad_bn.batchnorm import batch_norm
from tinygrad_bn.cli import main

QUICK = ["compare", "--shapes", "6,2", "--dtypes", "float64", "--no-timing"]


def test_prints_the_summary_and_exits_0_when_everything_agrees(capsys):
    assert main(QUICK) == 0
    out = capsys.readouterr().out
    assert "(6, 2) float64 · training · affine" in out and "BatchNorm1d running statistics" in out
    assert out.rstrip().endswith("all checks passed")


def test_checks_volumes_through_batchnorm3d(capsys):
    assert main(["compare", "--shapes", "3,2,2,2,2", "--dtypes", "float64", "--no-timing", "--order", "1"]) == 0
    out = capsys.readouterr().out
    assert "(3, 2, 2, 2, 2) float64 · training · affine" in out and "BatchNorm3d running statistics" in out


def test_json_output_is_one_object_for_scripts(capsys):
    assert main([*QUICK, "--modes", "eval", "--affine", "on", "--order", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is True and data["costs"] == []
    # one eval case with affine, then the running statistics with momentum 0.1 and None
    assert len(data["checks"]) == 3
    assert "eval · affine" in data["checks"][0]["title"]
    assert not any(row["kind"] == "2nd" for check in data["checks"] for row in check["rows"])


def test_times_and_measures_memory_at_the_timing_shape(capsys):
    args = ["compare", "--shapes", "6,2", "--dtypes", "float32", "--modes", "training", "--affine", "on",
            "--timing-shape", "8,4,3", "--rounds", "1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "kept for backward" in out and "(8, 4, 3)" in out


def test_exits_1_and_shows_the_failing_table_when_the_twins_disagree(capsys, monkeypatch):
    matrix = importlib.import_module("tinygrad_bn.check.compare_bn")

    def off_by_a_little(*args, impl, **kwargs):
        y = batch_norm(*args, impl=impl, **kwargs)
        return y * 1.001 if impl == "fused" else y

    monkeypatch.setattr(matrix, "batch_norm", off_by_a_little)
    assert main(QUICK) == 1
    out = capsys.readouterr().out
    assert "checks FAILED" in out and "✗" in out and "fused vs composite" in out


@pytest.mark.parametrize("shape", ["6", "6,x", "0,3", "1,3", "1,2,3,4,5,6"])
def test_rejects_shapes_it_cannot_check(shape, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--shapes", shape])
    assert exit_info.value.code == 2
    assert repr(shape) in capsys.readouterr().err


def test_order_4_and_pytorch_beside_the_twins(capsys):
    pytest.importorskip("torch")
    argv = ["compare", "--shapes", "8,3", "--dtypes", "float64", "--modes", "training", "--affine", "off",
            "--no-timing", "--order", "4", "--pytorch", "--json"]
    assert main(argv) == 0  # PyTorch's third order fails, but only the twins count
    data = json.loads(capsys.readouterr().out)
    pytorch = [check for check in data["checks"] if not check["in_verdict"]]
    assert len(pytorch) == 1 and not pytorch[0]["passed"]
    failing = [row for row in pytorch[0]["rows"] if not row["passed"]]
    assert min(row["order"] for row in failing) == 3
    assert all(row["adjudication"].startswith("composite agrees") for row in failing if row["term"] == "along v")


def test_plot_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "compare.png"
    assert main([*QUICK, "--modes", "training", "--affine", "on", "--plot", str(path)]) == 0
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv", [["--rounds", "0"], ["--steps", "0"], ["--seed", "-1"]])
def test_argument_errors_exit_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*QUICK, *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and argv[0] in err


def test_an_order_outside_1_to_4_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*QUICK, "--order", "5"])
    assert exit_.value.code == 2 and "--order" in capsys.readouterr().err


def test_the_documented_pytorch_finding_is_what_the_command_prints(capsys):
    """docs/cross-check.md §6 quotes this command's third-order rows."""
    pytest.importorskip("torch")
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "cross-check.md").read_text()
    docs = text[text.index("## 6. PyTorch"):text.index("## 7.")]
    command = next(line for line in docs.splitlines() if line.startswith("$ tinygrad-bn compare --order 3 --pytorch"))
    assert main(command.split()[2:]) == 0  # after "$ tinygrad-bn"
    out = capsys.readouterr().out
    quoted = [line for line in docs.splitlines() if line.startswith(("3rd ", "✗ 3rd "))]
    assert len(quoted) == 6
    for line in quoted:
        assert line in out
