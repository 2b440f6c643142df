"""The notebooks in examples/: stored without outputs, and run top to bottom in a real
Jupyter kernel (the venv's own ``python3``), where their cells assert their own claims."""

from __future__ import annotations

import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def test_there_are_the_three_notebooks():
    assert {"bn_from_scratch", "bn_seeing_the_graph", "bn_training_and_higher_order"} <= {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert sum("assert " in cell.source for cell in code) >= 3  # the cells check their own claims


@pytest.fixture(scope="module")
def venv_kernel() -> str:
    """The name of the ``python3`` kernel, after checking that it is this interpreter's ipykernel
    (not a kernel installed for some other Python)."""
    pytest.importorskip("ipykernel")
    kernelspec = pytest.importorskip("jupyter_client.kernelspec")
    spec = kernelspec.KernelSpecManager().get_kernel_spec("python3")
    # jupyter_client runs a spec's "python" as sys.executable
    assert spec.argv[0] in ("python", sys.executable), spec.argv
    assert spec.argv[1:3] == ["-m", "ipykernel_launcher"], spec.argv
    return "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_its_asserts_hold(path, venv_kernel, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if "torch" in path.read_text(encoding="utf-8"):
        pytest.importorskip("torch")
    # the kernel imports this checkout's package, whatever is installed
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, kernel_name=venv_kernel, timeout=180,
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.output_type == "error"]
    assert not errors
