"""Checkpoints: a model's state dict, and optionally an optimizer's and a
learning-rate scheduler's, with JSON-ready metadata, in one file of
:func:`tinygrad_bn.save` (``{"model": ..., "metadata": ..., "optimizer": ...,
"scheduler": ...}``), read back through its verifier and checked part by part.

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

import numpy

from tinygrad_bn.serialization import (
    FORMAT,
    CheckpointError,
    check_format,
    decode,
    entries,
    newer_version,
    read_arrays,
    save,
    unreadable,
)

# before save/load, a checkpoint was an .npz of named arrays with its metadata as JSON; /1 holds the model only
NAMED_ARRAY_FORMATS = ("tinygrad_bn.checkpoint/1", "tinygrad_bn.checkpoint/2")
CHECKPOINT_FORMATS = (*NAMED_ARRAY_FORMATS, FORMAT)
CHECKPOINT_FORMAT = FORMAT
PARTS = ("model", "metadata", "optimizer", "scheduler")
NUMBER_KINDS = "biuf"  # the arrays of a model's or an optimizer's state

def save_checkpoint(path, model, metadata: dict, optimizer=None, scheduler=None) -> str:
    """Write ``model.state_dict()`` and ``metadata`` (plain values in dicts and
    lists) to ``path`` with :func:`tinygrad_bn.save`, with the state dicts of
    ``optimizer`` and ``scheduler`` when they are given. The file is written whole
    or not at all, and a failed write keeps the file that was there."""
    reserved = metadata.keys() & {"format", *PARTS}
    if reserved:
        raise ValueError(f"save_checkpoint: metadata may not have the entries {entries(reserved)}")
    parts = {"model": {key: tensor.numpy() for key, tensor in model.state_dict().items()}, "metadata": metadata}
    if optimizer is not None:
        parts["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        parts["scheduler"] = scheduler.state_dict()
    save(parts, path)
    return os.fspath(path)


def read_checkpoint(path) -> tuple[dict, dict]:
    """The ``(state_dict, metadata)`` stored in the checkpoint ``path``, as NumPy arrays.

    ``metadata["format"]`` is the file's format; when the checkpoint holds an
    optimizer's or a scheduler's state, ``metadata["optimizer"]`` and
    ``metadata["scheduler"]`` are those state dicts, ready for ``load_state_dict``.
    A damaged or malformed file raises :class:`CheckpointError`.
    """
    arrays = read_arrays(path)
    if "contents" in arrays:
        parts, found = decode(path, arrays), FORMAT
    elif "metadata" in arrays:
        parts, found = _named_array_parts(path, arrays)
    else:
        raise unreadable(path, "it has no contents or metadata entry: it was not written by tinygrad_bn")
    _check_parts(path, parts)
    metadata = {**parts["metadata"], "format": found}
    metadata.update({name: parts[name] for name in ("optimizer", "scheduler") if name in parts})
    return parts["model"], metadata


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
        if name == "optimizer":
            _check_optimizer_fits(path, saved, target)
        else:
            _check_same_kinds(path, f"its {name} state", saved, expected)
        try:
            target.load_state_dict(saved)
        except ValueError as error:
            raise CheckpointError(f"{path}: {error}") from error


# The parts of a checkpoint -----------------------------------------------------------


def _check_parts(path, parts):
    """Refuse parts of a checkpoint that are missing, malformed, or from a newer version."""
    if not isinstance(parts, dict):
        raise unreadable(path, f"it holds a {type(parts).__name__}, not a checkpoint's dict of parts")
    if parts.keys() - set(PARTS):
        raise newer_version(path, f"it has the parts {entries(parts.keys() - set(PARTS))}")
    for name in ("model", "metadata"):
        if name not in parts:
            raise unreadable(path, f"it has no {name}")
    for name in ("model", "metadata", "scheduler"):
        if name in parts:
            _check_names(path, f"its {name}", parts[name])
    for key, array in parts["model"].items():
        if not isinstance(array, numpy.ndarray) or array.dtype.kind not in NUMBER_KINDS:
            raise unreadable(path, f"its model's {key!r} is not an array of numbers")
    if "optimizer" in parts:
        _check_optimizer(path, parts["optimizer"])


def _check_names(path, what: str, value):
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise unreadable(path, f"{what} is not a dict of named entries")


def _check_optimizer(path, state_dict):
    """An optimizer's state dict: ``{"state": {index: {name: value}}, "param_groups": [...]}``,
    its parameters numbered 0 to n - 1 across the groups."""
    if not isinstance(state_dict, dict) or state_dict.keys() != {"state", "param_groups"}:
        raise unreadable(path, "its optimizer state is not a dict of 'state' and 'param_groups'")
    count = _check_param_groups(path, state_dict["param_groups"])
    _check_optimizer_state(path, state_dict["state"], count)


def _check_param_groups(path, groups) -> int:
    """Groups, each a dict with a list of params, numbering them 0 to n - 1; returns n."""
    if not isinstance(groups, list) or not groups:
        raise unreadable(path, "its optimizer state has no list of param_groups")
    for group in groups:
        _check_names(path, "its optimizer's param_groups", group)
        if not isinstance(group.get("params"), list):
            raise unreadable(path, "a group of its optimizer has no list of params")
    indices = [index for group in groups for index in group["params"]]
    if not all(type(index) is int for index in indices) or sorted(indices) != list(range(len(indices))):
        raise unreadable(path, f"its optimizer numbers its parameters {indices}, not 0 to {len(indices) - 1}")
    return len(indices)


def _check_optimizer_state(path, state, count: int):
    """``{index: {name: value}}`` for parameters 0 to ``count`` - 1; each value an array
    of numbers, a number or None."""
    if not isinstance(state, dict):
        raise unreadable(path, "its optimizer's state is not a dict")
    for index, values in state.items():
        if type(index) is not int or not 0 <= index < count:
            raise unreadable(path, f"its optimizer holds state for a parameter {index!r}, not 0 to {count - 1}")
        _check_names(path, f"its optimizer's state of parameter {index}", values)
        for name, value in values.items():
            is_array = isinstance(value, numpy.ndarray) and value.dtype.kind in NUMBER_KINDS
            if not (is_array or value is None or is_number(value)):
                raise unreadable(path, f"its optimizer's {name} of parameter {index} is {value!r}")


def _check_optimizer_fits(path, saved: dict, optimizer):
    """The saved state's arrays have their parameters' shapes; its hyper-parameters, the kinds of ours."""
    params = [param for group in optimizer.param_groups for param in group["params"]]
    for index, values in saved["state"].items():
        for name, value in values.items():
            if isinstance(value, numpy.ndarray) and index < len(params) and value.shape != params[index].shape:
                raise CheckpointError(
                    f"{path} does not fit {type(optimizer).__name__}: its {name} of parameter {index} has shape "
                    f"{value.shape}, the parameter has shape {params[index].shape}"
                )
    for i, (group, ours) in enumerate(zip(saved["param_groups"], optimizer.state_dict()["param_groups"])):
        shared = {key: group[key] for key in ours if key in group and key != "params"}
        _check_same_kinds(path, f"its optimizer's group {i}", shared, {key: ours[key] for key in shared})


def _check_same_kinds(path, what: str, saved, expected):
    """Refuse ``saved`` where it differs from ``expected`` in structure or in the kind of a value."""
    if isinstance(expected, dict):
        if not isinstance(saved, dict) or saved.keys() != expected.keys():
            raise unreadable(path, f"{what} is {saved!r}, where {entries(expected)} belong")
        for key in expected:
            _check_same_kinds(path, f"{what}[{key!r}]", saved[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        if not isinstance(saved, (list, tuple)) or len(saved) != len(expected):
            raise unreadable(path, f"{what} is {saved!r}, where {len(expected)} values belong")
        for i, (value, ours) in enumerate(zip(saved, expected)):
            _check_same_kinds(path, f"{what}[{i}]", value, ours)
    elif is_number(expected) != is_number(saved) or not is_number(saved) and type(saved) is not type(expected):
        raise unreadable(path, f"{what} is {saved!r}, where a value like {expected!r} belongs")


def is_number(value) -> bool:
    """Whether ``value`` is a number of JSON or NumPy, booleans apart."""
    return isinstance(value, (int, float, numpy.number)) and not isinstance(value, (bool, numpy.bool_))


# Files of the formats before save/load -----------------------------------------------


def _named_array_parts(path, arrays: dict) -> tuple[dict, str]:
    """The parts of a checkpoint of formats 1 and 2: ``state/<key>`` arrays,
    ``optimizer/<index>/<name>`` arrays, and JSON ``metadata`` with the rest."""
    text = arrays.pop("metadata")
    try:
        metadata = json.loads(str(text)) if text.shape == () and text.dtype.kind == "U" else None
    except (ValueError, RecursionError) as error:
        raise unreadable(path, f"its metadata is not JSON ({error})") from error
    if not isinstance(metadata, dict):
        raise unreadable(path, "its metadata is not a dict")
    check_format(path, metadata.get("format"), NAMED_ARRAY_FORMATS)
    stray = [key for key in arrays if not key.startswith(("state/", "optimizer/"))]
    if stray:
        raise unreadable(path, f"its arrays {entries(stray)} belong to no part")
    parts = {"model": _entries(arrays, "state/")}
    parts["metadata"] = {key: value for key, value in metadata.items() if key not in {"format", *PARTS}}
    if "scheduler" in metadata:
        parts["scheduler"] = metadata["scheduler"]
    optimizer_arrays = _entries(arrays, "optimizer/")
    if "optimizer" in metadata:
        parts["optimizer"] = _join_arrays(path, metadata["optimizer"], optimizer_arrays)
    elif optimizer_arrays:
        raise unreadable(path, "it has optimizer arrays but no optimizer state")
    return parts, metadata["format"]


def _entries(contents: dict, prefix: str) -> dict:
    """The arrays of ``contents`` whose names start with ``prefix``, without it."""
    return {key.removeprefix(prefix): array for key, array in contents.items() if key.startswith(prefix)}


def _join_arrays(path, rest, arrays: dict) -> dict:
    """An optimizer's state dict from its JSON ``rest`` (indices as strings) and its
    arrays named ``<index>/<name>``."""
    if not isinstance(rest, dict) or not isinstance(rest.get("state"), dict):
        raise unreadable(path, "its optimizer state is not a dict with a 'state' dict")
    state = {}
    for index, values in rest["state"].items():
        if not (index.isascii() and index.isdigit()) or not isinstance(values, dict):
            raise unreadable(path, f"its optimizer holds state {values!r} for a parameter {index!r}")
        state[int(index)] = dict(values)
    for key, array in arrays.items():
        index, _, name = key.partition("/")
        if not (index.isascii() and index.isdigit()) or int(index) not in state:
            raise unreadable(path, f"its optimizer array {key!r} belongs to no parameter's state")
        state[int(index)][name] = array
    return {**rest, "state": state}
