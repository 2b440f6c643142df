"""load of PyTorch's files: what torch.save wrote comes back with its values, dtypes, views
and structure, and a PyTorch model computes the same in ours; hand-built attacks are refused."""

import io
import pickle
import struct
import tracemalloc
import zipfile

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn import Tensor, nn
from tinygrad_bn.serialization import CheckpointError, load
from tinygrad_bn.torch_format import LEGACY_START

UNREADABLE = "is not a readable checkpoint: "


def saved(torch, obj, **options) -> io.BytesIO:
    torch.save(obj, buffer := io.BytesIO(), **options)
    buffer.seek(0)
    return buffer


def assert_same(ours, theirs, torch):
    """``ours`` is what PyTorch's ``theirs`` is: tensors of the same dtype, shape, values and
    requires_grad, containers of the same types with keys in the same order, equal plain values."""
    if isinstance(theirs, torch.Tensor):
        expected = theirs.detach().contiguous().numpy()
        assert type(ours) is Tensor and ours.requires_grad == theirs.requires_grad
        assert (ours.dtype, ours.shape) == (expected.dtype, expected.shape)
        assert ours.numpy().tobytes() == expected.tobytes()
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key], torch)
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for mine, other in zip(ours, theirs):
            assert_same(mine, other, torch)
    else:  # repr tells -0.0 from 0.0
        assert type(ours) is type(theirs) and ours == theirs and (type(ours) is not float or repr(ours) == repr(theirs))


# What torch.save wrote ------------------------------------------------------------------


def conv_net(nn_module):
    """The same small network, in PyTorch's nn or ours."""
    return nn_module.Sequential(nn_module.Conv2d(3, 4, 3, padding=1), nn_module.BatchNorm2d(4), nn_module.ReLU(),
                                nn_module.Flatten(), nn_module.Linear(4 * 5 * 5, 3))


def test_a_state_dict_comes_back_with_its_keys_values_and_dtypes(torch):
    theirs = conv_net(torch.nn)
    theirs(torch.randn(8, 3, 5, 5))  # running statistics and num_batches_tracked move
    state = theirs.state_dict()
    loaded = load(saved(torch, state))
    assert_same(loaded, state, torch)
    assert loaded["1.num_batches_tracked"].dtype == numpy.int64 and loaded["1.num_batches_tracked"].item() == 1
    assert loaded._metadata == state._metadata  # the versions of PyTorch's modules ride along


def test_a_pytorch_models_weights_compute_the_same_in_ours(torch, tmp_path):
    torch.manual_seed(0)
    theirs = conv_net(torch.nn)
    theirs(torch.randn(8, 3, 5, 5))
    theirs.eval()
    torch.save(theirs.state_dict(), tmp_path / "model.pt")
    ours = conv_net(nn)
    ours.load_state_dict(tinygrad_bn.load(tmp_path / "model.pt"))
    ours.eval()
    x = torch.randn(2, 3, 5, 5)
    with torch.no_grad():
        expected = theirs(x).numpy()
    numpy.testing.assert_allclose(ours(Tensor(x.numpy())).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer, options", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {})])
def test_an_optimizer_state_dict_comes_back(torch, optimizer, options):
    model = torch.nn.Linear(3, 2)
    optimizer = getattr(torch.optim, optimizer)(model.parameters(), **options)
    for _ in range(2):
        optimizer.zero_grad()
        model(torch.randn(4, 3)).sum().backward()
        optimizer.step()
    state = optimizer.state_dict()
    assert_same(load(saved(torch, state)), state, torch)


def test_a_training_checkpoint_of_nested_values_comes_back(torch):
    model = torch.nn.Linear(2, 2)
    checkpoint = {
        "epoch": 3, "loss": 0.25, "name": "run-1", "history": [1.5, float("inf"), -0.0], "best": None,
        "done": False, "pair": (1, ("a", 2.0)), "huge": 2**70, "note": b"\x00\xff", "tags": {"a", "b"},
        "model": model.state_dict(), "parameter": torch.nn.Parameter(torch.ones(2)),
        "frozen": torch.nn.Parameter(torch.ones(1), requires_grad=False), "leaf": torch.ones(2, requires_grad=True),
    }
    loaded = load(saved(torch, checkpoint))
    assert_same(loaded, checkpoint, torch)
    assert loaded["parameter"].requires_grad and not loaded["frozen"].requires_grad  # Parameters come back as Tensors


def test_sizes_dtypes_and_devices_as_values_come_back_as_ours(torch):
    loaded = load(saved(torch, [torch.Size([2, 3]), torch.float16, torch.int64, torch.device("cpu")]))
    assert loaded == [(2, 3), tinygrad_bn.float16, tinygrad_bn.int64, tinygrad_bn.device("cpu")]
    assert loaded[0].numel() == 6 and loaded[3].type == "cpu"


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"])
def test_every_dtype_we_share_comes_back_to_the_bit(torch, dtype):
    values = torch.randn(3, 4) * 100
    tensor = values > 0 if dtype == "bool" else values.to(getattr(torch, dtype))
    loaded = load(saved(torch, {"t": tensor}))
    assert_same(loaded, {"t": tensor}, torch)
    assert loaded["t"].dtype == getattr(tinygrad_bn, dtype)


def test_views_come_back_with_their_values_and_tensors_of_one_storage_apart(torch):
    w = torch.arange(24.0).reshape(4, 6)
    views = {"w": w, "transposed": w.t(), "slice": w[1:, 2:], "stepped": w[:, ::2], "expanded": w[0].expand(3, 6),
             "scalar": w[2, 3], "empty": w[4:], "flat": w.view(-1)}
    loaded = load(saved(torch, views))
    assert_same(loaded, views, torch)
    loaded["slice"][0, 0] = -1.0  # each tensor owns its values: tensors that shared a storage no longer do
    assert loaded["w"][1, 2].item() == 8.0


def test_tied_weights_come_back_equal(torch):
    encoder, decoder = torch.nn.Linear(3, 3, bias=False), torch.nn.Linear(3, 3, bias=False)
    decoder.weight = encoder.weight
    state = torch.nn.Sequential(encoder, decoder).state_dict()
    loaded = load(saved(torch, state))
    assert_same(loaded, state, torch)
    assert numpy.array_equal(loaded["0.weight"].numpy(), loaded["1.weight"].numpy())


def rewritten(buffer: io.BytesIO, change) -> io.BytesIO:
    """The archive in ``buffer`` with each member's bytes replaced by ``change(name, data)``."""
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
    out.seek(0)
    return out


def test_a_big_endian_file_comes_back_in_our_byte_order(torch):
    tensors = {"a": torch.randn(2, 3, dtype=torch.float64), "b": torch.arange(5, dtype=torch.int32),
               "c": torch.randn(4).half(), "d": torch.tensor([True, False])}
    itemsizes = [tensor.element_size() for tensor in tensors.values()]  # storage i belongs to tensor i

    def big_endian(name, data):
        if name.endswith("/byteorder"):
            return b"big"
        if "/data/" in name:
            return numpy.frombuffer(data, f"<u{itemsizes[int(name.split('/')[-1])]}").byteswap().tobytes()
        return data

    big = rewritten(saved(torch, tensors), big_endian)
    by_pytorch = torch.load(big, weights_only=True)  # PyTorch reads the rewrite as the values saved
    assert all(torch.equal(by_pytorch[key], tensor) for key, tensor in tensors.items())
    big.seek(0)
    assert_same(load(big), tensors, torch)


def relocated(torch, location: str) -> io.BytesIO:
    """A file of one tensor saved from ``location`` (torch.save names the place in data.pkl)."""
    cpu = b"X" + struct.pack("<I", 3) + b"cpu"
    place = b"X" + struct.pack("<I", len(location)) + location.encode()
    return rewritten(saved(torch, {"w": torch.ones(2)}), lambda name, data: data.replace(cpu, place))


def test_tensors_load_where_they_were_saved_or_onto_map_location(torch, strict_cuda):
    assert load(relocated(torch, "cuda:0"))["w"].device == "cuda"
    assert load(relocated(torch, "cuda:0"), map_location="cpu")["w"].device == "cpu"
    assert load(saved(torch, {"w": torch.ones(2)}), map_location="cuda")["w"].device == "cuda"
    with pytest.raises(CheckpointError, match=UNREADABLE + ".*unknown device 'mps'.*load it with map_location='cpu'"):
        load(relocated(torch, "mps"))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda torch: {"w": torch.ones(2, dtype=torch.bfloat16)},
         r"it holds bfloat16 tensors, .* convert them with .float\(\) in PyTorch"),
        (lambda torch: {"w": torch.ones(2, dtype=torch.complex64)}, "it holds complex tensors"),
        (lambda torch: {"w": torch.ones(2, dtype=torch.uint16)},
         r"it holds tensors of a dtype tinygrad_bn does not have \(uint16.*_rebuild_tensor_v3"),
        (lambda torch: torch.ones(4).to_sparse(), "it holds sparse tensors"),
        (lambda torch: torch.nn.Linear(2, 2), "its pickle names torch.nn.modules.linear.Linear, which tinygrad_bn"),
    ],
    ids=["bfloat16", "complex", "uint16", "sparse", "a whole module"],
)
def test_what_we_do_not_have_is_refused_by_name(torch, make, message):
    with pytest.raises(CheckpointError, match=UNREADABLE + message):
        load(saved(torch, make(torch)))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit's
def test_files_we_do_not_read_say_what_to_do(torch):
    with pytest.raises(CheckpointError, match="format before version 1.6 .* torch.save it again with a recent"):
        load(saved(torch, {"w": torch.ones(2)}, _use_new_zipfile_serialization=False))
    with pytest.raises(CheckpointError, match=r"opcode FRAME \(pickle protocol 4\).*default pickle_protocol"):
        load(saved(torch, {"w": torch.ones(2)}, pickle_protocol=4))
    script = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), script)
    script.seek(0)
    with pytest.raises(CheckpointError, match=r"TorchScript archive \(torch.jit.save\).*torch.save its state_dict"):
        load(script)


def test_archives_built_by_hand_below_are_what_pytorch_reads(torch):
    """The hand-built archives below are refused for what they hold, not for how they are made."""
    expected = {"w": torch.arange(4.0).reshape(2, 2)}
    assert_same(load(archive(TWO_BY_TWO)), expected, torch)
    assert torch.equal(torch.load(archive(TWO_BY_TWO), weights_only=True)["w"], expected["w"])


# Archives built by hand, opcode by opcode (pickle protocol 2, as torch.save writes) -----

PROTO, STOP, MARK, TUPLE, TUPLE1, EMPTY_TUPLE = b"\x80\x02", b".", b"(", b"t", b"\x85", b")"
EMPTY_DICT, EMPTY_LIST, SETITEM, APPEND, REDUCE, BUILD, BINPERSID = b"}", b"]", b"s", b"a", b"R", b"b", b"Q"
NEWTRUE, NEWFALSE = b"\x88", b"\x89"


def op_global(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


def op_text(text: str) -> bytes:
    return b"X" + struct.pack("<I", len(text.encode())) + text.encode()


def op_int(value: int) -> bytes:
    if -(2**31) <= value < 2**31:
        return b"J" + struct.pack("<i", value)  # BININT
    data = value.to_bytes(value.bit_length() // 8 + 1, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data  # LONG1


def op_ints(values) -> bytes:
    return MARK + b"".join(map(op_int, values)) + TUPLE


def op_storage(key="0", numel=4, kind="FloatStorage") -> bytes:
    return MARK + op_text("storage") + op_global("torch", kind) + op_text(key) + op_text("cpu") + op_int(numel) + \
        TUPLE + BINPERSID


def op_tensor(storage=None, offset=0, size=(2, 2), stride=(2, 1), requires_grad=False) -> bytes:
    hooks = op_global("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
    return op_global("torch._utils", "_rebuild_tensor_v2") + MARK + (storage or op_storage()) + op_int(offset) + \
        op_ints(size) + op_ints(stride) + (NEWTRUE if requires_grad else NEWFALSE) + hooks + TUPLE + REDUCE


def pickled(**entries) -> bytes:
    """A pickled dict of ``entries`` (name -> the opcodes of its value)."""
    return PROTO + EMPTY_DICT + b"".join(op_text(key) + value + SETITEM for key, value in entries.items()) + STOP


FOUR = numpy.arange(4, dtype="<f4").tobytes()  # storage "0": 0.0, 1.0, 2.0, 3.0
TWO_BY_TWO = pickled(w=op_tensor())


def archive(data_pkl: bytes, storages=None, **records) -> io.BytesIO:
    """A zip archive as torch.save writes it, in the folder ``archive/``; a record given as
    None is left out, one named ``../name`` is put outside the folder."""
    members = {"data.pkl": data_pkl, "byteorder": b"little", "version": b"3\n", **records}
    members.update({f"data/{key}": data for key, data in (storages or {"0": FOUR}).items()})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, data in members.items():
            if data is not None:
                zipped.writestr(name.removeprefix("../") if name.startswith("../") else f"archive/{name}", data)
    buffer.seek(0)
    return buffer


def refused(f, message: str):
    """``load(f)`` is refused with ``message``, without allocating more than 1 MiB."""
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=UNREADABLE + message):
            load(f)
        assert tracemalloc.get_traced_memory()[1] < 2**20
    finally:
        tracemalloc.stop()


def test_a_well_formed_hand_built_archive_loads():
    loaded = load(archive(TWO_BY_TWO))
    assert list(loaded) == ["w"] and loaded["w"].tolist() == [[0.0, 1.0], [2.0, 3.0]]


@pytest.mark.parametrize(
    "attack, named",
    [
        (lambda marker: op_global("os", "system") + op_text(f"touch {marker}") + TUPLE1 + REDUCE, "os.system"),
        (lambda marker: op_global("__builtin__", "eval") + op_text(f"open({str(marker)!r}, 'w')") + TUPLE1 + REDUCE,
         "builtins.eval"),
        (lambda marker: op_global("builtins", "exec") + op_text(f"open({str(marker)!r}, 'w')") + TUPLE1 + REDUCE,
         "builtins.exec"),
        (lambda marker: op_global("subprocess", "check_call") + MARK + op_text("touch") + op_text(str(marker)) +
         b"l" + TUPLE1 + REDUCE, "subprocess.check_call"),
    ],
    ids=["os.system", "builtins.eval", "builtins.exec", "subprocess"],
)
def test_a_pickle_naming_code_is_refused_before_anything_runs(tmp_path, attack, named):
    marker = tmp_path / "ran"
    message = f"its pickle names {named}, which tinygrad_bn does not load: .* nothing of the file was run"
    refused(archive(PROTO + attack(marker) + STOP), message)
    # after a tensor whose storage is missing: the global is refused before any storage is read
    refused(archive(pickled(w=op_tensor(op_storage(key="missing")), x=attack(marker))), message)
    assert not marker.exists()


@pytest.mark.parametrize(
    "data_pkl, message",
    [
        (PROTO + op_text("print") + EMPTY_TUPLE + REDUCE + STOP, "its pickle calls a str, not one of the functions"),
        (PROTO + op_global("builtins", "set") + op_text("ab") + REDUCE + STOP,
         "its pickle calls with a str of arguments"),
        (PROTO + EMPTY_LIST + EMPTY_DICT + BUILD + STOP, "its pickle sets the state of a list"),
        (PROTO + op_global("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + EMPTY_DICT + op_text("items") +
         op_int(1) + SETITEM + BUILD + STOP, "its pickle sets the state of a OrderedDict"),
        (PROTO + EMPTY_DICT + op_int(1) + APPEND + STOP, "its pickle appends to a dict, not a list"),
        (PROTO + MARK + op_text("echo") + b"ios\nsystem\n" + STOP,
         r"its pickle has the opcode INST \(pickle protocol 0\)"),
        (pickle.dumps({"a": 1}, protocol=0), r"its pickle has the opcode DICT \(pickle protocol 0\)"),
        (TWO_BY_TWO[:-7], "its data.pkl is not a whole pickle"),
        (PROTO + op_int(1) + op_int(2) + STOP, "its pickle ends with 2 values on its stack"),
        (PROTO + op_text("x") + BINPERSID + STOP, "its pickle refers to 'x', which is not a storage"),
        (pickled(w=op_tensor(op_storage(numel=2, kind="LongStorage"), size=(2,), stride=(1,), requires_grad=True)),
         r"its tensor of shape \(2,\) cannot be made \(only floating point tensors can require gradients"),
    ],
    ids=["call a string", "arguments not a tuple", "state of a list", "state of a dict", "append to a dict", "INST",
         "protocol 0", "truncated", "two results", "not a storage", "integers that require grad"],
)
def test_a_malformed_pickle_is_refused(data_pkl, message):
    refused(archive(data_pkl), message)


@pytest.mark.parametrize(
    "entries, message",
    [
        ({"w": op_tensor(op_storage(numel=6))},
         "its member 'archive/data/0' holds 16 bytes, where its pickle declares 24"),
        ({"w": op_tensor(op_storage(numel=10**12))},
         "its member 'archive/data/0' holds 16 bytes, where its pickle declares 4000000000000"),
        ({"w": op_tensor(offset=1)},
         r"its tensor of shape \(2, 2\) with strides \(2, 1\) from element 1 reaches past the end of its storage of 4"),
        ({"w": op_tensor(stride=(3, 1))}, "its tensor .* reaches past the end of its storage of 4 elements"),
        ({"w": op_tensor(offset=5, size=(0,), stride=(1,))}, "its tensor .* from element 5 reaches past the end"),
        ({"w": op_tensor(size=(10**5, 10**5), stride=(0, 0))},
         "its tensors would take more than .* bytes .*refused as a zip bomb"),
        ({"w": op_tensor(), "v": op_tensor(op_storage(numel=2, kind="DoubleStorage"))},
         "its storage '0' is declared both as 4 float32 and as 2 float64"),
        ({"w": op_tensor(op_storage(key="1"))}, "it has no member archive/data/1"),
    ],
    ids=["short member", "huge size", "offset past the end", "stride past the end", "empty view past the end",
         "zero strides", "storage declared twice", "missing storage"],
)
def test_a_view_or_storage_the_archive_cannot_hold_is_refused_before_allocation(entries, message):
    refused(archive(pickled(**entries)), message)


@pytest.mark.parametrize(
    "records, message",
    [
        ({"version": None}, r"its archive version is None"),
        ({"version": b"99\n"}, "its archive version is '99'; tinygrad_bn reads versions 1 to 10"),
        ({"byteorder": b"middle"}, "it has byte order 'middle', not 'little' or 'big'"),
        ({"byteorder": b"little" * 20}, "its member archive/byteorder is longer than 64 bytes"),
        ({"data.pkl": None}, "its member 'archive/byteorder' is not a plain .npy array"),  # neither ours nor theirs
        ({"constants.pkl": b""}, r"it is a TorchScript archive \(torch.jit.save\)"),
        ({"../other.pkl": b""}, "its member 'other.pkl' lies outside its folder 'archive'"),
    ],
    ids=["no version", "newer version", "unknown byte order", "long record", "no data.pkl", "TorchScript", "outside"],
)
def test_an_archive_of_another_layout_is_refused(records, message):
    refused(archive(TWO_BY_TWO, **records), message)


def test_files_that_are_not_zip_archives_are_refused_with_what_they_are():
    refused(io.BytesIO(pickle.dumps({"a": 1})), "it is a Python pickle, which tinygrad_bn does not read")
    refused(io.BytesIO(LEGACY_START + STOP), "it is in PyTorch's format before version 1.6")
    refused(io.BytesIO(archive(TWO_BY_TWO).getvalue()[:200]), "BadZipFile: File is not a zip file")


@pytest.mark.parametrize("flip", [0xFF, 0x01], ids=["all bits", "lowest bit"])
def test_every_flipped_byte_reads_the_same_data_or_is_refused(flip):
    raw = archive(TWO_BY_TWO).getvalue()
    expected = load(io.BytesIO(raw))["w"].numpy().tobytes()
    for position in range(len(raw)):
        damaged = bytearray(raw)
        damaged[position] ^= flip
        try:
            loaded = load(io.BytesIO(bytes(damaged)))
        except CheckpointError:
            continue
        assert list(loaded) == ["w"] and loaded["w"].numpy().tobytes() == expected, f"byte {position}"
