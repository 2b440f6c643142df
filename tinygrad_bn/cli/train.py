"""``tinygrad-bn train``: train a toy model, show a progress bar per epoch, save a
checkpoint after every epoch (and the loss curves as a PNG when matplotlib is
installed). ``--resume`` continues the run of a checkpoint, with its settings.

With ``--json`` the last line of stdout is one JSON object with the results;
progress goes to stderr either way.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import sys

import numpy

from tinygrad_bn.backend import get_backend
from tinygrad_bn.checkpoint import read_checkpoint
from tinygrad_bn.cli import natural_int, positive_float, positive_int
from tinygrad_bn.data import DATASETS
from tinygrad_bn.train import MODELS, NORMS, SCHEDULES, TrainConfig, fit, saved_config

DEFAULTS = TrainConfig()


def configure(parser):
    options = [
        ("--model", {"choices": MODELS}, "MLP or small CNN"),
        ("--norm", {"choices": NORMS}, "BatchNorm implementation, or none"),
        ("--dataset", {"choices": list(DATASETS)}, "bundled digits or a synthetic set"),
        ("--epochs", {"type": positive_int},
         "passes over the training set in all (with --resume, counting those done)"),
        ("--lr", {"type": positive_float}, "SGD learning rate"),
        ("--schedule", {"choices": SCHEDULES}, "learning rate per epoch: constant, or cosine annealing over --epochs"),
        ("--momentum", {"type": float}, "SGD momentum"),
        ("--batch-size", {"type": positive_int}, "samples per step (the last incomplete batch is dropped)"),
        ("--hidden", {"type": positive_int}, "width of the MLP's hidden layers"),
        ("--seed", {"type": natural_int}, "seed of the weights and the batch order"),
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
    parser.add_argument(
        "--out", help="directory of the checkpoint and the plot (default: runs, or with --resume the checkpoint's); "
        "a name taken by another run gets a number: mlp-fused-digits-2.npz",
    )
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
    saved = saved_config(args.resume, metadata) if "config" in metadata else {}
    return TrainConfig(**{**saved, **given})


def checkpoint_name(args, config: TrainConfig) -> str:
    """Where the run's checkpoint goes: a name of its own (:func:`reserve_checkpoint`)
    in ``--out``, else beside the checkpoint resumed, else in ``runs``."""
    folder = args.out or (os.path.dirname(args.resume) or "." if args.resume else "runs")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ValueError(f"argument --out: {folder} is a file, not a directory")
    if args.resume is None:
        stem = f"{config.model}-{config.norm}-{config.dataset}"
    else:  # numbered after the checkpoint resumed
        stem = re.sub(r"-\d+$", "", os.path.splitext(os.path.basename(args.resume))[0])
    return reserve_checkpoint(folder, stem)


def reserve_checkpoint(folder: str, stem: str) -> str:
    """The first free name of ``stem.npz``, ``stem-2.npz``, ``stem-3.npz``, ... in
    ``folder``, created empty at once so that no other run takes it."""
    os.makedirs(folder, exist_ok=True)
    for number in itertools.count(1):
        path = os.path.join(folder, f"{stem}.npz" if number == 1 else f"{stem}-{number}.npz")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue
        return path


def run(args) -> int:
    try:
        config = chosen_config(args)
        get_backend(config.device)
        checkpoint = checkpoint_name(args, config)
    except (ValueError, RuntimeError, OSError) as error:
        return _failed(error, 2)
    progress = ProgressBar(config.epochs, sys.stderr)
    try:
        with numpy.errstate(all="ignore"):  # a diverging run ends with one message, not NumPy's warnings
            result = fit(config, progress.step, progress.end_epoch, resume=args.resume, checkpoint=checkpoint)
    except ValueError as error:  # a model too large, or not for the dataset; a checkpoint that does not fit
        return _failed(error, 2)
    except (FloatingPointError, OSError) as error:  # a diverging run, a full disk
        kept = f"the last good checkpoint is {checkpoint}" if os.path.getsize(checkpoint) else "no epoch had ended"
        return _failed(f"{error}; {kept}", 1)
    finally:
        if not os.path.getsize(checkpoint):
            os.remove(checkpoint)  # the name reserved, unused
    summary = result.summary()
    summary["checkpoint"] = checkpoint
    summary["plot"] = save_loss_curves(result, checkpoint.removesuffix(".npz") + "-loss.png")
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"test accuracy {summary['test_accuracy']:.2%} after {summary['epochs']} epochs "
            f"in {summary['seconds']:.1f} s; checkpoint {summary['checkpoint']}"
            + (f", loss curves {summary['plot']}" if summary["plot"] else "")
        )
    return 0


def _failed(error, status: int) -> int:
    print(f"tinygrad-bn train: {error}", file=sys.stderr)
    return status
