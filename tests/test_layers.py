"""Imports flow one way through the package: each part imports only from the layers
below its own, never from a peer or from above (docs/architecture.md)."""

import ast
import pathlib

import pytest

import tinygrad_bn

PACKAGE = pathlib.Path(tinygrad_bn.__file__).parent
# Lowest first. "tinygrad_bn" stands for the names the top-level package exports
# (``from tinygrad_bn import Tensor``), which it gathers from up to nn and optim.
LAYERS = [
    {"device", "errors", "memory", "mersenne", "printing", "settings", "compiler"},
    {"backend", "timing", "dtypes"},
    {"autograd"},
    {"generator", "amp"},  # the generator's states are Tensors; GradScaler scales Tensors
    {"annotations", "random", "cuda", "cpu"},  # torch.cuda.amp and torch.cpu.amp are the amp names
    {"ops"},
    {"batchnorm", "linalg", "special"},
    {"torch_format"},
    {"torch_save"},
    {"serialization"},
    {"nn", "distributions", "tinygrad_bn"},
    {"optim", "jit"},  # above nn: optim.swa_utils averages Modules and resets BatchNorms, as PyTorch's does;
    # jit.ScriptModule is a Module
    {"data", "checkpoint", "models", "check", "viz", "func"},
    {"train", "utils"},
    {"bench"},
    {"cli"},
]
LEVEL = {part: level for level, parts in enumerate(LAYERS) for part in parts}
EXEMPT = {"__init__.py", "__main__.py"}  # the top-level package gathers the public names; __main__ runs the CLI


def _part(module: str) -> str:
    """The part of the package a dotted module name belongs to (``tinygrad_bn.ops.shape`` → ``ops``)."""
    names = module.split(".")
    if len(names) == 1:
        return "tinygrad_bn"
    return names[1] if (PACKAGE / names[1]).is_dir() or (PACKAGE / f"{names[1]}.py").exists() else "tinygrad_bn"


def _imported_parts(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (_part(alias.name) for alias in node.names if alias.name.split(".")[0] == "tinygrad_bn")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.split(".")[0] == "tinygrad_bn":
            if node.module == "tinygrad_bn":  # the package's version is metadata, not a layer
                yield from (_part(f"tinygrad_bn.{alias.name}") for alias in node.names if alias.name != "__version__")
            else:
                yield _part(node.module)


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).as_posix() not in EXEMPT)


def test_every_part_of_the_package_has_a_layer():
    parts = {_part("tinygrad_bn." + p.relative_to(PACKAGE).with_suffix("").parts[0]) for p in SOURCES}
    assert parts <= set(LEVEL), f"give these a layer: {sorted(parts - set(LEVEL))}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_imports_only_from_layers_below(path):
    own = _part("tinygrad_bn." + path.relative_to(PACKAGE).with_suffix("").parts[0])
    wrong = sorted({part for part in _imported_parts(path) if part != own and LEVEL[part] >= LEVEL[own]})
    assert not wrong, f"{own} (layer {LEVEL[own]}) imports {wrong} from its own layer or above"
