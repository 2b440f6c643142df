"""The example scripts: ``--help`` says what each does and runs nothing (the
experiments rewrite docs/experiments.md and docs/images when they run), and each one
runs with tiny settings, writing into a temporary directory. The PyTorch scripts in
examples/pytorch/ are run, under both frameworks, by tests/test_pytorch_scripts.py."""

import ast
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if p.name != "bn_common.py")  # not examples/pytorch/
DOCS = EXAMPLES.parent / "docs"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_help_describes_the_script_and_writes_nothing(script):
    before = {p: p.stat().st_mtime_ns for p in DOCS.rglob("*") if p.is_file()}
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120,
                          cwd=EXAMPLES)
    assert done.returncode == 0, done.stderr
    first_line = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))).splitlines()[0]
    assert first_line in done.stdout
    assert {p: p.stat().st_mtime_ns for p in DOCS.rglob("*") if p.is_file()} == before


WITH_TINY_OPTION = [p for p in SCRIPTS if "--tiny" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("script", WITH_TINY_OPTION, ids=lambda p: p.stem)
def test_tiny_settings_run_the_experiment_and_write_nothing(script):
    before = {p: p.stat().st_mtime_ns for p in DOCS.rglob("*") if p.is_file()}
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES.parent)}  # this checkout's package, whatever is installed
    done = subprocess.run([sys.executable, str(script), "--tiny"], capture_output=True, text=True, timeout=120,
                          cwd=EXAMPLES, env=env)
    assert done.returncode == 0, done.stderr
    table = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert len(table) >= 3 and "nan" not in done.stdout  # a header and rows of numbers
    assert {p: p.stat().st_mtime_ns for p in DOCS.rglob("*") if p.is_file()} == before


def test_the_three_claims_scripts_have_tiny_settings():
    assert {"bn_bias_before", "bn_landscape", "bn_batch_noise"} <= {p.stem for p in WITH_TINY_OPTION}

# A script without a --tiny option runs in-process with settings small enough for the
# suite: its module-level constants replaced by these ({} when it is already quick).
TINY = {
    "bn_fused_vs_composite": {"EPOCHS": 1, "BATCH": 512},
    "bn_learning_rates": {"EPOCHS": 1, "BATCH": 512, "MULTIPLIERS": (1, 30), "INIT_SCALES": (1.0,)},
    "bn_sigmoid_mlp": {"EPOCHS": 2, "BATCH": 512, "SETTLED_EPOCH": 1},
    "draw_bn_graphs": {},
    "wrong_backward": {},
}
OUTPUTS = ("ROOT", "DOCS", "IMAGES")  # where scripts and bn_common write: moved to a temporary directory


def test_every_script_runs_in_the_suite():
    missing = [p.name for p in SCRIPTS if p not in WITH_TINY_OPTION and p.stem not in TINY]
    assert not missing, f"give {missing} a --tiny option or tiny settings in TINY"


@pytest.mark.parametrize("script", [p for p in SCRIPTS if p.stem in TINY], ids=lambda p: p.stem)
def test_runs_with_tiny_settings(script, tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    module = _load(script, monkeypatch)
    for name, value in TINY[script.stem].items():
        assert hasattr(module, name), f"examples/{script.name} has no setting {name}"
        monkeypatch.setattr(module, name, value)
    for target in (module, sys.modules.get("bn_common")):
        for name in OUTPUTS:
            if target is not None and hasattr(target, name):
                original = getattr(target, name)
                copy = tmp_path if name == "ROOT" else tmp_path / original.name
                if original.is_file():
                    copy.write_bytes(original.read_bytes())
                monkeypatch.setattr(target, name, copy)
    assert module.main() in (None, 0)
    assert capsys.readouterr().out


def _load(script, monkeypatch):
    """The script as a module named after it (not run as __main__)."""
    spec = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, script.stem, module)
    spec.loader.exec_module(module)
    return module
