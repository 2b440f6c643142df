"""The training job: model builders, the loop (against PyTorch), determinism,
learning-rate schedules, checkpoints and their errors, resuming a run."""

import dataclasses
import json
import math
import re

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn.checkpoint import CHECKPOINT_FORMAT, CheckpointError, read_checkpoint, save_checkpoint
from tinygrad_bn.data import DataLoader, load
from tinygrad_bn.train import (
    TrainConfig,
    build_model,
    evaluate,
    fit,
    load_checkpoint,
    train_epoch,
    train_step,
)

TINY = {"dataset": "blobs", "epochs": 2, "batch_size": 32, "hidden": 16, "lr": 0.05}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"model": "rnn"}, "unknown model 'rnn': expected one of mlp, cnn"),
        ({"norm": "layer"}, "unknown norm 'layer': expected one of fused, composite, none"),
        ({"dataset": "mnist"}, "unknown dataset 'mnist': expected one of digits"),
        ({"epochs": 0}, "epochs must be a positive integer, got 0"),
        ({"lr": -1.0}, "lr must be positive, got -1.0"),
        ({"schedule": "linear"}, "unknown schedule 'linear': expected one of constant, cosine"),
    ],
)
def test_config_errors_name_what_is_allowed(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


@pytest.mark.parametrize("norm", ["fused", "none"])
def test_training_steps_match_pytorch(norm):
    """The same model, weights and batches give the same losses and test numbers."""
    torch = pytest.importorskip("torch")
    train_set, test_set = load("spirals")
    ours = build_model("mlp", norm, (2,), 3, hidden=16)
    theirs = torch.nn.Sequential(
        *[torch.nn.Flatten(), torch.nn.Linear(2, 16, bias=norm == "none")]
        + ([torch.nn.BatchNorm1d(16)] if norm != "none" else [])
        + [torch.nn.ReLU(), torch.nn.Linear(16, 16, bias=norm == "none")]
        + ([torch.nn.BatchNorm1d(16)] if norm != "none" else [])
        + [torch.nn.ReLU(), torch.nn.Linear(16, 3)]
    )
    theirs.load_state_dict({key: torch.from_numpy(t.numpy().copy()) for key, t in ours.state_dict().items()})
    our_losses, their_losses = [], []
    train_epoch(
        ours, DataLoader(train_set, 32, shuffle=True, drop_last=True, seed=1),
        optim.SGD(ours.parameters(), lr=0.1, momentum=0.9),
        on_step=lambda step, steps, loss, accuracy: our_losses.append(loss),
    )
    their_optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for x, target in DataLoader(train_set, 32, shuffle=True, drop_last=True, seed=1):
        x, target = torch.from_numpy(x.numpy()), torch.from_numpy(target.numpy())
        loss, _ = train_step(theirs, their_optimizer, x, target, torch.nn.functional)
        their_losses.append(loss.item())
    their_running = numpy.cumsum(their_losses) / numpy.arange(1, len(their_losses) + 1)
    numpy.testing.assert_allclose(our_losses, their_running, rtol=1e-4)
    test_loss, test_accuracy = evaluate(ours, test_set)
    theirs.eval()
    with torch.no_grad():
        logits = theirs(torch.from_numpy(test_set.features))
    labels = torch.from_numpy(test_set.labels)
    assert test_loss == pytest.approx(torch.nn.functional.cross_entropy(logits, labels).item(), rel=1e-4)
    assert test_accuracy == pytest.approx((logits.argmax(1) == labels).double().mean().item())


def test_fit_learns_the_blobs():
    result = fit(TrainConfig(**{**TINY, "epochs": 3}))
    assert result.test_accuracy > 0.9
    assert result.history[-1].train_loss < result.history[0].train_loss


def test_same_seed_same_numbers_other_seed_other_numbers():
    first, again = fit(TrainConfig(**TINY)).summary(), fit(TrainConfig(**TINY)).summary()
    other = fit(TrainConfig(**TINY, seed=1)).summary()
    for key in ("train_loss", "test_loss", "test_accuracy"):
        assert first[key] == again[key]
    assert first["train_loss"] != other["train_loss"]


@pytest.mark.parametrize("epochs", [1, 4, 7])
def test_each_epoch_records_the_learning_rate_of_its_schedule(epochs):
    config = TrainConfig(**{**TINY, "epochs": epochs})
    constant = fit(config)
    cosine = fit(dataclasses.replace(config, schedule="cosine"))
    assert [record.lr for record in constant.history] == [config.lr] * epochs
    # η_t = η₀·(1 + cos(πt / T)) / 2 for epochs t = 0 … T − 1
    expected = [config.lr * (1 + math.cos(math.pi * t / epochs)) / 2 for t in range(epochs)]
    numpy.testing.assert_allclose([record.lr for record in cosine.history], expected, rtol=1e-12)
    assert cosine.summary()["history"][-1]["lr"] == cosine.history[-1].lr


def test_fit_runs_on_a_device(strict_cuda):
    result = fit(TrainConfig(**{**TINY, "epochs": 1}, device="cuda"))
    assert all(p.device == "cuda" for p in result.model.parameters())
    assert 0 <= result.test_accuracy <= 1


# Checkpoints -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    return fit(TrainConfig(**TINY))


@pytest.fixture
def checkpoint(trained, tmp_path):
    return trained.save(tmp_path / "model.npz")


def outputs(model, x):
    return model.eval()(Tensor(x)).numpy()


def test_checkpoint_round_trip_rebuilds_the_model(trained, checkpoint):
    model, metadata = load_checkpoint(checkpoint)
    x = numpy.random.default_rng(0).standard_normal((5, 2)).astype(numpy.float32)
    numpy.testing.assert_array_equal(outputs(model, x), outputs(trained.model, x))
    assert metadata["config"]["dataset"] == "blobs" and metadata["num_classes"] == 4
    assert metadata["test_accuracy"] == trained.test_accuracy


def test_checkpoint_loads_into_a_given_model_with_buffers(trained, checkpoint):
    model = build_model("mlp", "composite", (2,), 4, hidden=16)
    load_checkpoint(checkpoint, model)
    saved = trained.model.state_dict()
    for key, ours in model.state_dict().items():
        numpy.testing.assert_array_equal(ours.numpy(), saved[key].numpy(), err_msg=key)
    assert any(key.endswith("num_batches_tracked") for key in model.state_dict())


def test_checkpoint_holds_plain_arrays_only(trained, checkpoint):
    with numpy.load(checkpoint, allow_pickle=False) as archive:
        assert all(archive[key].dtype != object for key in archive.files)
        assert json.loads(str(archive["contents"]))["format"] == CHECKPOINT_FORMAT
    state, metadata = read_checkpoint(checkpoint)
    parameters = len(list(trained.model.parameters()))
    assert state["1.weight"].shape == (16, 2)
    assert sorted(metadata["optimizer"]["state"]) == list(range(parameters))
    buffers = [values["momentum_buffer"] for values in metadata["optimizer"]["state"].values()]
    assert all(isinstance(buffer, numpy.ndarray) for buffer in buffers)
    assert metadata["optimizer"]["param_groups"][0]["params"] == list(range(parameters))
    assert metadata["scheduler"]["last_epoch"] == 2 and metadata["epochs"] == 2


def assert_same_state(ours: dict, theirs: dict):
    """Two optimizer or scheduler state dicts are equal, arrays to the bit."""
    assert ours.keys() == theirs.keys()
    for key in ours:
        if isinstance(ours[key], dict):
            assert_same_state(ours[key], theirs[key])
        elif isinstance(ours[key], numpy.ndarray):
            numpy.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
        else:
            assert ours[key] == theirs[key], key


def test_checkpoint_restores_the_optimizer_and_the_scheduler(trained, checkpoint):
    model = build_model("mlp", "fused", (2,), 4, hidden=16)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 1.0)
    load_checkpoint(checkpoint, model, optimizer, scheduler)
    assert_same_state(optimizer.state_dict(), trained.optimizer.state_dict())
    assert_same_state(scheduler.state_dict(), trained.scheduler.state_dict())
    assert optimizer.param_groups[0]["lr"] == 0.05 and optimizer.param_groups[0]["momentum"] == 0.9


def test_adam_resumes_from_a_checkpoint_to_the_bit(tmp_path):
    """Adam's integer steps go to the metadata, its moments to arrays, and both come back."""
    x = Tensor(numpy.random.default_rng(0).standard_normal((4, 3)).astype(numpy.float32))

    def train(model, optimizer, steps):
        for _ in range(steps):
            optimizer.zero_grad()
            y = model(x)
            (y * y).sum().backward()
            optimizer.step()

    model = nn.Linear(3, 2)
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    train(model, optimizer, 3)
    path = save_checkpoint(tmp_path / "adam.npz", model, {}, optimizer)
    assert read_checkpoint(path)[1]["optimizer"]["state"][0]["step"] == 3
    resumed = nn.Linear(3, 2)
    resumed_optimizer = optim.Adam(resumed.parameters())
    load_checkpoint(path, resumed, resumed_optimizer)
    train(model, optimizer, 2)
    train(resumed, resumed_optimizer, 2)
    for ours, theirs in zip(resumed.parameters(), model.parameters(), strict=True):
        numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_another_schedulers_state_is_refused(checkpoint):
    model = build_model("mlp", "fused", (2,), 4, hidden=16)
    cosine = optim.lr_scheduler.CosineAnnealingLR(optim.SGD(model.parameters(), lr=1.0), T_max=2)
    with pytest.raises(CheckpointError, match=r"holds a scheduler state with entries \['_last_lr', 'base_lrs', "
                       r"'last_epoch', 'lr_lambdas'\], but CosineAnnealingLR has \['T_max', "):
        load_checkpoint(checkpoint, model, scheduler=cosine)


def test_an_optimizer_of_other_parameters_is_refused(checkpoint):
    model = build_model("mlp", "fused", (2,), 4, hidden=16)
    first_layer = optim.SGD(model[1].parameters(), lr=1.0)
    with pytest.raises(CheckpointError, match=r"expected 1 parameter\(s\) in group 0, got a state dict with 8"):
        load_checkpoint(checkpoint, model, first_layer)


def test_a_model_only_checkpoint_has_no_optimizer_state(tmp_path):
    path = save_checkpoint(tmp_path / "layer.npz", nn.Linear(2, 2), {})
    layer = nn.Linear(2, 2)
    with pytest.raises(CheckpointError, match="holds no optimizer state to load into SGD"):
        load_checkpoint(path, layer, optim.SGD(layer.parameters(), lr=0.1))


def test_mismatched_model_says_what_does_not_fit(checkpoint):
    wider = build_model("mlp", "fused", (2,), 4, hidden=32)
    mismatch = r"size mismatch for 1.weight: copying a param with shape \(16, 2\) from checkpoint"
    with pytest.raises(CheckpointError, match=mismatch):
        load_checkpoint(checkpoint, wider)
    without_bn = build_model("mlp", "none", (2,), 4, hidden=16)
    keys = '(?s)saved from mlp with norm=fused on blobs.*Unexpected key\\(s\\) in state_dict: [^\\n]*"2.running_mean"'
    with pytest.raises(CheckpointError, match=keys):
        load_checkpoint(checkpoint, without_bn)


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: raw[:200] + bytes(len(raw) - 200),  # zeroed tail
        lambda raw: b"not a checkpoint at all",
    ],
)
def test_corrupt_file_is_a_clear_error(checkpoint, damage):
    checkpoint_bytes = open(checkpoint, "rb").read()
    with open(checkpoint, "wb") as handle:
        handle.write(damage(checkpoint_bytes))
    with pytest.raises(CheckpointError, match="is not a readable checkpoint"):
        load_checkpoint(checkpoint)


def test_other_npz_files_are_refused(tmp_path):
    plain = tmp_path / "plain.npz"
    numpy.savez(plain, weights=numpy.ones(3))
    with pytest.raises(CheckpointError, match="is not a readable checkpoint: it has no contents or metadata entry"):
        load_checkpoint(plain)
    pickled = tmp_path / "pickled.npz"
    numpy.savez(pickled, metadata=numpy.array([{"format": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="is not a readable checkpoint: its member 'metadata.npy' holds object"):
        load_checkpoint(pickled)


def write_first_format(path, result):
    """A checkpoint as format 1 wrote it: the model's state and metadata, nothing else."""
    arrays = {f"state/{key}": tensor.numpy() for key, tensor in result.model.state_dict().items()}
    metadata = {
        "format": "tinygrad_bn.checkpoint/1",
        "model_name": "mlp with norm=fused on blobs",
        "config": {k: v for k, v in dataclasses.asdict(result.config).items() if k != "schedule"},
        "feature_shape": list(result.feature_shape),
        "num_classes": result.num_classes,
        "test_accuracy": result.test_accuracy,
        "epochs": len(result.history),
    }
    numpy.savez_compressed(path, metadata=numpy.array(json.dumps(metadata)), **arrays)
    return path


def test_a_first_format_checkpoint_still_loads_but_does_not_resume(trained, tmp_path):
    path = write_first_format(tmp_path / "old.npz", trained)
    model, metadata = load_checkpoint(path)
    x = numpy.random.default_rng(1).standard_normal((5, 2)).astype(numpy.float32)
    numpy.testing.assert_array_equal(outputs(model, x), outputs(trained.model, x))
    assert metadata["format"] != CHECKPOINT_FORMAT
    with pytest.raises(CheckpointError, match="cannot be resumed: it has no history, optimizer, scheduler"):
        fit(TrainConfig(**{**TINY, "epochs": 3}), resume=path)


def test_a_checkpoint_without_a_config_needs_the_model(tmp_path):
    layer = nn.Linear(2, 2)
    path = save_checkpoint(tmp_path / "layer.npz", layer, {})
    with pytest.raises(CheckpointError, match="does not say which model it holds: pass the model"):
        load_checkpoint(path)
    other = nn.Linear(2, 2)
    load_checkpoint(path, other)
    numpy.testing.assert_array_equal(other.weight.numpy(), layer.weight.numpy())


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "nothing.npz")


# Resuming ----------------------------------------------------------------------------


class Interrupted(Exception):
    """Stands for a crash, or Ctrl-C, between two epochs."""


def interrupt_after(epoch):
    def on_epoch(record):
        if record.epoch == epoch:
            raise Interrupted

    return on_epoch


def without_time(record):
    return dataclasses.replace(record, seconds=0.0)


@pytest.mark.parametrize(
    "schedule, first_run", [("constant", "interrupted"), ("cosine", "interrupted"), ("constant", "finished")]
)
def test_two_epochs_and_two_resumed_are_four_epochs_to_the_bit(tmp_path, schedule, first_run):
    config = TrainConfig(**{**TINY, "epochs": 4}, schedule=schedule)
    path = tmp_path / "run.npz"
    if first_run == "interrupted":  # a run of four epochs, stopped after the second
        with pytest.raises(Interrupted):
            fit(config, on_epoch=interrupt_after(2), checkpoint=path)
    else:  # a run of two epochs, trained on to four
        fit(dataclasses.replace(config, epochs=2), checkpoint=path)
    resumed_epochs = []
    resumed = fit(config, on_epoch=resumed_epochs.append, resume=path)
    straight = fit(config)
    assert [record.epoch for record in resumed_epochs] == [3, 4]
    assert [without_time(r) for r in resumed.history] == [without_time(r) for r in straight.history]
    assert all(earlier.seconds < later.seconds for earlier, later in zip(resumed.history, resumed.history[1:]))
    ours, theirs = resumed.model.state_dict(), straight.model.state_dict()
    assert ours.keys() == theirs.keys()
    for key in ours:
        numpy.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy(), err_msg=key)


@pytest.mark.parametrize(
    "changes, differences",
    [
        ({"model": "cnn"}, "model 'mlp' in the checkpoint, 'cnn' asked for"),
        ({"norm": "composite"}, "norm 'fused' in the checkpoint, 'composite' asked for"),
        ({"dataset": "moons"}, "dataset 'blobs' in the checkpoint, 'moons' asked for"),
        (
            {"hidden": 32, "lr": 0.1},
            "lr 0.05 in the checkpoint, 0.1 asked for; hidden 16 in the checkpoint, 32 asked for",
        ),
        ({"schedule": "cosine"}, "schedule 'constant' in the checkpoint, 'cosine' asked for"),
    ],
)
def test_resuming_another_run_says_what_differs(checkpoint, changes, differences):
    config = TrainConfig(**{**TINY, "epochs": 3, **changes})
    with pytest.raises(CheckpointError, match=re.escape(f"holds another run ({differences}): resume with")):
        fit(config, resume=checkpoint)


def test_epochs_counts_those_done(checkpoint):
    message = "has trained up to epoch 2, and epochs=2 counts the epochs in all: ask for more than 2"
    with pytest.raises(CheckpointError, match=message):
        fit(TrainConfig(**TINY), resume=checkpoint)


def test_a_cosine_schedule_resumes_only_to_its_own_length(tmp_path):
    config = TrainConfig(**TINY, schedule="cosine")
    path = fit(config).save(tmp_path / "cosine.npz")
    message = r"anneals the learning rate over 2 epochs \(cosine schedule\), so it resumes with epochs=2, not 3"
    with pytest.raises(CheckpointError, match=message):
        fit(dataclasses.replace(config, epochs=3), resume=path)


def test_a_run_resumes_on_another_device(checkpoint, strict_cuda):
    result = fit(TrainConfig(**{**TINY, "epochs": 3}, device="cuda"), resume=checkpoint)
    assert [record.epoch for record in result.history] == [1, 2, 3]
    assert all(p.device == "cuda" for p in result.model.parameters())


# Tampered run metadata -----------------------------------------------------------------


def tamper_metadata(path, **changes):
    """Rewrite the checkpoint ``path`` with its metadata entries changed, as a valid file."""
    parts = tinygrad_bn.load(path)
    parts["metadata"].update(changes)
    tinygrad_bn.save(parts, path)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"history": []}, r"its history is \[\], not a list of epochs"),
        ({"history": {"1": {}}}, r"its history is \{'1': \{\}\}, not a list of epochs"),
        ({"history": [{"epoch": 2}]}, r"its history's epoch 1 is \{'epoch': 2\}"),
        ({"config": ["mlp"]}, r"its config is \['mlp'\], not a dict"),
        ({"config": {"lr": "fast"}}, "its config has lr 'fast', where a float belongs"),
        ({"config": {"model": "rnn"}}, "its config: unknown model 'rnn'"),
        ({"config": {"warmup": 5}}, r"its config has 'warmup', which this version of tinygrad_bn does not know "
         r"\(it reads file formats up to tinygrad_bn.checkpoint/3\): the file was written by a newer version"),
    ],
)
def test_tampered_run_metadata_is_the_one_error_when_resuming(checkpoint, changes, message):
    tamper_metadata(checkpoint, **changes)
    with pytest.raises(CheckpointError, match="is not a readable checkpoint: " + message):
        fit(TrainConfig(**{**TINY, "epochs": 3}), resume=checkpoint)


def test_a_history_entry_from_a_newer_version_is_named(checkpoint):
    parts = tinygrad_bn.load(checkpoint)
    parts["metadata"]["history"][0]["grad_norm"] = 1.0
    tinygrad_bn.save(parts, checkpoint)
    with pytest.raises(CheckpointError, match="its history has 'grad_norm', which this version .* newer version"):
        fit(TrainConfig(**{**TINY, "epochs": 3}), resume=checkpoint)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"feature_shape": [10**6]}, "its config describes a model of 16000320 weights, but it holds 486 values"),
        ({"feature_shape": "2"}, "its feature_shape '2' and num_classes 4 describe no mlp"),
        ({"num_classes": 0}, r"its feature_shape \[2\] and num_classes 0 describe no mlp"),
        ({"config": {"model": "cnn"}}, r"its feature_shape \[2\] and num_classes 4 describe no cnn"),
    ],
)
def test_a_model_described_beyond_what_the_file_holds_is_refused_before_it_is_built(checkpoint, changes, message):
    tamper_metadata(checkpoint, **changes)
    with pytest.raises(CheckpointError, match="is not a readable checkpoint: " + message):
        load_checkpoint(checkpoint)
