"""save/load: nested values round-trip to the bit, PyTorch's state dicts included; the
verifier refuses damaged, oversized and malformed files with one error; a failed write
keeps the file that was there."""

import errno
import io
import json
import re
import struct
import tracemalloc
import zipfile

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn import Tensor, nn, optim, serialization
from tinygrad_bn.serialization import CheckpointError, load, save

UNREADABLE = "is not a readable checkpoint"


def round_trip(obj):
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    return load(buffer)


@pytest.mark.parametrize(
    "obj",
    [
        {"a": 1, "b": [2.5, -0.0, float("inf"), "text", None, True], "c": (1, (2, 3)), 4: {"nested": []}},
        [numpy.arange(6, dtype=numpy.int64).reshape(2, 3), numpy.float32(1.5), numpy.array(True)],
        {(1, "x"): numpy.asfortranarray(numpy.ones((3, 2), numpy.float16)), 0.5: numpy.zeros((0, 4))},
        {"tensor": Tensor([[1.0, 2.0]], dtype="float64", requires_grad=True), "ints": Tensor([1, 2])},
        numpy.array(numpy.nan),
        "just a string",
    ],
    ids=["plain", "arrays", "keys", "tensors", "nan", "string"],
)
def test_values_round_trip_to_the_bit(obj, same):
    assert same(round_trip(obj), obj)


def test_a_path_and_numpy_can_read_the_file(tmp_path, same):
    path = tmp_path / "values.pt"
    save({"w": numpy.arange(3.0)}, path)
    assert same(load(path), {"w": numpy.arange(3.0)})
    with numpy.load(path, allow_pickle=False) as archive:
        assert json.loads(str(archive["contents"]))["format"] == serialization.FORMAT
        numpy.testing.assert_array_equal(archive["0"], numpy.arange(3.0))


def test_a_model_state_dict_round_trips_with_pytorchs_idiom(tmp_path, same):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    model(tinygrad_bn.randn(5, 3))  # running statistics and num_batches_tracked change
    tinygrad_bn.save(model.state_dict(), tmp_path / "model.pt")
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    other.load_state_dict(tinygrad_bn.load(tmp_path / "model.pt"))
    assert same(dict(other.state_dict()), dict(model.state_dict()))


@pytest.mark.parametrize("optimizer_class, options", [(optim.SGD, {"lr": 0.1, "momentum": 0.9}), (optim.Adam, {})])
def test_an_optimizer_state_dict_round_trips(optimizer_class, options, same):
    model = nn.Linear(3, 2)
    optimizer = optimizer_class(model.parameters(), **options)
    for _ in range(2):
        optimizer.zero_grad()
        model(tinygrad_bn.randn(4, 3)).sum().backward()
        optimizer.step()
    state = optimizer.state_dict()
    loaded = round_trip(state)
    assert same(loaded, state)
    resumed = optimizer_class(model.parameters(), **options)
    resumed.load_state_dict(loaded)
    assert same(resumed.state_dict(), state)


def test_pytorchs_state_dict_keys_and_values_come_back(tmp_path, same):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    state = {key: value.numpy() for key, value in theirs.state_dict().items()}
    save(state, tmp_path / "state.pt")
    loaded = load(tmp_path / "state.pt")
    assert list(loaded) == list(theirs.state_dict()) and same(loaded, state)
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    ours.load_state_dict(loaded)
    numpy.testing.assert_array_equal(ours[0].weight.numpy(), theirs[0].weight.detach().numpy())


@pytest.mark.parametrize("pytorch_format", [False, True])
@pytest.mark.parametrize("map_location", [
    lambda storage, location: storage, {"cuda:0": "cpu"}, {}, "cpu",
], ids=["function", "dict", "empty dict", "name"])
def test_map_location_takes_pytorchs_forms(torch, pytorch_format, map_location):
    state = {"w": Tensor([1.0, 2.0]), "nested": [(Tensor([3]), 4)], "step": 5}
    buffer = io.BytesIO()
    save(state, buffer, format="pytorch" if pytorch_format else "tinygrad_bn")
    for reader in (load, torch.load) if pytorch_format else (load,):  # PyTorch reads its own format only
        buffer.seek(0)
        loaded = reader(buffer, map_location=map_location, weights_only=True)
        assert loaded["w"].tolist() == [1.0, 2.0] and loaded["nested"][0][0].tolist() == [3]
        assert loaded["step"] == 5 and str(loaded["w"].device) == "cpu"


def test_a_map_location_function_result_is_kept_and_checked():
    buffer = io.BytesIO()
    save({"w": Tensor([1.0, 2.0])}, buffer)
    buffer.seek(0)
    assert load(buffer, map_location=lambda storage, location: storage * 2)["w"].tolist() == [2.0, 4.0]
    buffer.seek(0)
    with pytest.raises(TypeError, match="must return a tensor, got NoneType"):
        load(buffer, map_location=lambda storage, location: None)
    buffer.seek(0)
    with pytest.raises(TypeError, match="to one device"):
        load(buffer, map_location={"cpu": "cpu", "cuda:0": "cuda:1"})


def test_tensors_load_onto_map_location(strict_cuda):
    loaded = round_trip({"w": Tensor([1.0, 2.0], device="cuda")})
    assert loaded["w"].device == "cuda"
    buffer = io.BytesIO()
    save({"w": Tensor([1.0, 2.0], device="cuda")}, buffer)
    buffer.seek(0)
    assert load(buffer, map_location="cpu")["w"].device == "cpu"


@pytest.mark.parametrize(
    "obj, where",
    [
        ({"f": print}, "obj['f'] is a builtin_function_or_method"),
        ([numpy.array([{}], dtype=object)], "obj[0] holds object values"),
        ({Tensor([1.0]): 1}, "obj has a key that is not a number"),
    ],
)
def test_what_save_cannot_store_is_a_type_error(obj, where):
    with pytest.raises(TypeError, match=re.escape(f"save: {where}")):
        save(obj, io.BytesIO())


@pytest.mark.parametrize("file_format", ["tinygrad_bn", "pytorch"])
def test_a_whole_module_is_refused_with_the_advice_to_save_its_state_dict(file_format):
    from tinygrad_bn import nn

    with pytest.raises(TypeError, match=r"obj is a Sequential; .* save its state_dict\(\) instead"):
        save(nn.Sequential(nn.Linear(2, 2)), io.BytesIO(), format=file_format)


# What the verifier refuses -------------------------------------------------------------


def npy_member(archive, name, header: dict, body: bytes, compress_type=zipfile.ZIP_STORED):
    header_text = repr(header).encode() + b" "
    header_text += b" " * (-(10 + len(header_text) + 1) % 64) + b"\n"
    with archive.open(zipfile.ZipInfo(name), "w") as member:
        member.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header_text)) + header_text + body)


def contents_for(count: int) -> str:
    return json.dumps({"format": serialization.FORMAT, "tree": [{"array": i} for i in range(count)]})


def archive_with(*members) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        with archive.open("contents.npy", "w") as member:
            numpy.lib.format.write_array(member, numpy.array(contents_for(len(members))))
        for i, (header, body) in enumerate(members):
            npy_member(archive, f"{i}.npy", header, body)
    buffer.seek(0)
    return buffer


def refused_within(budget_bytes: int, f, match: str):
    """``load(f)`` is refused with ``match`` without allocating more than ``budget_bytes``."""
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=match):
            load(f)
        assert tracemalloc.get_traced_memory()[1] < budget_bytes
    finally:
        tracemalloc.stop()


def test_a_well_formed_archive_of_our_making_loads(same):
    """The hand-made members below are refused for what they declare, not for how they are made."""
    header = {"descr": "<f4", "fortran_order": False, "shape": (2,)}
    assert same(load(archive_with((header, numpy.ones(2, "<f4").tobytes()))), [numpy.ones(2, "<f4")])


def test_an_array_declared_with_a_trillion_elements_is_refused_before_allocation():
    header = {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6)}
    match = r"declares float32 of shape \(1000000, 1000000\) \(4000000000000 bytes\) but holds 16 bytes"
    refused_within(2**20, archive_with((header, bytes(16))), match)


def test_a_zip_bomb_is_refused_before_inflation():
    """64 MiB of zeros, deflated to 64 KiB: more than the file can honestly hold."""
    buffer = io.BytesIO()
    zeros = bytes(2**20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("contents.npy", "w") as member:
            numpy.lib.format.write_array(member, numpy.array(contents_for(1)))
        with archive.open("0.npy", "w") as member:
            numpy.lib.format.write_array_header_1_0(member, {"descr": "|u1", "fortran_order": False,
                                                             "shape": (64 * len(zeros),)})
            for _ in range(64):
                member.write(zeros)
    assert len(buffer.getvalue()) < 2**20
    buffer.seek(0)
    bomb = r"would inflate to 671\d{5} bytes, more than 32 times its own \d+: refused as a zip bomb"
    refused_within(2**20, buffer, bomb)


def test_a_member_declaring_more_than_the_file_holds_is_refused():
    """The zip directory says 3 GiB where the file holds 8 bytes."""
    raw = bytearray(archive_with(({"descr": "|u1", "fortran_order": False, "shape": (8,)}, bytes(8))).getvalue())
    directory = raw.rindex(b"PK\x01\x02")  # the last member's entry of the central directory
    raw[directory + 20:directory + 28] = struct.pack("<II", 3 * 2**30, 3 * 2**30)  # compressed, uncompressed
    refused_within(2**20, io.BytesIO(bytes(raw)), "declares 3221225472 bytes, which the file of .* does not hold")


def test_pickled_and_foreign_files_are_refused(tmp_path):
    pickled = tmp_path / "pickled.npz"
    numpy.savez(pickled, contents=numpy.array([{"format": 1}], dtype=object))
    with pytest.raises(CheckpointError, match=f"{UNREADABLE}: its member 'contents.npy' holds object"):
        load(pickled)
    plain = tmp_path / "plain.npz"
    numpy.savez(plain, weights=numpy.ones(3))
    with pytest.raises(CheckpointError, match=f"{UNREADABLE}: it has no contents entry"):
        load(plain)
    text = tmp_path / "text.pt"
    text.write_text("not a zip")
    with pytest.raises(CheckpointError, match=f"{UNREADABLE}: BadZipFile"):
        load(text)


def saved_contents(contents: dict) -> io.BytesIO:
    buffer = io.BytesIO()
    serialization.write_archive(buffer, {"contents": numpy.array(json.dumps(contents))})
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize(
    "contents, message",
    [
        ({"format": "tinygrad_bn.checkpoint/4", "tree": 1},
         r"it has format 'tinygrad_bn.checkpoint/4', which this version of tinygrad_bn does not know \(it reads "
         r"file formats up to tinygrad_bn.checkpoint/3\): the file was written by a newer version"),
        ({"format": serialization.FORMAT, "tree": 1, "compression": "zstd"},
         "its contents have 'compression', which this version of tinygrad_bn does not know .* newer version"),
        ({"format": serialization.FORMAT, "tree": {"bfloat16": 0}},
         "its tree has an object with 'bfloat16', which .* newer version"),
        ({"format": "someone-else/7", "tree": 1},
         "it has format 'someone-else/7', expected 'tinygrad_bn.checkpoint/3'"),
        ({"format": serialization.FORMAT, "tree": {"array": 0}},
         "its tree refers to array 0, which it does not hold once"),
        ({"format": serialization.FORMAT, "tree": {"dict": [[[1], 2]]}}, r"its tree has a dict key \[1\]"),
        ({"format": serialization.FORMAT, "tree": {"tensor": 0}}, "its tree has a malformed tensor"),
        ([1, 2], "its contents are not a format and a tree"),
    ],
)
def test_malformed_and_newer_contents_are_named(contents, message):
    with pytest.raises(CheckpointError, match=f"{UNREADABLE}: {message}"):
        load(saved_contents(contents))


# Writing ------------------------------------------------------------------------------


def test_a_full_disk_keeps_the_old_file_and_leaves_no_partial(tmp_path, monkeypatch):
    path = tmp_path / "values.pt"
    save({"old": 1}, path)
    old = path.read_bytes()

    def disk_full(handle, members):
        handle.write(b"PK\x03\x04 half an archive")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(serialization, "write_archive", disk_full)
    with pytest.raises(OSError, match=f"cannot write {path}: No space left on device") as error:
        save({"new": 2}, path)
    assert error.value.errno == errno.ENOSPC and "\n" not in str(error.value)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["values.pt"]


def test_a_missing_folder_is_one_line(tmp_path):
    path = tmp_path / "missing" / "values.pt"
    with pytest.raises(OSError, match=f"cannot write {path}: No such file or directory"):
        save({}, path)


def test_arrays_are_stored_uncompressed_so_the_file_is_as_large_as_they_are():
    array = numpy.zeros(2**16)
    buffer = io.BytesIO()
    save(array, buffer)
    assert array.nbytes < len(buffer.getvalue()) < array.nbytes + 2048
