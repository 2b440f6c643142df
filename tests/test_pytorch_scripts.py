"""The PyTorch scripts in examples/pytorch/ run on tinygrad_bn with only their import lines
changed (docs/porting.md's table), and every training step's loss is PyTorch's.

Each script is run twice in this process: as written, under PyTorch, and with its source's
import lines rewritten to tinygrad_bn. Both runs start from the same weights (the scripts
draw them with NumPy) and read the same batches.
"""

import ast
import pathlib
import re
import types

import numpy
import pytest

SCRIPTS = pathlib.Path(__file__).resolve().parents[1] / "examples" / "pytorch"

# each script's main() at settings small enough for the suite
TINY = {
    "mlp_bn_sgd": {"steps": 30},
    "cnn_bn_adam": {"epochs": 1, "batch_size": 100, "dropout": 0.0},  # dropout masks are each framework's own
    "custom_functions": {"steps": 8},
    "digits_lstm": {"epochs": 1, "steps": 6},
}
RELATIVE_TOLERANCE = 1e-5

# `import torch` and `import torch.x as y`, `from torch[.x] import ...`: the name `torch`
# right after the keyword is the module path to replace
_TORCH_IMPORT = re.compile(r"^(import|from) torch(?=[.\s]|$)")


def to_tinygrad_bn(source: str) -> str:
    """``source`` with each import of torch rewritten by the table of docs/porting.md."""

    def rewrite(line: str) -> str:
        if line.strip() == "import torch":
            return "import tinygrad_bn as torch"
        return _TORCH_IMPORT.sub(r"\1 tinygrad_bn", line)

    return "\n".join(rewrite(line) for line in source.split("\n"))


def _import_lines(source: str) -> set[int]:
    """The numbers (from 1) of the lines that hold an import statement."""
    return {
        line
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for line in range(node.lineno, node.end_lineno + 1)
    }


def _run(path: pathlib.Path, source: str, name: str) -> list[float]:
    module = types.ModuleType(name)
    module.__file__ = str(path)  # the scripts find their data beside themselves
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module.main(**TINY[path.stem], verbose=False)


def test_every_script_has_tiny_settings():
    assert sorted(TINY) == sorted(p.stem for p in SCRIPTS.glob("*.py"))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("import torch", "import tinygrad_bn as torch"),
        ("import torch.nn as nn", "import tinygrad_bn.nn as nn"),
        ("import torch.nn.functional as F", "import tinygrad_bn.nn.functional as F"),
        ("from torch.optim.lr_scheduler import CosineAnnealingLR",
         "from tinygrad_bn.optim.lr_scheduler import CosineAnnealingLR"),
        ("from torch.utils.data import DataLoader", "from tinygrad_bn.utils.data import DataLoader"),
        ("from torch import nn", "from tinygrad_bn import nn"),
        ("import torchvision", "import torchvision"),
        ("x = torch.ones(3)  # import torch", "x = torch.ones(3)  # import torch"),
    ],
)
def test_the_rewrite_follows_the_import_table(line, expected):
    assert to_tinygrad_bn(line) == expected


@pytest.mark.parametrize("script", sorted(TINY))
def test_only_import_lines_change(script):
    source = (SCRIPTS / f"{script}.py").read_text(encoding="utf-8")
    ported = to_tinygrad_bn(source)
    changed = {n for n, (a, b) in enumerate(zip(source.split("\n"), ported.split("\n")), start=1) if a != b}
    assert changed, "the script imports nothing from torch"
    assert changed <= _import_lines(source) & _import_lines(ported)
    assert "torch." not in "".join(line for n, line in enumerate(ported.split("\n"), 1) if n in changed)


@pytest.mark.parametrize("script", sorted(TINY))
def test_every_loss_is_pytorchs(script, torch):
    path = SCRIPTS / f"{script}.py"
    source = path.read_text(encoding="utf-8")
    theirs = _run(path, source, f"{script}_torch")
    ours = _run(path, to_tinygrad_bn(source), f"{script}_tinygrad_bn")
    assert len(ours) == len(theirs) > 0
    numpy.testing.assert_allclose(ours, theirs, rtol=RELATIVE_TOLERANCE, atol=0)
