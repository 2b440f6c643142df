"""Checkpoints: a model's state dict, and optionally an optimizer's and a
learning-rate scheduler's, with JSON metadata, in one ``.npz`` file of plain
arrays (it loads with ``allow_pickle=False``).

>>> import os, tempfile
>>> from tinygrad_bn import nn
>>> model = nn.BatchNorm1d(3)
>>> with tempfile.TemporaryDirectory() as folder:
...     path = save_checkpoint(os.path.join(folder, "bn.npz"), model, {"note": "untrained"})
...     state, metadata = read_checkpoint(path)
>>> sorted(state), metadata["note"]
(['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight'], 'untrained')
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib

import numpy

CHECKPOINT_FORMATS = ("tinygrad_bn.checkpoint/1", "tinygrad_bn.checkpoint/2")  # /1 holds the model only
CHECKPOINT_FORMAT = CHECKPOINT_FORMATS[-1]


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read, or that does not fit the model."""


def save_checkpoint(path, model, metadata: dict, optimizer=None, scheduler=None) -> str:
    """Write ``model.state_dict()`` and JSON ``metadata`` to the ``.npz`` file ``path``,
    with the state dicts of ``optimizer`` and ``scheduler`` when they are given.

    The file holds plain arrays only (it loads with ``allow_pickle=False``): one
    ``state/<key>`` array per state-dict entry, one ``optimizer/<index>/<name>``
    array per array of the optimizer's state (parameters numbered as in its state
    dict), and the metadata as a JSON string, which also keeps the rest of the
    optimizer's state dict (under "optimizer": ``param_groups``, and state such as
    Adam's ``step``) and the scheduler's (under "scheduler").
    It is written to a temporary name first, so a crash never leaves half a file.
    """
    arrays = {f"state/{key}": tensor.numpy() for key, tensor in model.state_dict().items()}
    metadata = {"format": CHECKPOINT_FORMAT, **metadata}
    if optimizer is not None:
        optimizer_arrays, metadata["optimizer"] = _split_arrays(optimizer.state_dict())
        arrays.update({f"optimizer/{key}": array for key, array in optimizer_arrays.items()})
    if scheduler is not None:
        metadata["scheduler"] = scheduler.state_dict()
    arrays["metadata"] = numpy.array(json.dumps(metadata))
    path = os.fspath(path)
    partial = path + ".partial"
    with open(partial, "wb") as handle:
        numpy.savez_compressed(handle, **arrays)
    os.replace(partial, path)
    return path


def read_checkpoint(path) -> tuple[dict, dict]:
    """The ``(state_dict, metadata)`` stored in the checkpoint ``path``, as NumPy arrays.

    When the checkpoint holds an optimizer's state, ``metadata["optimizer"]`` is its
    whole state dict again, arrays included, ready for ``load_state_dict``.
    """
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
    if metadata.get("format") not in CHECKPOINT_FORMATS:
        expected = " or ".join(repr(name) for name in CHECKPOINT_FORMATS)
        raise CheckpointError(f"{path} has format {metadata.get('format')!r}, expected {expected}")
    if "optimizer" in metadata:
        metadata["optimizer"] = _join_arrays(metadata["optimizer"], _entries(contents, "optimizer/"))
    return _entries(contents, "state/"), metadata


def load_states(path, state: dict, metadata: dict, model, optimizer=None, scheduler=None):
    """Load what :func:`read_checkpoint` read from ``path`` into ``model``, and into
    ``optimizer`` and ``scheduler`` when they are given."""
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise CheckpointError(
            f"{path} does not fit {type(model).__name__} (it was saved from {metadata.get('model_name')}): "
            f"{error}"
        ) from error
    for name, target in (("optimizer", optimizer), ("scheduler", scheduler)):
        if target is None:
            continue
        if name not in metadata:
            raise CheckpointError(f"{path} holds no {name} state to load into {type(target).__name__}")
        saved, expected = metadata[name], target.state_dict()
        if saved.keys() != expected.keys():
            raise CheckpointError(
                f"{path} holds a {name} state with entries {sorted(saved)}, "
                f"but {type(target).__name__} has {sorted(expected)}"
            )
        try:
            target.load_state_dict(saved)
        except ValueError as error:
            raise CheckpointError(f"{path}: {error}") from error


def _entries(contents: dict, prefix: str) -> dict:
    """The arrays of ``contents`` whose names start with ``prefix``, without it."""
    return {key.removeprefix(prefix): array for key, array in contents.items() if key.startswith(prefix)}


def _split_arrays(state_dict: dict) -> tuple[dict, dict]:
    """An optimizer's state dict as its arrays, named ``<index>/<name>``, and the
    JSON-ready rest."""
    arrays, state = {}, {}
    for index, values in state_dict["state"].items():
        state[index] = {}
        for name, value in values.items():
            if isinstance(value, numpy.ndarray):
                arrays[f"{index}/{name}"] = value
            else:
                state[index][name] = value
    return arrays, {"state": state, "param_groups": state_dict["param_groups"]}


def _join_arrays(rest: dict, arrays: dict) -> dict:
    """The optimizer state dict that :func:`_split_arrays` split into ``arrays`` and
    ``rest`` (whose indices JSON turned into strings)."""
    state = {int(index): values for index, values in rest["state"].items()}
    for key, array in arrays.items():
        index, name = key.split("/", 1)
        state[int(index)][name] = array
    return {"state": state, "param_groups": rest["param_groups"]}
