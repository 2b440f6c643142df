"""The training job: toy models (an MLP or a small CNN, with fused, composite or
no BatchNorm), the training loop, evaluation and checkpoints.

>>> result = fit(TrainConfig(dataset="blobs", epochs=2, batch_size=32, lr=0.05))
>>> [record.epoch for record in result.history]
[1, 2]
>>> result.test_accuracy > 0.5
True
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy

from tinygrad_bn import data as datasets
from tinygrad_bn import manual_seed, nn, no_grad, optim
from tinygrad_bn.data import DataLoader
from tinygrad_bn.nn import functional as F

MODELS = ("mlp", "cnn")
NORMS = ("fused", "composite", "none")
CHECKPOINT_FORMAT = "tinygrad_bn.checkpoint/1"


@dataclass
class TrainConfig:
    """What to train and how; the defaults are the ``tinygrad-bn train`` defaults."""

    model: str = "mlp"
    norm: str = "fused"
    dataset: str = "digits"
    epochs: int = 15
    lr: float = 0.1
    batch_size: int = 64
    seed: int = 0
    momentum: float = 0.9
    hidden: int = 128
    device: str = "cpu"

    def __post_init__(self):
        for name, allowed in (("model", MODELS), ("norm", NORMS), ("dataset", tuple(datasets.DATASETS))):
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"unknown {name} {value!r}: expected one of {', '.join(allowed)}")
        for name in ("epochs", "batch_size", "hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")


@dataclass
class EpochRecord:
    """The numbers of one epoch: training loss/accuracy averaged over its batches
    (in training mode), test loss/accuracy after it (in eval mode)."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float


@dataclass
class TrainResult:
    """A trained model, the data shapes it was built for, and its history."""

    config: TrainConfig
    model: nn.Module
    feature_shape: tuple
    num_classes: int
    history: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def test_accuracy(self) -> float:
        return self.history[-1].test_accuracy

    def summary(self) -> dict:
        """The final numbers and the configuration as a JSON-ready dict."""
        last = self.history[-1]
        return {
            "test_accuracy": last.test_accuracy,
            "test_loss": last.test_loss,
            "train_loss": last.train_loss,
            "train_accuracy": last.train_accuracy,
            "epochs": len(self.history),
            "seconds": self.seconds,
            **dataclasses.asdict(self.config),
            "history": [dataclasses.asdict(record) for record in self.history],
        }

    def save(self, path) -> str:
        """Write a checkpoint of the model that :func:`load_checkpoint` can rebuild."""
        config = self.config
        metadata = {
            "model_name": f"{config.model} with norm={config.norm} on {config.dataset}",
            "config": dataclasses.asdict(config),
            "feature_shape": list(self.feature_shape),
            "num_classes": self.num_classes,
            "test_accuracy": self.test_accuracy,
            "epochs": len(self.history),
        }
        return save_checkpoint(path, self.model, metadata)


# Models ------------------------------------------------------------------------------


def _normalized(layer, norm: str, features: int, batch_norm_cls) -> list:
    """``layer`` followed by BatchNorm of the chosen implementation (or by nothing)."""
    if norm == "none":
        return [layer]
    return [layer, batch_norm_cls(features, impl=norm)]


def build_model(model: str, norm: str, feature_shape: tuple, num_classes: int, hidden: int = 128):
    """An MLP (two hidden layers of ``hidden`` units) or a CNN (two 3×3 conv blocks
    with 2×2 max pooling), each hidden layer followed by BatchNorm (unless ``norm``
    is "none") and ReLU. Layers before a BatchNorm have no bias: BN's shift β
    takes its place.

    >>> build_model("mlp", "fused", (2,), 3, hidden=4)  # doctest: +ELLIPSIS
    Sequential(
      (0): Flatten(...)
      (1): Linear(in_features=2, out_features=4, bias=False)
      (2): BatchNorm1d(4, ...)
      ...
    """
    bias = norm == "none"
    if model == "mlp":
        layers, width = [nn.Flatten()], math.prod(feature_shape)
        for _ in range(2):
            layers += _normalized(nn.Linear(width, hidden, bias=bias), norm, hidden, nn.BatchNorm1d)
            layers.append(nn.ReLU())
            width = hidden
        return nn.Sequential(*layers, nn.Linear(width, num_classes))
    if model == "cnn":
        if len(feature_shape) != 3:
            raise ValueError(
                f"the cnn model needs images of shape (C, H, W), got samples of shape {feature_shape}: "
                "use --model mlp for this dataset"
            )
        channels, height, width = feature_shape
        layers = []
        for out in (16, 32):
            conv = nn.Conv2d(channels, out, kernel_size=3, padding=1, bias=bias)
            layers += [*_normalized(conv, norm, out, nn.BatchNorm2d), nn.ReLU(), nn.MaxPool2d(2)]
            channels, height, width = out, height // 2, width // 2
        return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * height * width, num_classes))
    raise ValueError(f"unknown model {model!r}: expected one of {', '.join(MODELS)}")


# The loop ----------------------------------------------------------------------------


def _correct(logits, target) -> int:
    """How many rows of ``logits`` have their largest value at the target class."""
    return int((logits.data.argmax(axis=1) == target.data).sum())


def train_step(model, optimizer, x, target, functional=F):
    """One step of training: forward, cross-entropy, backward, update.

    Returns ``(loss, logits)``. Written only with names PyTorch shares, so a torch
    model and optimizer run through it too with ``functional=torch.nn.functional``.
    """
    logits = model(x)
    loss = functional.cross_entropy(logits, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss, logits


def train_epoch(model, loader, optimizer, on_step=None) -> tuple[float, float]:
    """One pass over ``loader`` in training mode; returns the mean loss and the
    accuracy over its batches. ``on_step(step, steps, loss, accuracy)`` is called
    after every step with the running means."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for step, (x, target) in enumerate(loader, 1):
        loss, logits = train_step(model, optimizer, x, target)
        total_loss += loss.item() * len(target)
        correct += _correct(logits, target)
        seen += len(target)
        if on_step is not None:
            on_step(step, len(loader), total_loss / seen, correct / seen)
    return total_loss / seen, correct / seen


def evaluate(model, dataset, batch_size: int = 1024, device=None) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``dataset``; leaves the model
    in eval mode."""
    model.eval()
    total_loss, correct = 0.0, 0
    with no_grad():
        for x, target in DataLoader(dataset, batch_size=batch_size, device=device):
            logits = model(x)
            total_loss += F.cross_entropy(logits, target).item() * len(target)
            correct += _correct(logits, target)
    return total_loss / len(dataset), correct / len(dataset)


def fit(config: TrainConfig, on_step=None, on_epoch=None) -> TrainResult:
    """Train the model ``config`` describes with SGD (momentum) on its dataset.

    The initial weights and the batch order follow ``config.seed``; the data and
    its train/test split are fixed (:func:`tinygrad_bn.data.load`). So the same
    config gives the same numbers. ``on_step`` is
    passed to :func:`train_epoch` with the epoch number first; ``on_epoch(record)``
    gets each :class:`EpochRecord`.
    """
    manual_seed(config.seed)
    train_set, test_set = datasets.load(config.dataset)
    shape, classes = train_set.feature_shape, train_set.num_classes
    model = build_model(config.model, config.norm, shape, classes, config.hidden).to(config.device)
    optimizer = optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    loader = DataLoader(
        train_set, config.batch_size, shuffle=True, drop_last=True, seed=config.seed, device=config.device
    )
    result = TrainResult(config, model, shape, classes)
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        step_hook = None if on_step is None else lambda *numbers, epoch=epoch: on_step(epoch, *numbers)
        train_loss, train_accuracy = train_epoch(model, loader, optimizer, step_hook)
        test_loss, test_accuracy = evaluate(model, test_set, device=config.device)
        record = EpochRecord(
            epoch, train_loss, train_accuracy, test_loss, test_accuracy, time.perf_counter() - start
        )
        result.history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    result.seconds = time.perf_counter() - start
    return result


# Checkpoints -------------------------------------------------------------------------


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read, or that does not fit the model."""


def save_checkpoint(path, model, metadata: dict) -> str:
    """Write ``model.state_dict()`` and JSON ``metadata`` to the ``.npz`` file ``path``.

    The file holds plain arrays only (it loads with ``allow_pickle=False``): one
    ``state/<key>`` array per state-dict entry and the metadata as a JSON string.
    It is written to a temporary name first, so a crash never leaves half a file.
    """
    arrays = {f"state/{key}": tensor.numpy() for key, tensor in model.state_dict().items()}
    arrays["metadata"] = numpy.array(json.dumps({"format": CHECKPOINT_FORMAT, **metadata}))
    path = os.fspath(path)
    partial = path + ".partial"
    with open(partial, "wb") as handle:
        numpy.savez_compressed(handle, **arrays)
    os.replace(partial, path)
    return path


def read_checkpoint(path) -> tuple[dict, dict]:
    """The ``(state_dict, metadata)`` stored in the checkpoint ``path``, as NumPy arrays."""
    with open(path, "rb") as handle:
        try:
            with numpy.load(handle, allow_pickle=False) as archive:
                contents = {key: archive[key] for key in archive.files}
            metadata = json.loads(str(contents.pop("metadata"))) if "metadata" in contents else None
        except (ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
            raise CheckpointError(
                f"{path} is not a readable tinygrad_bn checkpoint ({type(error).__name__}: {error}); "
                "it may be truncated or corrupt: train again to write a new one"
            ) from error
    if metadata is None:
        raise CheckpointError(f"{path} has no metadata entry: it was not written by save_checkpoint")
    if metadata.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} has format {metadata.get('format')!r}, expected {CHECKPOINT_FORMAT!r}")
    state = {key.removeprefix("state/"): array for key, array in contents.items()}
    return state, metadata


def load_checkpoint(path, model=None):
    """Load the checkpoint ``path`` into ``model`` and return ``(model, metadata)``.

    Without ``model`` the model is rebuilt from the configuration stored in the
    metadata. A corrupt file, or one saved from a different model, raises
    :class:`CheckpointError` that says what was expected and what was found.
    """
    state, metadata = read_checkpoint(path)
    if model is None:
        if "config" not in metadata:
            raise CheckpointError(f"{path} does not say which model it holds: pass the model to load it into")
        config = metadata["config"]
        model = build_model(
            config["model"], config["norm"], tuple(metadata["feature_shape"]), metadata["num_classes"],
            config["hidden"],
        )
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise CheckpointError(
            f"{path} does not fit {type(model).__name__} (it was saved from {metadata.get('model_name')}): "
            f"{error}"
        ) from error
    return model, metadata

