"""The example scripts: ``--help`` says what each does and runs nothing (the
experiments rewrite docs/experiments.md and docs/images when they run)."""

import ast
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
