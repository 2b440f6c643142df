"""The training job: the loop over a toy model (:mod:`tinygrad_bn.models`) with its
learning-rate schedule, evaluation, and checkpoints from which a run resumes.

>>> result = fit(TrainConfig(dataset="blobs", epochs=2, batch_size=32, lr=0.05))
>>> [record.epoch for record in result.history]
[1, 2]
>>> result.test_accuracy > 0.5
True
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

from tinygrad_bn import data as datasets
from tinygrad_bn import manual_seed, nn, no_grad, optim
from tinygrad_bn.checkpoint import CheckpointError, is_number, load_states, read_checkpoint, save_checkpoint
from tinygrad_bn.data import DataLoader
from tinygrad_bn.models import MODELS, build_model, check_fits_in_memory, model_size
from tinygrad_bn.nn import functional as F
from tinygrad_bn.serialization import entries, newer_version, unreadable

NORMS = ("fused", "composite", "none")
SCHEDULES = ("constant", "cosine")
RESUMABLE_CHANGES = ("epochs", "device")  # the config fields a resumed run may change


@dataclass
class TrainConfig:
    """What to train and how; the defaults are the ``tinygrad-bn train`` defaults."""

    model: str = "mlp"
    norm: str = "fused"
    dataset: str = "digits"
    epochs: int = 15
    lr: float = 0.1
    schedule: str = "constant"
    batch_size: int = 64
    seed: int = 0
    momentum: float = 0.9
    hidden: int = 128
    device: str = "cpu"

    def __post_init__(self):
        choices = (("model", MODELS), ("norm", NORMS), ("dataset", tuple(datasets.DATASETS)), ("schedule", SCHEDULES))
        for name, allowed in choices:
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
    """The numbers of one epoch: the learning rate it trained with, training
    loss/accuracy averaged over its batches (in training mode), test loss/accuracy
    after it (in eval mode), and the seconds of training up to its end."""

    epoch: int
    lr: float
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float


@dataclass
class TrainResult:
    """A trained model with its optimizer and learning-rate scheduler, the data
    shapes it was built for, and its history."""

    config: TrainConfig
    model: nn.Module
    optimizer: optim.Optimizer
    scheduler: optim.lr_scheduler.LRScheduler
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
        """Write a checkpoint of the run: the model, which :func:`load_checkpoint`
        rebuilds, and the optimizer's and scheduler's state and the history, with
        which :func:`fit` resumes the run."""
        config = self.config
        metadata = {
            "model_name": f"{config.model} with norm={config.norm} on {config.dataset}",
            "config": dataclasses.asdict(config),
            "feature_shape": list(self.feature_shape),
            "num_classes": self.num_classes,
            "test_accuracy": self.test_accuracy,
            "epochs": len(self.history),
            "history": [dataclasses.asdict(record) for record in self.history],
        }
        return save_checkpoint(path, self.model, metadata, self.optimizer, self.scheduler)


# The loop ----------------------------------------------------------------------------


def _correct(logits, target) -> int:
    """How many rows of ``logits`` have their largest value at the target class."""
    return int((logits._data.argmax(axis=1) == target._data).sum())


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


def train_epoch(model, loader, optimizer, on_step=None, epoch: int = 1) -> tuple[float, float]:
    """One pass over ``loader`` in training mode; returns the mean loss and the
    accuracy over its batches. ``on_step(step, steps, loss, accuracy)`` is called
    after every step with the running means. A loss that is not finite stops the
    pass with ``FloatingPointError`` naming ``epoch`` and the step."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for step, (x, target) in enumerate(loader, 1):
        loss, logits = train_step(model, optimizer, x, target)
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(
                f"the training loss became {value} at epoch {epoch}, step {step} of {len(loader)}: "
                f"training stopped (a smaller learning rate than {optimizer.param_groups[0]['lr']:g} may help)"
            )
        total_loss += value * len(target)
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


def build_scheduler(schedule: str, optimizer, epochs: int):
    """The learning-rate schedule of ``optimizer``, stepped once per epoch over
    ``epochs`` epochs: "constant" keeps η₀, "cosine" anneals it as
    η_t = η₀·(1 + cos(πt / epochs))/2 (PyTorch's CosineAnnealingLR with T_max = epochs).

    >>> optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = build_scheduler("cosine", optimizer, epochs=4)
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(optimizer.param_groups[0]["lr"])
    ...     scheduler.step()
    >>> [round(lr, 4) for lr in lrs]
    [1.0, 0.8536, 0.5, 0.1464]
    """
    if schedule == "constant":
        return optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 1.0)
    if schedule == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    raise ValueError(f"unknown schedule {schedule!r}: expected one of {', '.join(SCHEDULES)}")


def fit(config: TrainConfig, on_step=None, on_epoch=None, resume=None, checkpoint=None) -> TrainResult:
    """Train the model ``config`` describes with SGD (momentum) on its dataset,
    with the learning rate of ``config.schedule``.

    The initial weights and the batch order follow ``config.seed``; the data and
    its train/test split are fixed (:func:`tinygrad_bn.data.load`). So the same
    config gives the same numbers. ``on_step`` is
    passed to :func:`train_epoch` with the epoch number first; ``on_epoch(record)``
    gets each :class:`EpochRecord`.

    With ``checkpoint`` (a path) the run is saved there after every epoch
    (:meth:`TrainResult.save`). ``resume`` (a path) continues the run saved there
    up to ``config.epochs`` epochs in all, those done included: the epochs that
    follow get the batches and the numbers of an uninterrupted run. Only ``epochs``
    and ``device`` may differ from the saved config, and with the cosine schedule
    ``epochs`` may not, since it is the length of the schedule.

    A model too large for this machine's memory is refused with ``ValueError``
    before it is built; a loss that is not finite stops training with
    ``FloatingPointError`` (the checkpoint of the last finished epoch stays).

    >>> import dataclasses, os, tempfile
    >>> config = TrainConfig(dataset="blobs", epochs=1, batch_size=32, lr=0.05)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "run.npz")
    ...     first = fit(config, checkpoint=path)
    ...     resumed = fit(dataclasses.replace(config, epochs=3), resume=path)
    >>> [record.epoch for record in resumed.history]
    [1, 2, 3]
    >>> resumed.history[0] == first.history[0]
    True
    """
    saved_run = None if resume is None else _read_run(resume, config)
    manual_seed(config.seed)
    train_set, test_set = datasets.load(config.dataset)
    shape, classes = train_set.feature_shape, train_set.num_classes
    check_fits_in_memory(config.model, shape, classes, config.hidden, config.batch_size)
    model = build_model(config.model, config.norm, shape, classes, config.hidden).to(config.device)
    optimizer = optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    scheduler = build_scheduler(config.schedule, optimizer, config.epochs)
    result = TrainResult(config, model, optimizer, scheduler, shape, classes)
    if saved_run is not None:
        _continue(resume, saved_run, result)
    loader = DataLoader(
        train_set, config.batch_size, shuffle=True, drop_last=True, seed=config.seed, device=config.device
    )
    loader.skip_epochs(len(result.history))
    start = time.perf_counter() - result.seconds
    for epoch in range(len(result.history) + 1, config.epochs + 1):
        step_hook = None if on_step is None else lambda *numbers, epoch=epoch: on_step(epoch, *numbers)
        lr = optimizer.param_groups[0]["lr"]
        train_loss, train_accuracy = train_epoch(model, loader, optimizer, step_hook, epoch)
        scheduler.step()
        test_loss, test_accuracy = evaluate(model, test_set, device=config.device)
        record = EpochRecord(
            epoch, lr, train_loss, train_accuracy, test_loss, test_accuracy, time.perf_counter() - start
        )
        result.history.append(record)
        if checkpoint is not None:
            result.save(checkpoint)
        if on_epoch is not None:
            on_epoch(record)
    result.seconds = time.perf_counter() - start
    return result


def _read_run(path, config: TrainConfig) -> tuple[dict, dict, list]:
    """The ``(state_dict, metadata, history)`` of the run saved at ``path``, which
    ``config`` continues; :class:`CheckpointError` says why when it does not."""
    state, metadata = read_checkpoint(path)
    missing = [key for key in ("config", "history", "optimizer", "scheduler") if key not in metadata]
    if missing:
        raise CheckpointError(
            f"{path} cannot be resumed: it has no {', '.join(missing)} (it holds a model, not a run saved by "
            "TrainResult.save, or one saved before runs could be resumed); train anew"
        )
    saved, history = saved_config(path, metadata), saved_history(path, metadata)
    differences = [
        f"{name} {saved.get(name)!r} in the checkpoint, {value!r} asked for"
        for name, value in dataclasses.asdict(config).items()
        if name not in RESUMABLE_CHANGES and saved.get(name) != value
    ]
    if differences:
        raise CheckpointError(
            f"{path} holds another run ({'; '.join(differences)}): resume with the checkpoint's settings "
            f"(only {' and '.join(RESUMABLE_CHANGES)} may change), or train anew"
        )
    done = len(history)
    if config.epochs <= done:
        raise CheckpointError(
            f"{path} has trained up to epoch {done}, and epochs={config.epochs} counts the epochs in all: "
            f"ask for more than {done} to train on"
        )
    if config.schedule == "cosine" and config.epochs != saved["epochs"]:
        raise CheckpointError(
            f"{path} anneals the learning rate over {saved['epochs']} epochs (cosine schedule), "
            f"so it resumes with epochs={saved['epochs']}, not {config.epochs}: train anew for another length"
        )
    return state, metadata, history


def _continue(path, saved_run: tuple[dict, dict, list], result: TrainResult):
    """Load the run :func:`_read_run` read from ``path`` into ``result``: its model,
    optimizer, scheduler, history and seconds."""
    state, metadata, history = saved_run
    load_states(path, state, metadata, result.model, result.optimizer, result.scheduler)
    result.history = history
    result.seconds = history[-1].seconds


# What a checkpoint says of its run ---------------------------------------------------


def saved_config(path, metadata: dict) -> dict:
    """The training options in a checkpoint's ``metadata``, each of its field's type;
    :class:`CheckpointError` when they are malformed or from a newer version."""
    config, defaults = metadata["config"], dataclasses.asdict(TrainConfig())
    if not isinstance(config, dict):
        raise unreadable(path, f"its config is {config!r}, not a dict")
    if config.keys() - defaults.keys():
        raise newer_version(path, f"its config has {entries(config.keys() - defaults.keys())}")
    for name, value in config.items():
        expected = defaults[name]
        if not (is_number(value) if isinstance(expected, float) else type(value) is type(expected)):
            raise unreadable(path, f"its config has {name} {value!r}, where a {type(expected).__name__} belongs")
    try:
        TrainConfig(**config)
    except ValueError as error:
        raise unreadable(path, f"its config: {error}") from error
    return config


def saved_history(path, metadata: dict) -> list:
    """The :class:`EpochRecord` of each epoch in a checkpoint's ``metadata``, from 1 on."""
    history, names = metadata["history"], {field.name for field in dataclasses.fields(EpochRecord)}
    if not isinstance(history, list) or not history:
        raise unreadable(path, f"its history is {history!r}, not a list of epochs")
    for epoch, record in enumerate(history, 1):
        if isinstance(record, dict) and record.keys() - names:
            raise newer_version(path, f"its history has {entries(record.keys() - names)}")
        plain = isinstance(record, dict) and record.keys() == names and all(map(is_number, record.values()))
        if not plain or record["epoch"] != epoch or type(record["epoch"]) is not int:
            raise unreadable(path, f"its history's epoch {epoch} is {record!r}")
    return [EpochRecord(**record) for record in history]


def _saved_model(path, state: dict, metadata: dict):
    """The untrained model a checkpoint's metadata describes, once its size is known to
    fit in the values the checkpoint holds."""
    config = TrainConfig(**saved_config(path, metadata))
    shape, classes = metadata.get("feature_shape"), metadata.get("num_classes")
    dims = (3,) if config.model == "cnn" else (1, 2, 3)
    valid_shape = isinstance(shape, list) and len(shape) in dims and all(type(n) is int and n > 0 for n in shape)
    if not valid_shape or type(classes) is not int or classes < 1:
        raise unreadable(path, f"its feature_shape {shape!r} and num_classes {classes!r} describe no {config.model}")
    weights, _ = model_size(config.model, shape, classes, config.hidden)
    held = sum(array.size for array in state.values())
    if weights > held:
        raise unreadable(path, f"its config describes a model of {weights} weights, but it holds {held} values")
    return build_model(config.model, config.norm, tuple(shape), classes, config.hidden)


# A trained model from its checkpoint -------------------------------------------------


def load_checkpoint(path, model=None, optimizer=None, scheduler=None):
    """Load the checkpoint ``path`` into ``model`` and return ``(model, metadata)``;
    load its optimizer's and scheduler's state into ``optimizer`` and ``scheduler``
    when they are given.

    Without ``model`` the model is rebuilt from the configuration stored in the
    metadata. A corrupt file, or one saved from a different model, raises
    :class:`CheckpointError` that says what was expected and what was found.
    """
    state, metadata = read_checkpoint(path)
    if model is None:
        if "config" not in metadata:
            raise CheckpointError(f"{path} does not say which model it holds: pass the model to load it into")
        model = _saved_model(path, state, metadata)
    load_states(path, state, metadata, model, optimizer, scheduler)
    return model, metadata
