"""``save(obj, f)`` and ``load(f)``, as in PyTorch, for nested dicts, lists and tuples
of Tensors, NumPy arrays and plain values (numbers, strings, booleans, None), without
pickle; and the one verifier every file of this library is read through.

The file is an uncompressed ``.npz`` (a zip archive of ``.npy`` arrays, which
``numpy.load(f, allow_pickle=False)`` opens too): ``contents`` holds, as JSON, the
file format and the nesting, in which each array stands as its member's number.

>>> import io
>>> from tinygrad_bn import Tensor
>>> buffer = io.BytesIO()
>>> save({"w": Tensor([[1.0, 2.0]]), "steps": (3, None)}, buffer)
>>> _ = buffer.seek(0)
>>> loaded = load(buffer)
>>> loaded["w"].tolist(), loaded["steps"]
([[1.0, 2.0]], (3, None))

Reading verifies before it trusts (docs/safety.md): the zip directory's sizes are
checked against the file before anything is inflated, each ``.npy`` header's shape
and dtype against its member's size before anything is allocated, and every member
is read to its end, so that its zip CRC is checked. ``load`` also reads the zip
archives PyTorch's ``torch.save`` writes, through the same directory checks, with
:mod:`tinygrad_bn.torch_format`, which runs none of their pickle's code. Whatever
is wrong gives one error, :class:`CheckpointError` "... is not a readable
checkpoint: <why>".
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import struct
import zipfile
import zlib

import numpy
from numpy.lib import format as npy

from tinygrad_bn import torch_format, torch_save
from tinygrad_bn.autograd import Tensor

FORMAT = "tinygrad_bn.checkpoint/3"  # 1 and 2 are the checkpoint layouts before save/load
FORMAT_NAME = re.compile(r"tinygrad_bn\.checkpoint/(\d+)")
MAX_INFLATION = 32  # a file's members may hold at most 32 times its size, beyond
INFLATION_ALLOWANCE = 2**24  # 16 MiB, which zeros compressed by an older version may take
ARRAY_KINDS = "biufcU"  # booleans, integers, floats, complex numbers and text: no objects
# what a damaged file raises on its way through zipfile, zlib, the .npy header and JSON
DAMAGE = (zipfile.BadZipFile, zlib.error, struct.error, EOFError, ValueError, OSError, OverflowError,
          NotImplementedError, RecursionError)


class CheckpointError(ValueError):
    """A file that cannot be read, or a checkpoint that does not fit the model."""


def unreadable(name, reason: str) -> CheckpointError:
    """The one error for a damaged or malformed file."""
    return CheckpointError(f"{name} is not a readable checkpoint: {reason}")


def newer_version(name, what: str) -> CheckpointError:
    """The error for ``what`` this version does not know, which a newer one may have written."""
    return unreadable(
        name,
        f"{what}, which this version of tinygrad_bn does not know (it reads file formats up to {FORMAT}): "
        "the file was written by a newer version; upgrade tinygrad_bn to read it",
    )


def entries(keys) -> str:
    """``'a', 'b'``: keys for a message."""
    return ", ".join(map(repr, sorted(map(str, keys))))


def check_format(name, found, readable: tuple):
    """Refuse a file whose format is not one of ``readable``, naming a newer format as such."""
    if found in readable:
        return
    number = FORMAT_NAME.fullmatch(found) if isinstance(found, str) else None
    if number is not None and int(number[1]) > int(FORMAT_NAME.fullmatch(FORMAT)[1]):
        raise newer_version(name, f"it has format {found!r}")
    raise unreadable(name, f"it has format {found!r}, expected {' or '.join(map(repr, readable))}")


# Writing -----------------------------------------------------------------------------


def save(obj, f, *, format="tinygrad_bn") -> None:  # noqa: A002 - the keyword of matplotlib's savefig and PIL's Image.save
    """Write ``obj`` (nested dicts, lists and tuples of Tensors, NumPy arrays, numbers,
    strings, booleans and None) to ``f``, a path or a binary file, as PyTorch's
    ``torch.save(obj, f)`` does. A path is written whole or not at all: to
    ``f + ".partial"`` first, then renamed; on failure (a full disk, a missing
    permission) the partial file is removed, an existing ``f`` is kept, and the
    ``OSError`` says which file could not be written.

    ``format="tinygrad_bn"`` (the default) writes this library's file, described above;
    ``format="pytorch"`` writes PyTorch's zip archive, which ``torch.load(f,
    weights_only=True)`` reads, with :mod:`tinygrad_bn.torch_save` (NumPy arrays become
    tensors there). :func:`load` reads both. What cannot be written raises before
    anything is.

    >>> import io
    >>> from tinygrad_bn import Tensor
    >>> buffer = io.BytesIO()
    >>> save({"w": Tensor([1.0, 2.0])}, buffer, format="pytorch")
    >>> _ = buffer.seek(0)
    >>> load(buffer)["w"].tolist()
    [1.0, 2.0]
    """
    if format == "pytorch":
        contents, write = torch_save.encode(obj), torch_save.write_archive
    elif format == "tinygrad_bn":
        contents, write = _members(obj), write_archive
    else:
        raise ValueError(f"save: format must be 'tinygrad_bn' (this library's file) or 'pytorch' (the file "
                         f"torch.load reads), got {format!r}")
    if hasattr(f, "write"):
        write(f, contents)
    else:
        write_file(f, contents, write)


def _members(obj) -> dict:
    """The arrays of this library's file of ``obj`` by member name: ``contents`` and the numbered arrays."""
    arrays = []
    tree = _encode(obj, arrays, "obj")
    contents = json.dumps({"format": FORMAT, "tree": tree})
    return {"contents": numpy.array(contents), **{str(i): array for i, array in enumerate(arrays)}}


def write_file(path, contents, write):
    """``write(handle, contents)`` to ``path`` through ``path.partial``, atomically."""
    path = os.fspath(path)
    partial = path + ".partial"
    try:
        with open(partial, "wb") as handle:
            write(handle, contents)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        if isinstance(error, OSError):
            raise OSError(error.errno, f"cannot write {path}: {error.strerror or error}") from error
        raise


def write_archive(handle, members: dict):
    """An uncompressed ``.npz`` of ``members`` (name -> array) into the binary file ``handle``."""
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
        for name, array in members.items():
            with archive.open(f"{name}.npy", "w", force_zip64=array.nbytes > 2**30) as member:
                npy.write_array(member, array, allow_pickle=False)


def _encode(value, arrays: list, where: str):
    """``value`` as JSON, each array replaced by its number in ``arrays``."""
    if isinstance(value, (Tensor, numpy.ndarray, numpy.generic)):
        array = value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)
        if array.dtype.kind not in ARRAY_KINDS:
            raise TypeError(f"save: {where} holds {array.dtype} values; save stores numbers, booleans and text")
        arrays.append(array)
        if isinstance(value, Tensor):
            return {"tensor": len(arrays) - 1, "requires_grad": value.requires_grad, "device": value.device}
        return {"array" if isinstance(value, numpy.ndarray) else "scalar": len(arrays) - 1}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_encode(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, tuple):
        return {"tuple": [_encode(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, dict):
        if not all(map(_is_key, value)):
            raise TypeError(f"save: {where} has a key that is not a number, string, boolean, None or tuple of them")
        return {"dict": [[_encode(key, arrays, f"a key of {where}"), _encode(item, arrays, f"{where}[{key!r}]")]
                         for key, item in value.items()]}
    advice = "; save its state_dict() instead, as PyTorch recommends" if hasattr(value, "state_dict") else ""
    raise TypeError(
        f"save: {where} is a {type(value).__name__}; save stores nested dicts, lists and tuples of "
        f"Tensors, NumPy arrays, numbers, strings, booleans and None (no pickled objects){advice}"
    )


# Reading -----------------------------------------------------------------------------


def load(f, map_location=None, *, weights_only=None):
    """What :func:`save` or PyTorch's ``torch.save`` wrote to ``f`` (a path or a binary
    file), as PyTorch's ``torch.load(f)``: Tensors on the device they were saved from (or
    on ``map_location``: a device, a dict of saved location to device, or a function of
    ``(storage, location)`` as PyTorch's), NumPy arrays, and the dicts, lists, tuples and plain values
    around them. Nothing in the file is run: ours holds no pickle, and PyTorch's pickle
    is read by :mod:`tinygrad_bn.torch_format`, which allows what PyTorch's
    ``weights_only=True`` allows; ``weights_only`` is accepted and always holds. A
    damaged, malformed or refused file raises :class:`CheckpointError`; none loads
    different data."""
    name = _name(f)
    device, relocate = _map_location(map_location)
    with open_archive(f) as (archive, size):
        if torch_format.is_pytorch_archive(archive.namelist()):
            obj = torch_format.Archive(archive, device, INFLATION_ALLOWANCE + MAX_INFLATION * size).read()
        else:
            obj = decode(name, _read_npz(name, archive), device)
    return obj if relocate is None else _each_tensor(obj, relocate)


def _map_location(map_location) -> tuple:
    """(the device to load onto or None, a function of each loaded tensor or None) for
    ``load``'s ``map_location``: a device or its name; a dict from saved locations to
    devices, all to one device (one device serves each kind here); or PyTorch's
    ``function(storage, location)``, given each tensor after it is loaded onto the CPU,
    with location ``"cpu"``, whose result is kept."""
    if map_location is None:
        return None, None
    if isinstance(map_location, dict):
        targets = {str(target) for target in map_location.values()}
        if len(targets) > 1:
            raise TypeError(f"load: a map_location dict must send every location to one device, "
                            f"got {map_location!r}")
        return (targets.pop() if targets else None), None
    if callable(map_location) and not isinstance(map_location, str):
        return "cpu", lambda tensor: _relocated(map_location, tensor)
    return str(map_location), None


def _relocated(function, tensor):
    result = function(tensor, "cpu")
    if not isinstance(result, Tensor):
        raise TypeError(f"load: map_location function must return a tensor, got {type(result).__name__}")
    return result


def _each_tensor(obj, function):
    """``obj`` with ``function`` applied to each Tensor inside its dicts, lists and tuples."""
    if isinstance(obj, Tensor):
        return function(obj)
    if isinstance(obj, dict):
        return type(obj)((key, _each_tensor(value, function)) for key, value in obj.items())
    if isinstance(obj, list):
        return [_each_tensor(value, function) for value in obj]
    if isinstance(obj, tuple):
        items = [_each_tensor(value, function) for value in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
    return obj


def read_arrays(f) -> dict:
    """Every array of the ``.npz`` file ``f`` (a path or a binary file) by its name,
    each verified (see the module's docstring); :class:`CheckpointError` if any is not."""
    with open_archive(f) as (archive, _):
        return _read_npz(_name(f), archive)


@contextlib.contextmanager
def open_archive(f):
    """The zip archive ``f`` (a path or a binary file) and the file's size, the sizes of
    its directory checked; whatever is wrong with the file, also while the ``with``
    block reads it, raises :class:`CheckpointError`."""
    name = _name(f)
    with contextlib.ExitStack() as stack:
        handle = f if hasattr(f, "read") else stack.enter_context(open(f, "rb"))
        try:
            size = handle.seek(0, os.SEEK_END)
            archive = stack.enter_context(_zip(handle))
            _check_directory(name, archive.infolist(), size)
            yield archive, size
        except CheckpointError:
            raise
        except torch_format.Refusal as refusal:
            raise unreadable(name, str(refusal)) from None
        except DAMAGE as error:
            raise unreadable(name, f"{type(error).__name__}: {error}") from error


def _zip(handle) -> zipfile.ZipFile:
    """``handle`` as a zip archive; a pickle (PyTorch's format before 1.6) is refused as such."""
    try:
        return zipfile.ZipFile(handle)
    except zipfile.BadZipFile:
        handle.seek(0)
        torch_format.refuse_pickle(handle.read(len(torch_format.LEGACY_START)))
        raise


def _check_directory(name, infos: list, size: int):
    """Refuse members named twice, encrypted or compressed in a way we do not write, and
    sizes the file cannot hold, before anything is inflated."""
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise unreadable(name, "it names a member twice")
    for info in infos:
        stored = info.compress_type == zipfile.ZIP_STORED
        if info.flag_bits & 0x1:
            raise unreadable(name, f"its member {info.filename!r} is encrypted")
        if not stored and info.compress_type != zipfile.ZIP_DEFLATED:
            raise unreadable(name, f"its member {info.filename!r} is compressed with method {info.compress_type}")
        if info.compress_size > size or (stored and info.file_size != info.compress_size):
            raise unreadable(
                name, f"its member {info.filename!r} declares {info.file_size} bytes, which the file of {size} "
                "bytes does not hold"
            )
    inflated = sum(info.file_size for info in infos)
    if inflated > INFLATION_ALLOWANCE + MAX_INFLATION * size:
        raise unreadable(
            name, f"its members would inflate to {inflated} bytes, more than {MAX_INFLATION} times its own "
            f"{size}: refused as a zip bomb"
        )


def _read_npz(name, archive: zipfile.ZipFile) -> dict:
    """Every member of ``archive``, each a plain ``.npy`` array, by its name."""
    infos = archive.infolist()
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise unreadable(name, f"its member {info.filename!r} is not a plain .npy array")
    return {info.filename.removesuffix(".npy"): _read_npy(name, archive, info) for info in infos}


def _read_npy(name, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> numpy.ndarray:
    """One member as an array: its header checked against its size, then read to its end."""
    with archive.open(info) as member:
        version = npy.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise unreadable(name, f"its member {info.filename!r} is .npy version {version}")
        read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, fortran_order, dtype = read_header(member)
        plain = dtype.kind in ARRAY_KINDS and dtype.fields is None and dtype.itemsize > 0
        if not plain or min(shape, default=0) < 0:
            raise unreadable(name, f"its member {info.filename!r} holds {dtype} of shape {shape}")
        count = math.prod(shape)
        declared, held = count * dtype.itemsize, info.file_size - member.tell()
        if declared != held:
            raise unreadable(
                name, f"its member {info.filename!r} declares {dtype} of shape {shape} ({declared} bytes) "
                f"but holds {held} bytes"
            )
        body = member.read()  # to the end, where zipfile checks the CRC
    if len(body) != declared:
        raise unreadable(name, f"its member {info.filename!r} ends after {len(body)} of {declared} bytes")
    order = "F" if fortran_order else "C"
    return numpy.frombuffer(body, dtype, count).reshape(shape, order=order).copy(order="K")


def decode(name, arrays: dict, map_location=None):
    """The object :func:`save` wrote, from the verified ``arrays`` of its file."""
    contents = arrays.get("contents")
    if contents is None or contents.shape != () or contents.dtype.kind != "U":
        raise unreadable(name, "it has no contents entry: it was not written by tinygrad_bn.save")
    try:
        contents = json.loads(str(contents))
    except (ValueError, RecursionError) as error:
        raise unreadable(name, f"its contents are not JSON ({error})") from error
    if not isinstance(contents, dict) or "format" not in contents or "tree" not in contents:
        raise unreadable(name, "its contents are not a format and a tree")
    check_format(name, contents["format"], (FORMAT,))
    if contents.keys() != {"format", "tree"}:
        raise newer_version(name, f"its contents have {entries(contents.keys() - {'format', 'tree'})}")
    numbered = {key: array for key, array in arrays.items() if key != "contents"}
    used = set()
    device = None if map_location is None else str(map_location)
    try:
        obj = _decode(contents["tree"], _Arrays(name, numbered, used), device)
    except RecursionError as error:
        raise unreadable(name, "its tree is nested too deeply") from error
    if used != numbered.keys():
        raise unreadable(name, f"its arrays {sorted(numbered.keys() - used)} belong nowhere in its tree")
    return obj


class _Arrays:
    """The numbered arrays of a file, each taken once by the tree."""

    def __init__(self, name, arrays: dict, used: set):
        self.name, self.arrays, self.used = name, arrays, used

    def take(self, number) -> numpy.ndarray:
        key = str(number) if type(number) is int else None
        if key not in self.arrays or key in self.used:
            raise unreadable(self.name, f"its tree refers to array {number!r}, which it does not hold once")
        self.used.add(key)
        return self.arrays[key]


TAGS = {  # each JSON object of a tree: its keys and the type of each
    "tuple": {"tuple": list},
    "dict": {"dict": list},
    "array": {"array": int},
    "scalar": {"scalar": int},
    "tensor": {"tensor": int, "requires_grad": bool, "device": str},
}


def _decode(node, arrays: _Arrays, device):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(item, arrays, device) for item in node]
    tag = _tag(node, arrays)
    if tag == "tuple":
        return tuple(_decode(item, arrays, device) for item in node["tuple"])
    if tag == "dict":
        return _decode_dict(node["dict"], arrays, device)
    return _decode_stored(tag, node, arrays, device)


def _tag(node: dict, arrays: _Arrays) -> str:
    """Which of :data:`TAGS` a JSON object of the tree is; refuses other keys or kinds."""
    tag = next((tag for tag in TAGS if tag in node), None)
    if tag is not None and node.keys() - TAGS[tag].keys() or tag is None and node:
        raise newer_version(arrays.name, f"its tree has an object with {entries(node.keys())}")
    if tag is None or not all(type(node.get(key)) is kind for key, kind in TAGS[tag].items()):
        raise unreadable(arrays.name, f"its tree has a malformed {tag}: {node}")
    return tag


def _decode_stored(tag: str, node: dict, arrays: _Arrays, device):
    """An array, a scalar or a tensor: a value kept in the file's arrays."""
    array = arrays.take(node[tag])
    if tag == "array":
        return array
    if tag == "scalar":
        if array.shape != ():
            raise unreadable(arrays.name, f"its scalar {node['scalar']} has shape {array.shape}")
        return array[()]
    try:
        return Tensor(array, requires_grad=node["requires_grad"], device=device or node["device"])
    except ValueError as error:
        raise unreadable(arrays.name, f"its tensor {node['tensor']}: {error}") from error


def _decode_dict(pairs: list, arrays: _Arrays, device) -> dict:
    result = {}
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2:
            raise unreadable(arrays.name, f"its tree has a dict entry {pair!r}, not a [key, value] pair")
        key = _decode(pair[0], arrays, device)
        if not _is_key(key):
            raise unreadable(arrays.name, f"its tree has a dict key {key!r}")
        result[key] = _decode(pair[1], arrays, device)
    return result


def _is_key(key) -> bool:
    """Whether a decoded value is a key :func:`save` writes: a plain value or a tuple of them."""
    if isinstance(key, tuple):
        return all(_is_key(item) for item in key)
    return key is None or isinstance(key, (bool, int, float, str))


def _name(f) -> str:
    """How messages name the file ``f``."""
    return getattr(f, "name", "the file") if hasattr(f, "read") else os.fspath(f)
