"""The example scripts: ``--help`` says what each does and runs nothing (the
experiments rewrite docs/experiments.md and docs/images when they run)."""

import ast
import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if p.name != "bn_common.py")
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


TINY = [p for p in SCRIPTS if "--tiny" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("script", TINY, ids=lambda p: p.stem)
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
    assert {"bn_bias_before", "bn_landscape", "bn_batch_noise"} <= {p.stem for p in TINY}
