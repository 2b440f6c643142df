"""Checkpoint files: every flipped byte is caught, every malformed part is refused with
the one error, a failed write keeps the checkpoint that was there, and the formats
before save/load still read."""

import errno
import io
import json
import os

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn import nn, optim, serialization
from tinygrad_bn.checkpoint import CheckpointError, load_states, read_checkpoint, save_checkpoint

UNREADABLE = "is not a readable checkpoint: "


def small_run():
    """A model with a buffer, an optimizer with momentum and a scheduler, one step in."""
    tinygrad_bn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2, bias=False), nn.BatchNorm1d(2))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    model(tinygrad_bn.randn(4, 2)).sum().backward()
    optimizer.step()
    scheduler.step()
    return model, optimizer, scheduler


@pytest.fixture
def checkpoint(tmp_path):
    model, optimizer, scheduler = small_run()
    return save_checkpoint(tmp_path / "run.npz", model, {"note": "small"}, optimizer, scheduler)


@pytest.mark.parametrize("flip", [0xFF, 0x01], ids=["all bits", "lowest bit"])
def test_every_flipped_byte_reads_the_same_data_or_is_refused(tmp_path, same, flip):
    layer = nn.Linear(2, 2, bias=False)  # three members (3 kB): contents, weight, momentum
    optimizer = optim.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    layer(tinygrad_bn.randn(4, 2)).sum().backward()
    optimizer.step()
    path = save_checkpoint(tmp_path / "tiny.npz", layer, {"note": "tiny"}, optimizer)
    raw = open(path, "rb").read()
    reference = read_checkpoint(path)
    refused = 0
    for i in range(len(raw)):
        damaged = bytearray(raw)
        damaged[i] ^= flip
        try:
            loaded = read_checkpoint(io.BytesIO(damaged))
        except CheckpointError as error:
            assert UNREADABLE in str(error) and "\n" not in str(error), f"byte {i}"
            refused += 1
        else:  # a byte the reader does not use: a time stamp, the local copy of a CRC
            assert same(loaded, reference), f"byte {i} of {len(raw)} changed the data"
    assert refused > 0.9 * len(raw)


def test_a_checkpoint_loads_into_a_fresh_run_to_the_bit(checkpoint, same):
    model, optimizer, scheduler = small_run()
    fresh = nn.Sequential(nn.Linear(2, 2, bias=False), nn.BatchNorm1d(2))
    fresh_optimizer = optim.SGD(fresh.parameters(), lr=1.0)
    fresh_scheduler = optim.lr_scheduler.StepLR(fresh_optimizer, step_size=1, gamma=0.5)
    state, metadata = read_checkpoint(checkpoint)
    load_states(checkpoint, state, metadata, fresh, fresh_optimizer, fresh_scheduler)
    assert same(dict(fresh.state_dict()), dict(model.state_dict()))
    assert same(fresh_optimizer.state_dict(), optimizer.state_dict())
    assert same(fresh_scheduler.state_dict(), scheduler.state_dict())


def tamper(path, change):
    """Rewrite the checkpoint ``path`` with ``change(parts)`` applied, as a valid file."""
    parts = tinygrad_bn.load(path)
    change(parts)
    tinygrad_bn.save(parts, path)


def _set(*keys_and_value):
    *keys, last, value = keys_and_value

    def change(parts):
        for key in keys:
            parts = parts[key]
        parts[last] = value

    return change


@pytest.mark.parametrize(
    "change, message",
    [
        (_set("model", [1, 2]), "its model is not a dict of named entries"),
        (_set("metadata", ["note"]), "its metadata is not a dict of named entries"),
        (_set("optimizer", "state", 7, {"momentum_buffer": numpy.zeros(2)}),
         "its optimizer holds state for a parameter 7, not 0 to 2"),
        (_set("optimizer", "state", "0", {}), "its optimizer holds state for a parameter '0', not 0 to 2"),
        (_set("optimizer", "param_groups", 0, "params", [0, 0, 5]),
         r"its optimizer numbers its parameters \[0, 0, 5\], not 0 to 2"),
        (_set("optimizer", "param_groups", []), "its optimizer state has no list of param_groups"),
        (_set("optimizer", "state", 0, "momentum_buffer", "fast"), "its optimizer's momentum_buffer of parameter 0"),
        (_set("model", "0.weight", numpy.array(["1.5", "2"])), "its model's '0.weight' is not an array of numbers"),
        (_set("scheduler", ["last_epoch"]), "its scheduler is not a dict of named entries"),
        (lambda parts: parts.pop("model"), "it has no model"),
        (_set("ema", {}), r"it has the parts 'ema', which this version of tinygrad_bn does not know \(it reads file "
         r"formats up to tinygrad_bn.checkpoint/3\): the file was written by a newer version; upgrade tinygrad_bn"),
    ],
)
def test_malformed_parts_are_refused_with_the_one_error(checkpoint, change, message):
    tamper(checkpoint, change)
    with pytest.raises(CheckpointError, match=UNREADABLE + message):
        read_checkpoint(checkpoint)


@pytest.mark.parametrize(
    "change, message",
    [
        (_set("scheduler", "last_epoch", "one"), r"its scheduler state\['last_epoch'\] is 'one', where a value like"),
        (_set("optimizer", "param_groups", 0, "lr", [0.1]), r"its optimizer's group 0\['lr'\] is \[0.1\]"),
    ],
)
def test_values_of_the_wrong_kind_are_refused_when_loaded(checkpoint, change, message):
    tamper(checkpoint, change)
    state, metadata = read_checkpoint(checkpoint)
    model, optimizer, scheduler = small_run()
    with pytest.raises(CheckpointError, match=UNREADABLE + message):
        load_states(checkpoint, state, metadata, model, optimizer, scheduler)


def test_optimizer_state_of_another_shape_does_not_fit(checkpoint):
    tamper(checkpoint, _set("optimizer", "state", 0, "momentum_buffer", numpy.zeros(3, numpy.float32)))
    state, metadata = read_checkpoint(checkpoint)
    model, optimizer, _ = small_run()
    with pytest.raises(CheckpointError, match=r"does not fit SGD: its momentum_buffer of parameter 0 has shape \(3,\), "
                       r"the parameter has shape \(2, 2\)"):
        load_states(checkpoint, state, metadata, model, optimizer)


def test_a_full_disk_keeps_the_last_checkpoint_and_leaves_no_partial(checkpoint, monkeypatch, same):
    before = read_checkpoint(checkpoint)

    def disk_full(handle, members):
        handle.write(b"PK\x03\x04")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(serialization, "write_archive", disk_full)
    with pytest.raises(OSError, match=f"cannot write {checkpoint}: No space left on device"):
        save_checkpoint(checkpoint, nn.Linear(2, 2), {})
    monkeypatch.undo()
    assert same(read_checkpoint(checkpoint), before)
    assert not os.path.exists(checkpoint + ".partial")


def test_metadata_may_not_take_the_names_of_parts(tmp_path):
    with pytest.raises(ValueError, match="metadata may not have the entries 'optimizer'"):
        save_checkpoint(tmp_path / "run.npz", nn.Linear(2, 2), {"optimizer": "sgd"})


# The formats before save/load ------------------------------------------------------------


def write_second_format(path, model, optimizer, scheduler, version=2):
    """A checkpoint as format 2 wrote it: ``state/<key>`` and ``optimizer/<index>/<name>``
    arrays, deflated, and the rest as JSON in ``metadata``."""
    arrays = {f"state/{key}": tensor.numpy() for key, tensor in model.state_dict().items()}
    state = optimizer.state_dict()
    arrays.update({f"optimizer/{i}/{name}": value for i, values in state["state"].items()
                   for name, value in values.items()})
    metadata = {
        "format": f"tinygrad_bn.checkpoint/{version}" if isinstance(version, int) else version,
        "note": "small",
        "optimizer": {"state": {str(i): {} for i in state["state"]}, "param_groups": state["param_groups"]},
        "scheduler": scheduler.state_dict(),
    }
    numpy.savez_compressed(path, metadata=numpy.array(json.dumps(metadata)), **arrays)
    return path


def test_a_second_format_checkpoint_reads_as_the_third(tmp_path, checkpoint, same):
    path = write_second_format(tmp_path / "old.npz", *small_run())
    (state, metadata), (state_now, metadata_now) = read_checkpoint(path), read_checkpoint(checkpoint)
    assert same(state, state_now)
    assert metadata["format"] == "tinygrad_bn.checkpoint/2" and metadata_now["format"] == "tinygrad_bn.checkpoint/3"
    assert same(metadata["optimizer"]["state"], metadata_now["optimizer"]["state"])
    assert metadata["optimizer"]["param_groups"] == metadata_now["optimizer"]["param_groups"]
    assert metadata["scheduler"] == dict(metadata_now["scheduler"]) and metadata["note"] == "small"


@pytest.mark.parametrize(
    "version, message",
    [
        (3, "it has format 'tinygrad_bn.checkpoint/3', expected 'tinygrad_bn.checkpoint/1' or "
            "'tinygrad_bn.checkpoint/2'"),
        (5, "it has format 'tinygrad_bn.checkpoint/5', which this version of tinygrad_bn does not know"),
        ("someone-else/7", "it has format 'someone-else/7', expected 'tinygrad_bn.checkpoint/1' or"),
    ],
)
def test_a_named_array_file_of_another_format_is_refused(tmp_path, version, message):
    path = write_second_format(tmp_path / "old.npz", *small_run(), version=version)
    with pytest.raises(CheckpointError, match=UNREADABLE + message):
        read_checkpoint(path)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda metadata: metadata.update(optimizer={"state": {"x": {}}, "param_groups": []}),
         "its optimizer holds state {} for a parameter 'x'"),
        (lambda metadata: metadata.update(optimizer=[]), "its optimizer state is not a dict with a 'state' dict"),
    ],
)
def test_malformed_second_format_metadata_is_refused(tmp_path, change, message):
    path = write_second_format(tmp_path / "old.npz", *small_run())
    with numpy.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    metadata = json.loads(str(arrays.pop("metadata")))
    change(metadata)
    numpy.savez_compressed(path, metadata=numpy.array(json.dumps(metadata)), **arrays)
    with pytest.raises(CheckpointError, match=UNREADABLE + message):
        read_checkpoint(path)
