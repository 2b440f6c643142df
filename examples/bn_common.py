"""What the BN experiments (examples/bn_*.py) share: the digits data, an MLP
builder, a training run that records its curve, and writing each experiment's
table into docs/experiments.md and its figure into docs/images/.

A table lives in docs/experiments.md between ``<!-- name -->`` and
``<!-- /name -->``; running the script replaces what is between the markers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from tinygrad_bn import data, manual_seed, nn
from tinygrad_bn.data import DataLoader
from tinygrad_bn.train import evaluate, train_step

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "experiments.md"
IMAGES = ROOT / "docs" / "images"


def digits(batch_size: int, dtype: str = "float32"):
    """The digits training loader (shuffled with seed 0, whole batches only) and test set,
    their images in ``dtype`` (a model computes in one dtype, as in PyTorch)."""
    train_set, test_set = data.load("digits")
    for dataset in (train_set, test_set):
        dataset.features = dataset.features.astype(dtype)
    return DataLoader(train_set, batch_size, shuffle=True, drop_last=True, seed=0), test_set


def mlp(widths, activation, norm: str, init_std: float | None = None, init_scale: float = 1.0) -> nn.Sequential:
    """Flatten, then per hidden width: Linear → BatchNorm1d (unless ``norm`` is
    "none"; the Linear then drops its bias) → ``activation()``; then a Linear classifier.

    Weights start from PyTorch's default init, or from N(0, ``init_std``²) with
    zero biases; ``init_scale`` multiplies the hidden layers' weights after that.
    """
    manual_seed(0)
    layers = [nn.Flatten()]
    hidden = []
    for width_in, width_out in zip(widths[:-2], widths[1:-1], strict=True):
        linear = nn.Linear(width_in, width_out, bias=norm == "none")
        hidden.append(linear)
        layers += [linear, *([] if norm == "none" else [nn.BatchNorm1d(width_out, impl=norm)]), activation()]
    classifier = nn.Linear(widths[-2], widths[-1])
    model = nn.Sequential(*layers, classifier)
    if init_std is not None:
        for linear in [*hidden, classifier]:
            nn.init.normal_(linear.weight, 0.0, init_std)
            if linear.bias is not None:
                nn.init.zeros_(linear.bias)
    for linear in hidden:
        linear.weight._data *= init_scale
    return model


@dataclass
class Run:
    """One training run: per-step losses, and test accuracy after each epoch."""

    label: str
    losses: list = field(default_factory=list)
    eval_steps: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    diverged: bool = False

    def steps_to(self, accuracy: float):
        """The first evaluated step at which test accuracy reached ``accuracy``, or None."""
        return next((s for s, a in zip(self.eval_steps, self.test_accuracy, strict=True) if a >= accuracy), None)

    @property
    def final_accuracy(self) -> float:
        return self.test_accuracy[-1] if self.test_accuracy else float("nan")


def train(label, model, optimizer, loader, test_set, epochs: int, after_epoch=None) -> Run:
    """Train for ``epochs``, evaluating after each; stop early once the loss is not
    finite (the run diverged). ``after_epoch(model, step)`` may record more."""
    run = Run(label)
    for _ in range(epochs):
        model.train()
        for x, target in loader:
            loss, _ = train_step(model, optimizer, x, target)
            run.losses.append(loss.item())
            if not math.isfinite(run.losses[-1]):
                run.diverged = True
                break
        run.eval_steps.append(len(run.losses))
        run.test_accuracy.append(evaluate(model, test_set)[1])
        if after_epoch is not None:
            after_epoch(model, len(run.losses))
        if run.diverged:
            break
    return run


def markdown_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def percent(value) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.1%}"


def write_section(name: str, body: str):
    """Replace the text between ``<!-- name -->`` and ``<!-- /name -->`` in docs/experiments.md."""
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    text = DOCS.read_text()
    if begin not in text or end not in text:
        raise ValueError(f"{DOCS} has no section markers {begin} ... {end}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    DOCS.write_text(f"{head}{begin}\n{body}\n{end}{tail}")
    print(body)


def pyplot():
    """matplotlib's pyplot (non-interactive), or None when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[plot]'): no figure")
        return None
    return plt


def save_figure(figure, name: str) -> Path:
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / name
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"figure: {path.relative_to(ROOT)}")
    return path
