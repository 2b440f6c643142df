r"""Reading the files PyTorch's ``torch.save`` writes, without running anything in them.

Since PyTorch 1.6 ``torch.save(obj, f)`` writes a zip archive with its members in one
folder: ``data.pkl``, a pickle of ``obj``; ``data/<key>``, the raw elements of storage
``key``; ``byteorder`` (``little`` or ``big``); ``version``; and records of the
archive's own layout (``.format_version``, ``.storage_alignment``, ``.data/``) that
reading through the zip directory does not need. In the pickle a tensor is the call
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``,
the view of shape ``size`` and strides ``stride`` (in elements) from element ``offset``
of a storage, which the pickle gives as ``("storage", torch.FloatStorage, key, location, numel)``.

A pickle is a program, and an ordinary unpickler calls whatever it names. Here a stack
machine of this module runs the opcodes ``torch.save`` writes (pickle protocol 2), after
every opcode and every global of the pickle has been checked against :data:`OPCODES`
and :data:`GLOBALS`; each global stands for a function here that checks its arguments,
so nothing of the file is ever called. A storage's size is checked against the archive
before it is read, and each view against its storage before it is copied out
(docs/safety.md). Whatever is wrong raises :class:`Refusal` with the reason, which
:func:`tinygrad_bn.load` turns into its ``CheckpointError``:

>>> parse(b"\x80\x02cos\nsystem\n.")  # PROTO 2, GLOBAL os.system, STOP
Traceback (most recent call last):
tinygrad_bn.torch_format.Refusal: its pickle names os.system, which tinygrad_bn does not load: ...
"""

from __future__ import annotations

import io
import math
import pickletools
import reprlib
import zipfile
from collections import OrderedDict

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.autograd.tensor import Shape
from tinygrad_bn.device import device

VERSIONS = range(1, 11)  # the archive versions PyTorch reads; torch.save writes 3
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # what PyTorch's format before 1.6 pickles first
LEGACY_START = b"\x80\x02\x8a\x0a" + MAGIC_NUMBER.to_bytes(10, "little")  # PROTO 2, LONG1 of 10 bytes
PICKLE_START = b"\x80"  # the PROTO opcode, with which every binary pickle begins
RECORD_LIMIT = 64  # bytes of the version and byteorder records
TENSOR = "torch._utils._rebuild_tensor_v2"


class Refusal(Exception):
    """Why a file in PyTorch's format is not read; :func:`tinygrad_bn.load` names the file."""


# What a pickle may name -------------------------------------------------------------


class StorageType:
    """``torch.FloatStorage`` and its kin: the dtype of a storage in a persistent id."""

    def __init__(self, dtype: str):
        self.dtype = numpy.dtype(dtype)


def _size(dims) -> Shape:
    """``torch.Size(dims)``."""
    if not all(map(_is_count, dims)):
        raise Refusal(f"its pickle has a torch.Size of {reprlib.repr(dims)}, not of lengths")
    return Shape(dims)


def _bytes(text, encoding) -> bytes:
    """``_codecs.encode(text, "latin1")``, how pickle protocol 2 writes ``bytes``."""
    if type(text) is not str or encoding != "latin1":
        raise Refusal(f"its pickle encodes {reprlib.repr(text)} as {reprlib.repr(encoding)}, not bytes as latin1")
    return text.encode("latin1")


def _parameter(data, requires_grad, hooks) -> Tensor:
    """``torch._utils._rebuild_parameter``: a Tensor that requires grad as the Parameter did."""
    if not isinstance(data, Tensor) or type(requires_grad) is not bool or not _is_empty(hooks):
        raise Refusal("its pickle has a Parameter that is not a tensor, a requires_grad flag and no hooks")
    return Tensor(data, requires_grad=requires_grad)


STORAGES = {"HalfStorage": "float16", "FloatStorage": "float32", "DoubleStorage": "float64", "CharStorage": "int8",
            "ShortStorage": "int16", "IntStorage": "int32", "LongStorage": "int64", "ByteStorage": "uint8",
            "BoolStorage": "bool"}
GLOBALS = {  # every global a pickle may name, and what it stands for here
    **{f"torch.{dtype}": numpy.dtype(dtype) for dtype in STORAGES.values()},
    **{f"torch.{name}": StorageType(dtype) for name, dtype in STORAGES.items()},
    "torch.Size": _size,
    "torch.device": device,
    "torch._utils._rebuild_parameter": _parameter,
    TENSOR: None,  # each archive's own Archive.tensor, which reads its storages
    "collections.OrderedDict": OrderedDict,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.complex": complex,
    "_codecs.encode": _bytes,
}
BFLOAT16 = "bfloat16 tensors, a dtype tinygrad_bn does not have: convert them with .float() in PyTorch and save again"
COMPLEX = "complex tensors, which tinygrad_bn does not have"
LACKING = {  # what PyTorch saves that tinygrad_bn has no counterpart for
    "torch.bfloat16": BFLOAT16, "torch.BFloat16Storage": BFLOAT16,
    "torch.complex64": COMPLEX, "torch.complex128": COMPLEX,
    "torch.ComplexFloatStorage": COMPLEX, "torch.ComplexDoubleStorage": COMPLEX,
    "torch._utils._rebuild_tensor_v3": "tensors of a dtype tinygrad_bn does not have (uint16, uint32, uint64, float8)",
    "torch._utils._rebuild_qtensor": "quantized tensors, which tinygrad_bn does not have",
    "torch._utils._rebuild_sparse_tensor": "sparse tensors, which tinygrad_bn does not have",
    "torch._utils._rebuild_parameter_with_state": "a Parameter with Python attributes of its own",
    "torch._tensor._rebuild_from_type_v2": "a tensor of a subclass, or with Python attributes of its own",
}
MODULES = {"__builtin__": "builtins"}  # protocol 2 writes Python 2's module names


def _global(arg: str) -> str:
    """The global a GLOBAL opcode names (``"collections OrderedDict"``), refused unless allowed."""
    module, _, name = arg.partition(" ")
    qualified = f"{MODULES.get(module, module)}.{name}"
    if qualified in LACKING:
        raise Refusal(f"it holds {LACKING[qualified]} ({qualified})")
    if qualified not in GLOBALS:
        raise Refusal(
            f"its pickle names {qualified}, which tinygrad_bn does not load: it loads tensors, Parameters, dicts, "
            "lists, tuples, sets and plain values, as torch.load(weights_only=True) does; nothing of the file was run"
        )
    return qualified


def _is_count(value) -> bool:
    return type(value) is int and value >= 0


def _is_empty(hooks) -> bool:
    """Whether a tensor's pickled backward hooks are none (an empty OrderedDict)."""
    return isinstance(hooks, dict) and not hooks


# The pickle's stack machine ---------------------------------------------------------


class Machine:
    """Pickle's stack machine for :data:`OPCODES`: it builds dicts, lists, tuples and
    plain values, and calls only the stand-ins in ``names`` (qualified name -> object)."""

    def __init__(self, names: dict, persistent_load):
        self.names, self.persistent_load = names, persistent_load
        self.stack, self.marks, self.memo = [], [], {}

    def run(self, ops: list):
        """The object the parsed pickle ``ops`` (opcode name, argument) builds."""
        for name, arg in ops:
            if name == "STOP":
                break
            try:
                OPCODES[name](self, arg)
            except (IndexError, KeyError, TypeError, ValueError, OverflowError) as error:
                raise Refusal(f"its pickle is malformed at {name} ({type(error).__name__}: {error})") from error
        if len(self.stack) != 1 or self.marks:
            raise Refusal(f"its pickle ends with {len(self.stack)} values on its stack, not one")
        return self.stack[0]

    def push(self, value):
        self.stack.append(value)

    def pop(self):
        return self.stack.pop()

    def pop_last(self, count: int) -> tuple:
        if len(self.stack) < count:
            raise IndexError(f"{count} values needed, {len(self.stack)} on the stack")
        items = tuple(self.stack[-count:])
        del self.stack[-count:]
        return items

    def pop_mark(self) -> list:
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def extend(self, items: list):
        """APPEND, APPENDS: onto the list below ``items``."""
        if type(self.stack[-1]) is not list:
            raise Refusal(f"its pickle appends to a {type(self.stack[-1]).__name__}, not a list")
        self.stack[-1].extend(items)

    def set_items(self, flat):
        """SETITEM, SETITEMS: ``flat`` is key, value, key, value, ... into the dict below."""
        if type(self.stack[-1]) not in (dict, OrderedDict) or len(flat) % 2:
            raise Refusal(f"its pickle sets {len(flat)} items of a {type(self.stack[-1]).__name__}")
        self.stack[-1].update(zip(flat[::2], flat[1::2]))

    def reduce(self):
        """REDUCE: call a stand-in of the pickle's globals with a tuple of arguments."""
        args = self.pop()
        function = self.pop()
        if not (callable(function) and any(function is named for named in self.names.values())):
            raise Refusal(f"its pickle calls a {type(function).__name__}, not one of the functions it named")
        if type(args) is not tuple:
            raise Refusal(f"its pickle calls with a {type(args).__name__} of arguments, not a tuple")
        self.push(function(*args))

    def build(self):
        """BUILD: set the state of the object below; only a state dict's ``_metadata``
        (the versions of PyTorch's modules) is such a state."""
        state = self.pop()
        target = self.stack[-1]
        if type(target) is not OrderedDict or type(state) is not dict or not state.keys() <= {"_metadata"}:
            raise Refusal(f"its pickle sets the state of a {type(target).__name__}, which a file of tensors "
                          "does not need")
        target.__dict__.update(state)


OPCODES = {  # what each opcode of pickle protocol 2 that torch.save writes does, given its argument
    "PROTO": lambda m, arg: None,
    "MARK": lambda m, arg: m.marks.append(len(m.stack)),
    "NONE": lambda m, arg: m.push(None),
    "NEWTRUE": lambda m, arg: m.push(True),
    "NEWFALSE": lambda m, arg: m.push(False),
    **dict.fromkeys(("BININT", "BININT1", "BININT2", "LONG1", "LONG4", "BINFLOAT", "BINUNICODE"),
                    lambda m, arg: m.push(arg)),
    "EMPTY_TUPLE": lambda m, arg: m.push(()),
    "TUPLE": lambda m, arg: m.push(tuple(m.pop_mark())),
    "TUPLE1": lambda m, arg: m.push(m.pop_last(1)),
    "TUPLE2": lambda m, arg: m.push(m.pop_last(2)),
    "TUPLE3": lambda m, arg: m.push(m.pop_last(3)),
    "EMPTY_LIST": lambda m, arg: m.push([]),
    "APPEND": lambda m, arg: m.extend([m.pop()]),
    "APPENDS": lambda m, arg: m.extend(m.pop_mark()),
    "EMPTY_DICT": lambda m, arg: m.push({}),
    "SETITEM": lambda m, arg: m.set_items(m.pop_last(2)),
    "SETITEMS": lambda m, arg: m.set_items(m.pop_mark()),
    **dict.fromkeys(("BINPUT", "LONG_BINPUT"), lambda m, index: m.memo.update({index: m.stack[-1]})),
    **dict.fromkeys(("BINGET", "LONG_BINGET"), lambda m, index: m.push(m.memo[index])),
    "GLOBAL": lambda m, arg: m.push(m.names[_global(arg)]),
    "REDUCE": lambda m, arg: m.reduce(),
    "BUILD": lambda m, arg: m.build(),
    "BINPERSID": lambda m, arg: m.push(m.persistent_load(m.pop())),
    "STOP": None,  # ends Machine.run
}


def parse(pickle: bytes) -> list:
    """The opcodes (name, argument) of ``pickle``, each checked against :data:`OPCODES`
    and each global against :data:`GLOBALS` before anything is built."""
    ops = []
    try:
        for opcode, arg, _ in pickletools.genops(io.BytesIO(pickle)):
            if opcode.name not in OPCODES:
                raise Refusal(f"its pickle has the opcode {opcode.name} (pickle protocol {opcode.proto}), which "
                              "torch.save does not write for tensors and plain values: save it with torch.save's "
                              "default pickle_protocol")
            if opcode.name == "GLOBAL":
                _global(arg)
            ops.append((opcode.name, arg))
    except ValueError as error:
        raise Refusal(f"its data.pkl is not a whole pickle ({error})") from error
    return ops


# The archive ------------------------------------------------------------------------


def is_pytorch_archive(names: list) -> bool:
    """Whether the members ``names`` of a zip archive are in a folder that holds a
    ``data.pkl`` (or TorchScript's ``constants.pkl``), as torch.save writes them."""
    folder = names[0].split("/")[0] if names and "/" in names[0] else None
    return folder is not None and not {f"{folder}/data.pkl", f"{folder}/constants.pkl"}.isdisjoint(names)


def refuse_pickle(head: bytes):
    """Refuse, with what to do, a file that starts with ``head`` and is a pickle, not a zip archive."""
    if head.startswith(LEGACY_START):
        raise Refusal("it is in PyTorch's format before version 1.6 (or torch.save with "
                      "_use_new_zipfile_serialization=False), which tinygrad_bn does not read: load it in PyTorch "
                      "and torch.save it again with a recent version")
    if head.startswith(PICKLE_START):
        raise Refusal("it is a Python pickle, which tinygrad_bn does not read, since unpickling can run any code")


class Archive:
    """One archive of PyTorch's (its zip directory's sizes checked): its folder, byte order
    and storages, each read once. ``Archive(archive, map_location, budget).read()`` is the
    object ``torch.save`` wrote, its tensors on ``map_location`` (or where they were saved),
    refused if they would take more than ``budget`` bytes."""

    def __init__(self, archive: zipfile.ZipFile, map_location, budget: int):
        self.archive, self.map_location, self.budget, self.left = archive, map_location, budget, budget
        self.names = archive.namelist()
        self.folder = self.names[0].split("/")[0]
        self.storages = {}  # key -> the storage's elements, in the file's byte order
        self.devices = {}  # id of a storage's array -> the device its tensors go to

    def read(self):
        self.check_members()
        byteorder = self.record("byteorder") or "little"  # how PyTorch reads a file without the record
        if byteorder not in ("little", "big"):
            raise Refusal(f"it has byte order {byteorder!r}, not 'little' or 'big'")
        self.order = "<" if byteorder == "little" else ">"
        ops = parse(self.member("data.pkl"))
        return Machine({**GLOBALS, TENSOR: self.tensor}, self.storage).run(ops)

    def check_members(self):
        """Refuse an archive that is not one torch.save writes, naming what it is."""
        outside = [name for name in self.names if not name.startswith(self.folder + "/")]
        if outside:
            raise Refusal(f"its member {outside[0]!r} lies outside its folder {self.folder!r}")
        if f"{self.folder}/constants.pkl" in self.names:
            raise Refusal("it is a TorchScript archive (torch.jit.save), which holds code and is not read: in "
                          "PyTorch, torch.jit.load it and torch.save its state_dict()")
        version = self.record("version")
        if not (version and version.isdigit() and int(version) in VERSIONS):
            raise Refusal(f"its archive version is {version!r}; tinygrad_bn reads versions {VERSIONS.start} to "
                          f"{VERSIONS.stop - 1}, which torch.save writes")

    def member(self, name: str, size: int | None = None) -> bytes:
        """The bytes of member ``name`` of the folder, its size checked against ``size`` before
        it is read, then read to its end, where zipfile checks its CRC."""
        path = f"{self.folder}/{name}"
        if path not in self.names:
            raise Refusal(f"it has no member {path}")
        info = self.archive.getinfo(path)
        if size is not None and info.file_size != size:
            raise Refusal(f"its member {path!r} holds {info.file_size} bytes, where its pickle declares {size}")
        with self.archive.open(info) as member:
            body = member.read()
        if len(body) != info.file_size:
            raise Refusal(f"its member {path!r} ends after {len(body)} of {info.file_size} bytes")
        return body

    def record(self, name: str) -> str | None:
        """A short text record of the folder (``version``, ``byteorder``), or None if absent."""
        path = f"{self.folder}/{name}"
        if path not in self.names:
            return None
        if self.archive.getinfo(path).file_size > RECORD_LIMIT:
            raise Refusal(f"its member {path} is longer than {RECORD_LIMIT} bytes")
        return self.member(name).decode("ascii", "replace").strip()

    def storage(self, pid) -> numpy.ndarray:
        """BINPERSID: the elements of the storage ``("storage", type, key, location, numel)``,
        read once."""
        if type(pid) is not tuple or len(pid) != 5 or pid[0] != "storage":
            raise Refusal(f"its pickle refers to {reprlib.repr(pid)}, which is not a storage")
        _, kind, key, location, numel = pid
        if not isinstance(kind, StorageType) or type(key) is not str or type(location) is not str \
                or not _is_count(numel):
            raise Refusal(f"its pickle has a malformed storage {reprlib.repr(pid)}")
        if key in self.storages:
            array = self.storages[key]
            if (array.dtype.newbyteorder("="), array.size) != (kind.dtype, numel):
                raise Refusal(f"its storage {key!r} is declared both as {array.size} {array.dtype.name} and as "
                              f"{numel} {kind.dtype.name}")
            return array
        body = self.member(f"data/{key}", size=numel * kind.dtype.itemsize)
        array = self.storages[key] = numpy.frombuffer(body, kind.dtype.newbyteorder(self.order))
        self.devices[id(array)] = self.map_location or location
        return array

    def tensor(self, storage, offset, size, stride, requires_grad, hooks, metadata=None) -> Tensor:
        """``torch._utils._rebuild_tensor_v2``: the view of ``storage`` of shape ``size`` with
        strides ``stride`` from element ``offset``, copied into a tensor of its own."""
        if id(storage) not in self.devices or not _is_count(offset) or type(size) is not tuple \
                or type(stride) is not tuple or len(size) != len(stride) or not all(map(_is_count, size + stride)):
            raise Refusal(f"its pickle has a malformed tensor: offset {offset!r}, size {size!r}, stride {stride!r}")
        if type(requires_grad) is not bool or not _is_empty(hooks) or metadata:
            raise Refusal("its pickle has a tensor with backward hooks, or with negation or conjugation bits")
        check_view(storage.size, offset, size, stride)
        self.spend(math.prod(size) * storage.itemsize)
        strides = tuple(step * storage.itemsize for step in stride)
        view = numpy.lib.stride_tricks.as_strided(storage[offset:], size, strides, writeable=False)
        array = view.astype(storage.dtype.newbyteorder("="))  # a copy, in this machine's byte order
        device = self.devices[id(storage)]
        try:
            return Tensor(array, requires_grad=requires_grad, device=device)
        except (ValueError, TypeError, RuntimeError) as error:
            advice = "; load it with map_location='cpu'" if device != "cpu" else ""
            raise Refusal(f"its tensor of shape {size} cannot be made ({error}){advice}") from error

    def spend(self, nbytes: int):
        """Count ``nbytes`` of tensors against the budget, refusing more than it allows."""
        self.left -= nbytes
        if self.left < 0:
            raise Refusal(f"its tensors would take more than the {self.budget} bytes a file of its size may "
                          "inflate to (views that repeat elements of their storage): refused as a zip bomb")


def check_view(numel: int, offset: int, size: tuple, stride: tuple):
    """Refuse a view that reaches past the end of its storage of ``numel`` elements."""
    # the last element a view reaches: offset + sum_i (size_i - 1) * stride_i
    last = offset + sum((length - 1) * step for length, step in zip(size, stride))
    empty = math.prod(size) == 0
    if (empty and offset > numel) or (not empty and last >= numel):
        raise Refusal(f"its tensor of shape {size} with strides {stride} from element {offset} reaches past the "
                      f"end of its storage of {numel} elements")
