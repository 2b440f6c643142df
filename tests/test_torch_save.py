"""save(obj, f, format="pytorch"): what PyTorch's torch.load(weights_only=True) reads is our
values to the bit, a model's and an optimizer's state dicts load into PyTorch's and compute the
same, tinygrad_bn.load reads the file back, and what cannot be written leaves no file."""

import io
import math
import pickletools
import struct
import zipfile
from collections import OrderedDict

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn.serialization import load, save
from tinygrad_bn.torch_save import ALIGNMENT, aligned

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def random_array(dtype: str, shape: tuple) -> numpy.ndarray:
    """Every bit pattern of ``dtype`` may turn up (NaNs with payloads, -0.0, infinities), booleans 0 or 1."""
    rng = numpy.random.default_rng(0)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    size = math.prod(shape) * numpy.dtype(dtype).itemsize
    return rng.integers(0, 256, size, dtype=numpy.uint8).view(dtype).reshape(shape)


LAYOUTS = {  # name -> the array to save, from a C-ordered random array of its own
    "0-d": lambda dtype: random_array(dtype, ()),
    "vector": lambda dtype: random_array(dtype, (7,)),
    "empty": lambda dtype: random_array(dtype, (0, 3)),
    "empty inner": lambda dtype: random_array(dtype, (2, 0, 4)),
    "transposed": lambda dtype: random_array(dtype, (3, 5)).T,
    "strided": lambda dtype: random_array(dtype, (6, 8))[::2, 1::3],
    "channel-major": lambda dtype: random_array(dtype, (2, 4, 5, 3)).transpose(0, 3, 1, 2),  # NCHW over NHWC
    "big-endian": lambda dtype: random_array(dtype, (2, 3)).astype(numpy.dtype(dtype).newbyteorder(">")),
}


def saved(obj) -> io.BytesIO:
    save(obj, buffer := io.BytesIO(), format="pytorch")
    buffer.seek(0)
    return buffer


def torch_load(torch, obj):
    """What PyTorch's ``torch.load(f, weights_only=True)`` reads from our file of ``obj``."""
    return torch.load(saved(obj), weights_only=True)


def assert_bits(theirs, array: numpy.ndarray):
    """PyTorch's tensor holds the values of ``array``, bit for bit, contiguous."""
    expected = numpy.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))
    assert theirs.is_contiguous() and tuple(theirs.shape) == array.shape
    assert theirs.numpy().dtype == expected.dtype and theirs.numpy().tobytes() == expected.tobytes()


def assert_same_plain(ours, theirs):
    """Equal containers and plain values of the same types, floats to the bit."""
    assert type(ours) is type(theirs)
    if isinstance(ours, dict):
        assert list(ours) == list(theirs)
        for key in ours:
            assert_same_plain(ours[key], theirs[key])
    elif isinstance(ours, (list, tuple)):
        assert len(ours) == len(theirs)
        for mine, other in zip(ours, theirs):
            assert_same_plain(mine, other)
    elif isinstance(ours, float):
        assert struct.pack("<d", ours) == struct.pack("<d", theirs)
    else:
        assert ours == theirs


def conv_net(nn_module):
    """The same small network, in PyTorch's nn or ours."""
    return nn_module.Sequential(nn_module.Conv2d(3, 4, 3, padding=1), nn_module.BatchNorm2d(4), nn_module.ReLU(),
                                nn_module.Flatten(), nn_module.Linear(4 * 5 * 5, 3))


def trained_conv_net():
    """Our network after one forward pass in training mode, so its running statistics moved."""
    tinygrad_bn.manual_seed(0)
    ours = conv_net(nn)
    ours(tinygrad_bn.randn(8, 3, 5, 5))
    return ours


PLAIN = {
    "ints": [0, 255, 256, 65535, 65536, -1, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 2**64, -(2**200)],
    "floats": (0.5, -0.0, float("inf"), float("-inf"), 1e-310, float("nan")),
    "text": ["", "ascii", "ünïcödé ∂ 🙂", "a lone \udc80 surrogate"],
    "flags": [True, False, None],
    "nested": {"empty": {}, "list": [], "tuple": (), "one": (1,), (1, "key"): {2: [3, (4, 5)]}, 0.25: "float key"},
    "ordered": OrderedDict([("b", 1), ("a", 2)]),
}


# What torch.load reads --------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_reads_our_values_to_the_bit(torch, dtype, layout):
    array = LAYOUTS[layout](dtype)
    theirs = torch_load(torch, {"array": array, "tensor": Tensor(array)})
    for name in ("array", "tensor"):
        assert_bits(theirs[name], array)
        assert theirs[name].stride() == torch.empty(array.shape).stride() and not theirs[name].requires_grad


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_a_tensor_that_requires_grad_is_read_as_one(torch, dtype):
    theirs = torch_load(torch, [Tensor([1.0, 2.0], dtype=dtype, requires_grad=True)])[0]
    assert theirs.requires_grad and theirs.is_leaf and theirs.dtype == getattr(torch, dtype)


def test_plain_values_are_read_as_themselves(torch):
    assert_same_plain(torch_load(torch, PLAIN), PLAIN)


def test_numpy_scalars_are_read_as_0d_tensors(torch):
    theirs = torch_load(torch, {"f": numpy.float32(1.5), "i": numpy.int64(-3), "b": numpy.bool_(True)})
    assert [(t.dim(), t.item()) for t in theirs.values()] == [(0, 1.5), (0, -3), (0, True)]
    assert [t.dtype for t in theirs.values()] == [torch.float32, torch.int64, torch.bool]


def test_one_tensor_saved_twice_is_one_storage_in_torch(torch):
    weight = Tensor(numpy.arange(6.0, dtype=numpy.float32).reshape(2, 3))
    theirs = torch_load(torch, {"encoder": weight, "decoder": weight, "copy": Tensor(weight.numpy())})
    assert theirs["encoder"].data_ptr() == theirs["decoder"].data_ptr() != theirs["copy"].data_ptr()


def test_a_device_tensor_keeps_its_device_as_its_location(torch, strict_cuda):
    buffer = saved({"w": Tensor([1.0, 2.0], device="cuda")})
    assert torch.load(buffer, weights_only=True, map_location="cpu")["w"].tolist() == [1.0, 2.0]
    assert load(buffer)["w"].device == "cuda" and load(buffer, map_location="cpu")["w"].device == "cpu"
    texts = [arg for op, arg, _ in pickletools.genops(zipfile.ZipFile(buffer).read("archive/data.pkl"))
             if op.name == "BINUNICODE"]
    assert texts == ["w", "storage", "0", "cuda"]


def test_storages_are_aligned_for_torch_mmap(torch, tmp_path):
    arrays = {f"{i}": random_array(dtype, (i + 1,)) for i, dtype in enumerate(DTYPES)}
    save(arrays, tmp_path / "arrays.pt", format="pytorch")
    theirs = torch.load(tmp_path / "arrays.pt", weights_only=True, mmap=True)
    for name, array in arrays.items():
        assert_bits(theirs[name], array)
        assert theirs[name].data_ptr() % ALIGNMENT == 0


# A model and its optimizer in PyTorch -------------------------------------------------------


def test_a_models_state_dict_loads_strictly_into_torchs_and_computes_the_same(torch, tmp_path):
    ours = trained_conv_net()
    save(ours.state_dict(), tmp_path / "model.pt", format="pytorch")
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    assert type(state) is OrderedDict and list(state) == list(ours.state_dict())
    assert state["1.num_batches_tracked"].dtype == torch.int64 and state["1.num_batches_tracked"].item() == 1
    theirs = conv_net(torch.nn)
    theirs.load_state_dict(state, strict=True)
    ours.eval()
    theirs.eval()
    x = numpy.random.default_rng(1).standard_normal((2, 3, 5, 5)).astype(numpy.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    numpy.testing.assert_allclose(ours(Tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_a_torch_state_dicts_metadata_survives_our_load_and_save(torch):
    theirs = conv_net(torch.nn).state_dict()
    loaded = load(io.BytesIO(saved_by_torch(torch, theirs)))
    again = torch_load(torch, loaded)
    assert again._metadata == theirs._metadata
    conv_net(torch.nn).load_state_dict(again)


def saved_by_torch(torch, obj) -> bytes:
    torch.save(obj, buffer := io.BytesIO())
    return buffer.getvalue()


def one_step(model, optimizer, x: numpy.ndarray):
    """A step of our optimizer on the sum of our model's outputs."""
    optimizer.zero_grad()
    model(Tensor(x)).sum().backward()
    optimizer.step()


def torch_step(model, optimizer, x: numpy.ndarray, torch):
    optimizer.zero_grad()
    model(torch.from_numpy(x)).sum().backward()
    optimizer.step()


OPTIMIZERS = {
    "SGD with momentum": ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-3}),
    "Adam": ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 1e-3}),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_an_optimizer_state_dict_resumes_in_torch(torch, tmp_path, name):
    """Our model and optimizer after a step, loaded into PyTorch's, take the next step as ours does.
    In eval mode: in training mode BatchNorm cancels the conv bias's gradient to rounding noise,
    which Adam scales up to steps of lr, differently in each library."""
    kind, options = OPTIMIZERS[name]
    x = numpy.random.default_rng(2).standard_normal((4, 3, 5, 5)).astype(numpy.float32)
    ours = trained_conv_net().eval()
    our_optimizer = getattr(optim, kind)(ours.parameters(), **options)
    one_step(ours, our_optimizer, x)
    save({"model": ours.state_dict(), "optimizer": our_optimizer.state_dict()}, tmp_path / "ckpt.pt", format="pytorch")
    checkpoint = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    theirs = conv_net(torch.nn).eval()
    theirs.load_state_dict(checkpoint["model"])
    their_optimizer = getattr(torch.optim, kind)(theirs.parameters(), **options)
    their_optimizer.load_state_dict(checkpoint["optimizer"])
    one_step(ours, our_optimizer, x)
    torch_step(theirs, their_optimizer, x, torch)
    for key, value in theirs.state_dict().items():
        numpy.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6)


# Back through tinygrad_bn.load ------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_load_reads_our_tensors_back_to_the_bit(dtype, layout):
    array = LAYOUTS[layout](dtype)
    tensor = Tensor(array, requires_grad=dtype.startswith("float"))
    loaded = load(saved({"array": array, "tensor": tensor}))
    for name in ("array", "tensor"):
        expected = numpy.asarray(array, dtype=array.dtype.newbyteorder("="))
        assert loaded[name].numpy().dtype == expected.dtype and loaded[name].shape == expected.shape
        assert loaded[name].numpy().tobytes() == numpy.ascontiguousarray(expected).tobytes()
    assert loaded["tensor"].requires_grad == tensor.requires_grad and not loaded["array"].requires_grad


def test_load_reads_plain_values_back():
    assert_same_plain(load(saved(PLAIN)), PLAIN)


def test_a_model_and_optimizer_round_trip_through_load(tmp_path):
    ours = trained_conv_net()
    optimizer = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    one_step(ours, optimizer, numpy.ones((2, 3, 5, 5), numpy.float32))
    save({"model": ours.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "ckpt.pt", format="pytorch")
    checkpoint = load(tmp_path / "ckpt.pt")
    other = conv_net(nn)
    other.load_state_dict(checkpoint["model"])
    for key, value in ours.state_dict().items():
        assert other.state_dict()[key].numpy().tobytes() == value.numpy().tobytes()
    state = optimizer.state_dict()
    assert checkpoint["optimizer"]["param_groups"] == state["param_groups"]
    for index, values in state["state"].items():
        buffer = values["momentum_buffer"]
        assert checkpoint["optimizer"]["state"][index]["momentum_buffer"].numpy().tobytes() == buffer.tobytes()


# The file ------------------------------------------------------------------------------------


def test_the_pickle_names_only_what_weights_only_allows():
    pickle = zipfile.ZipFile(saved({"w": Tensor([1.0]), "state": OrderedDict(a=numpy.int8(1))})).read(
        "archive/data.pkl")
    ops = list(pickletools.genops(pickle))
    assert {arg for op, arg, _ in ops if op.name == "GLOBAL"} == {
        "torch._utils _rebuild_tensor_v2", "torch FloatStorage", "torch CharStorage", "collections OrderedDict"}
    assert max(op.proto for op, _, _ in ops) == 2


@pytest.mark.parametrize("zip64", [False, True])
@pytest.mark.parametrize("offset", [0, 1, 63, 1000])
def test_a_storages_data_starts_at_a_multiple_of_64_bytes(offset, zip64):
    handle = io.BytesIO(bytes(offset))
    handle.seek(offset)
    with zipfile.ZipFile(handle, "w") as archive, \
            archive.open(aligned("archive/data/12", offset, zip64), "w", force_zip64=zip64) as member:
        member.write(b"the storage")
    assert handle.getvalue().index(b"the storage") % ALIGNMENT == 0


def test_one_tensor_saved_twice_is_written_once():
    weight = Tensor(numpy.ones((4, 4), numpy.float32))
    names = zipfile.ZipFile(saved([weight, weight, {"again": weight}])).namelist()
    assert [name for name in names if "/data/" in name] == ["archive/data/0"]


# What cannot be written ------------------------------------------------------------------------


def cycle() -> list:
    items = [1]
    items.append({"back": items})
    return items


@pytest.mark.parametrize(
    "obj, error, message",
    [
        (nn.Linear(2, 3), TypeError, r"obj is a Linear; .*save its state_dict\(\) instead"),
        ({"step": print}, TypeError, r"obj\['step'\] is a builtin_function_or_method"),
        ({"f": lambda x: x}, TypeError, r"obj\['f'\] is a function"),
        ([{1, 2}], TypeError, r"obj\[0\] is a set"),
        ({"raw": b"bytes"}, TypeError, r"obj\['raw'\] is a bytes"),
        ({"z": numpy.ones(2, numpy.complex64)}, TypeError, r"obj\['z'\] holds complex64 values; .*float16, float32"),
        ([numpy.array(["text"])], TypeError, r"obj\[0\] holds <U4 values"),
        ([numpy.ones(2, numpy.uint16)], TypeError, r"obj\[0\] holds uint16 values"),
        ({"n": 2**2040}, ValueError, r"obj\['n'\] is an int of 2041 bits"),
        (cycle(), ValueError, r"obj\[1\]\['back'\] holds itself"),
    ],
    ids=["module", "builtin", "function", "set", "bytes", "complex", "text", "uint16", "huge int", "cycle"],
)
def test_what_cannot_be_written_raises_and_leaves_no_file(tmp_path, obj, error, message):
    with pytest.raises(error, match=message):
        save(obj, tmp_path / "model.pt", format="pytorch")
    assert list(tmp_path.iterdir()) == []
    save({"kept": 1}, tmp_path / "model.pt", format="pytorch")
    with pytest.raises(error, match=message):
        save(obj, tmp_path / "model.pt", format="pytorch")
    assert list(tmp_path.iterdir()) == [tmp_path / "model.pt"] and load(tmp_path / "model.pt") == {"kept": 1}


def test_nothing_is_written_to_a_file_object_either():
    buffer = io.BytesIO()
    with pytest.raises(TypeError, match="is a function"):
        save([Tensor([1.0]), lambda: None], buffer, format="pytorch")
    assert buffer.getvalue() == b""


def test_an_unknown_format_is_named():
    with pytest.raises(ValueError, match=r"format must be 'tinygrad_bn' .* or 'pytorch' .*, got 'torch'"):
        save({}, io.BytesIO(), format="torch")
