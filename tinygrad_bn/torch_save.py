r"""Writing the files PyTorch's ``torch.load(f, weights_only=True)`` reads: what
``tinygrad_bn.save(obj, f, format="pytorch")`` writes.

The archive is the one :mod:`tinygrad_bn.torch_format` reads (its docstring has the
layout), in a folder ``archive``: ``data.pkl``, ``data/<key>`` for each storage,
``byteorder`` (always ``little``) and ``version`` (``3``, what ``torch.save`` writes).
The records of the archive's own layout (``.format_version``, ``.storage_alignment``)
are left out: with them PyTorch may compute where a storage starts from the layout its
own zip writer makes, which Python's differs from; without them it looks each storage up
in the zip directory.

The pickle is written here, opcode by opcode (pickle protocol 2), and names only globals
``weights_only=True`` allows: ``torch._utils._rebuild_tensor_v2``, the storage types
(``torch.FloatStorage`` and its kin) and ``collections.OrderedDict``. A tensor is the call
``_rebuild_tensor_v2(storage, 0, size, stride, requires_grad, OrderedDict())``.

Storages: each Tensor or NumPy array is written as a storage of its own, its elements
in C order and little endian, with the strides of a contiguous tensor; the same object
met twice is written once and read twice from that one storage, so a weight tied by
identity stays tied in PyTorch. Two different views of one array get a storage each.
A Tensor keeps its ``requires_grad`` and its device (as the storage's location; PyTorch
without CUDA loads a ``"cuda"`` tensor with ``map_location="cpu"``); an ``nn.Parameter``
is written as a plain tensor that requires grad, which PyTorch's ``load_state_dict`` takes.
NumPy arrays and scalars become tensors (0-d for a scalar), since ``weights_only=True``
reads no NumPy objects; :func:`tinygrad_bn.load` gives them back as Tensors.

Everything is encoded before anything is written, so what cannot be written raises
first:

>>> import io, zipfile
>>> from tinygrad_bn import Tensor, load
>>> buffer = io.BytesIO()
>>> write_archive(buffer, encode({"w": Tensor([[1.0, 2.0], [3.0, 4.0]]).T, "steps": 3}))
>>> zipfile.ZipFile(buffer).namelist()
['archive/data.pkl', 'archive/byteorder', 'archive/data/0', 'archive/version']
>>> loaded = load(buffer)
>>> loaded["w"].tolist(), loaded["steps"]
([[1.0, 3.0], [2.0, 4.0]], 3)
>>> encode({"f": print})
Traceback (most recent call last):
TypeError: save(format='pytorch'): obj['f'] is a builtin_function_or_method; ...
"""

from __future__ import annotations

import struct
import zipfile
from collections import OrderedDict
from pickle import (
    APPENDS,
    BINFLOAT,
    BININT,
    BININT1,
    BININT2,
    BINPERSID,
    BINUNICODE,
    BUILD,
    EMPTY_DICT,
    EMPTY_LIST,
    EMPTY_TUPLE,
    GLOBAL,
    LONG1,
    MARK,
    NEWFALSE,
    NEWTRUE,
    NONE,
    PROTO,
    REDUCE,
    SETITEMS,
    STOP,
    TUPLE,
)
from typing import NamedTuple

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.torch_format import STORAGES

FOLDER = "archive"
VERSION = "3\n"  # the archive version torch.save writes
ALIGNMENT = 64  # bytes; where each storage's data starts in the file
LOCAL_HEADER, ZIP64_SIZES = 30, 20  # bytes of a zip member's local header, and of its zip64 extra field
PADDING_ID = 0x6274  # "tb": the id of the extra field that pads a local header; readers skip ids they do not know
STORAGE_TYPES = {dtype: name for name, dtype in STORAGES.items()}  # "float32" -> "FloatStorage"
SUPPORTED = ("nested dicts (OrderedDict kept), lists and tuples of Tensors, NumPy arrays (written as tensors), "
             "ints, floats, strings, booleans and None")
WHO = "save(format='pytorch')"


class Pickled(NamedTuple):
    """An object encoded for PyTorch: its pickle and the arrays of its storages, by key (index)."""

    pickle: bytes
    storages: list


def encode(obj) -> Pickled:
    """``obj`` as a pickle PyTorch's ``weights_only`` loader reads, and its storages;
    ``TypeError`` or ``ValueError`` naming where ``obj`` holds something else."""
    return Pickler().dump(obj)


def write_archive(handle, pickled: Pickled):
    """The zip archive of ``pickled`` into the binary file ``handle``, uncompressed, each
    storage starting at a multiple of 64 bytes of the file (as torch.save aligns them, so
    that ``torch.load(f, mmap=True)`` maps aligned tensors)."""
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{FOLDER}/data.pkl", pickled.pickle)
        archive.writestr(f"{FOLDER}/byteorder", "little")
        for key, array in enumerate(pickled.storages):
            large = array.nbytes > 2**30  # zip64 sizes, decided before the member is written
            info = aligned(f"{FOLDER}/data/{key}", archive.fp.tell(), large)  # fp.tell(): where its header goes
            with archive.open(info, "w", force_zip64=large) as member:
                member.write(little_endian_bytes(array))
        archive.writestr(f"{FOLDER}/version", VERSION)


def aligned(name: str, offset: int, zip64: bool) -> zipfile.ZipInfo:
    """A member ``name`` whose local header, written at ``offset``, is padded with an extra
    field so that its data starts at a multiple of :data:`ALIGNMENT`."""
    info = zipfile.ZipInfo(name)
    # the data starts after the header (30 bytes), the name, the zip64 sizes, and the padding's id and length
    start = offset + LOCAL_HEADER + len(name.encode()) + (ZIP64_SIZES if zip64 else 0) + 4
    padding = -start % ALIGNMENT
    info.extra = struct.pack("<HH", PADDING_ID, padding) + bytes(padding)
    return info


def little_endian_bytes(array: numpy.ndarray) -> bytes:
    """The elements of ``array`` in C order, each little endian."""
    return array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes(order="C")


def contiguous_strides(shape: tuple) -> tuple:
    """The strides, in elements, of a C-contiguous tensor of ``shape``, as PyTorch gives
    them: stride_i = prod_{j > i} max(size_j, 1)."""
    strides, step = [], 1
    for length in reversed(shape):
        strides.append(step)
        step *= max(length, 1)
    return tuple(reversed(strides))


class Pickler:
    """Pickle protocol 2 of one object, written opcode by opcode, and the storages its
    tensors refer to."""

    def __init__(self):
        self.out = bytearray()
        self.storages = []  # a storage's key is its index here
        self.keys = {}  # id of a Tensor or array of obj -> its storage's key
        self.open = set()  # ids of the containers being written, to refuse a cycle

    def dump(self, obj) -> Pickled:
        self.out += PROTO + b"\x02"
        self.write_value(obj, "obj")
        self.out += STOP
        return Pickled(bytes(self.out), self.storages)

    def write_value(self, value, where: str):
        if isinstance(value, (Tensor, numpy.ndarray, numpy.generic)):  # before float: numpy.float64 is one
            self.write_tensor(value, where)
        elif isinstance(value, (list, tuple, dict)):
            self.write_container(value, where)
        elif value is None or isinstance(value, (bool, int, float, str)):
            self.out += plain(value, where)
        else:
            raise unsupported(value, where)

    def write_container(self, value, where: str):
        if id(value) in self.open:
            raise ValueError(f"{WHO}: {where} holds itself; a pickle for PyTorch is written without cycles")
        self.open.add(id(value))
        if isinstance(value, tuple):
            self.write_tuple(value, where)
        elif isinstance(value, list):
            self.write_list(value, where)
        else:
            self.write_dict(value, where)
        self.open.remove(id(value))

    def write_tuple(self, value: tuple, where: str):
        if not value:
            self.out += EMPTY_TUPLE
            return
        self.out += MARK
        for i, item in enumerate(value):
            self.write_value(item, f"{where}[{i}]")
        self.out += TUPLE

    def write_list(self, value: list, where: str):
        self.out += EMPTY_LIST
        if value:
            self.out += MARK
            for i, item in enumerate(value):
                self.write_value(item, f"{where}[{i}]")
            self.out += APPENDS

    def write_dict(self, value: dict, where: str):
        """A dict, or an OrderedDict (a state dict) with its ``_metadata`` if it has one."""
        ordered = isinstance(value, OrderedDict)
        self.out += empty_ordered_dict() if ordered else EMPTY_DICT
        if value:
            self.out += MARK
            for key, item in value.items():
                self.write_value(key, f"a key of {where}")
                self.write_value(item, f"{where}[{key!r}]")
            self.out += SETITEMS
        if ordered and hasattr(value, "_metadata"):
            self.write_value({"_metadata": value._metadata}, where)
            self.out += BUILD

    def write_tensor(self, value, where: str):
        """``_rebuild_tensor_v2(storage, 0, size, stride, requires_grad, OrderedDict())``."""
        array = value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)
        storage_type = STORAGE_TYPES.get(array.dtype.name)
        if storage_type is None:
            raise TypeError(f"{WHO}: {where} holds {array.dtype} values; PyTorch's format is written for "
                            f"{', '.join(STORAGE_TYPES)}")
        if id(value) not in self.keys:
            self.keys[id(value)] = str(len(self.storages))
            self.storages.append(array)
        location = str(value.device) if isinstance(value, Tensor) else "cpu"
        requires_grad = isinstance(value, Tensor) and value.requires_grad
        self.out += global_name("torch._utils", "_rebuild_tensor_v2") + MARK
        self.out += MARK + plain("storage", where) + global_name("torch", storage_type)
        self.out += plain(self.keys[id(value)], where) + plain(location, where) + plain(array.size, where)
        self.out += TUPLE + BINPERSID + plain(0, where)  # the storage, then the view's offset in it
        self.write_tuple(array.shape, where)
        self.write_tuple(contiguous_strides(array.shape), where)
        self.out += plain(requires_grad, where) + empty_ordered_dict() + TUPLE + REDUCE


def plain(value, where: str) -> bytes:
    """The opcode of None, a boolean, an int, a float or a string, with its argument."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return NEWTRUE if value else NEWFALSE
    if isinstance(value, int):
        return integer(value, where)
    if isinstance(value, float):
        return BINFLOAT + struct.pack(">d", value)
    text = value.encode("utf-8", "surrogatepass")
    return BINUNICODE + struct.pack("<I", len(text)) + text


def integer(n: int, where: str) -> bytes:
    """The shortest of BININT1, BININT2 and BININT for ``n``, or LONG1: its two's complement
    in at most 255 bytes, the longest PyTorch's ``weights_only`` loader reads."""
    if 0 <= n < 2**8:
        return BININT1 + n.to_bytes(1, "little")
    if 0 <= n < 2**16:
        return BININT2 + n.to_bytes(2, "little")
    if -(2**31) <= n < 2**31:
        return BININT + n.to_bytes(4, "little", signed=True)
    size = n.bit_length() // 8 + 1  # bytes for its bits and a sign bit
    if size > 255:
        raise ValueError(f"{WHO}: {where} is an int of {n.bit_length()} bits; PyTorch's weights_only loader "
                         "reads ints of at most 2039 bits")
    return LONG1 + bytes([size]) + n.to_bytes(size, "little", signed=True)


def global_name(module: str, name: str) -> bytes:
    return GLOBAL + f"{module}\n{name}\n".encode("ascii")


def empty_ordered_dict() -> bytes:
    """``OrderedDict()``: the global called with no arguments."""
    return global_name("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE


def unsupported(value, where: str) -> TypeError:
    advice = "; save its state_dict() instead" if hasattr(value, "state_dict") else ""
    return TypeError(f"{WHO}: {where} is a {type(value).__name__}; PyTorch's format is written for {SUPPORTED}"
                     f"{advice}")
