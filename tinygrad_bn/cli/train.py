"""``tinygrad-bn train``: train a toy model, show a progress bar per epoch, save a
checkpoint after every epoch (and the loss curves as a PNG when matplotlib is
installed). ``--resume`` continues the run of a checkpoint, with its settings.

With ``--json`` the last line of stdout is one JSON object with the results;
progress goes to stderr either way.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys

from tinygrad_bn.backend import get_backend
from tinygrad_bn.checkpoint import read_checkpoint
from tinygrad_bn.data import DATASETS
from tinygrad_bn.train import MODELS, NORMS, SCHEDULES, TrainConfig, fit

DEFAULTS = TrainConfig()


def configure(parser):
    options = [
        ("--model", {"choices": MODELS}, "MLP or small CNN"),
        ("--norm", {"choices": NORMS}, "BatchNorm implementation, or none"),
        ("--dataset", {"choices": list(DATASETS)}, "bundled digits or a synthetic set"),
        ("--epochs", {"type": int}, "passes over the training set in all (with --resume, counting those done)"),
        ("--lr", {"type": float}, "SGD learning rate"),
        ("--schedule", {"choices": SCHEDULES}, "learning rate per epoch: constant, or cosine annealing over --epochs"),
        ("--momentum", {"type": float}, "SGD momentum"),
        ("--batch-size", {"type": int}, "samples per step (the last incomplete batch is dropped)"),
        ("--hidden", {"type": int}, "width of the MLP's hidden layers"),
        ("--seed", {"type": int}, "seed of the weights and the batch order"),
        ("--device", {}, "cpu or cuda"),
    ]
    for flag, kind, help_text in options:
        default = getattr(DEFAULTS, flag[2:].replace("-", "_"))
        parser.add_argument(flag, help=f"{help_text} (default: {default})", **kind)
    parser.add_argument(
        "--resume", metavar="CHECKPOINT",
        help="continue the run saved in CHECKPOINT (a .npz of this command) up to --epochs in all (default: its "
        "planned epochs) with its settings: the options above may only repeat them, but for --epochs and --device; "
        "a cosine schedule resumes only to its planned epochs",
    )
    parser.add_argument("--out", default="runs", help="output directory (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="end stdout with the results as one JSON object")


class ProgressBar:
    """One line per epoch with a bar, the running loss and accuracy:

    ``epoch  3/15 [##########··········]  11/22  loss 0.2345  acc 93.1%``

    On a terminal the line is redrawn after every step; elsewhere (a log file, a
    pipe) only the finished line of each epoch is written.
    """

    def __init__(self, epochs: int, stream, width: int = 20):
        self.epochs = epochs
        self.stream = stream
        self.width = width
        self.live = stream.isatty()
        self.line = ""

    def step(self, epoch, step, steps, loss, accuracy):
        filled = round(self.width * step / steps)
        bar = "#" * filled + "·" * (self.width - filled)
        digits = len(str(self.epochs))
        self.line = (
            f"epoch {epoch:>{digits}}/{self.epochs} [{bar}] {step:>{len(str(steps))}}/{steps}"
            f"  loss {loss:.4f}  acc {accuracy:6.1%}"
        )
        if self.live:
            self.stream.write("\r" + self.line)
            self.stream.flush()

    def end_epoch(self, record):
        ending = (
            f"  | test loss {record.test_loss:.4f}  acc {record.test_accuracy:6.1%}  {record.seconds:5.1f} s"
        )
        self.stream.write(("\r" if self.live else "") + self.line + ending + "\n")
        self.stream.flush()


def save_loss_curves(result, path) -> str | None:
    """Plot training and test loss per epoch to ``path``; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        return None
    epochs = [record.epoch for record in result.history]
    figure, axes = pyplot.subplots(figsize=(5, 3.2))
    axes.plot(epochs, [record.train_loss for record in result.history], marker="o", label="train (batches)")
    axes.plot(epochs, [record.test_loss for record in result.history], marker="o", label="test")
    config = result.config
    axes.set(xlabel="epoch", ylabel="cross-entropy", yscale="log",
             title=f"{config.model}, norm={config.norm}, {config.dataset}")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return os.fspath(path)


def chosen_config(args) -> TrainConfig:
    """The options given over the defaults, or with ``--resume`` over the checkpoint's
    settings (:func:`tinygrad_bn.train.fit` then refuses those that differ from them)."""
    given = {field.name: getattr(args, field.name) for field in dataclasses.fields(TrainConfig)}
    given = {name: value for name, value in given.items() if value is not None}
    if args.resume is None:
        return TrainConfig(**given)
    _, metadata = read_checkpoint(args.resume)
    return TrainConfig(**{**metadata.get("config", {}), **given})


def run(args) -> int:
    try:
        config = chosen_config(args)
        get_backend(config.device)
    except (ValueError, RuntimeError, OSError) as error:
        print(f"tinygrad-bn train: {error}", file=sys.stderr)
        return 2
    progress = ProgressBar(config.epochs, sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"{config.model}-{config.norm}-{config.dataset}")
    checkpoint = stem + ".npz"
    try:
        result = fit(config, progress.step, progress.end_epoch, resume=args.resume, checkpoint=checkpoint)
    except ValueError as error:  # a model that does not fit the dataset, or a checkpoint that does not fit
        print(f"tinygrad-bn train: {error}", file=sys.stderr)
        return 2
    summary = result.summary()
    summary["checkpoint"] = checkpoint
    summary["plot"] = save_loss_curves(result, stem + "-loss.png")
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"test accuracy {summary['test_accuracy']:.2%} after {summary['epochs']} epochs "
            f"in {summary['seconds']:.1f} s; checkpoint {summary['checkpoint']}"
            + (f", loss curves {summary['plot']}" if summary["plot"] else "")
        )
    return 0
