"""Factories: default dtypes, shapes given either way, seeded randomness."""

import numpy
import pytest

import tinygrad_bn as tg


@pytest.mark.parametrize("factory", [tg.zeros, tg.ones, tg.randn, tg.rand])
def test_factories_default_to_float32_and_accept_shapes_either_way(factory):
    assert factory(2, 3).shape == factory((2, 3)).shape == (2, 3)
    assert factory(2).dtype == "float32"
    assert factory(2, dtype="float64", requires_grad=True).requires_grad


def test_constant_factories():
    assert tg.zeros(2).tolist() == [0.0, 0.0]
    assert tg.ones(2, dtype="float64").dtype == "float64"
    assert tg.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert tg.arange(3).tolist() == [0, 1, 2] and tg.arange(3).dtype == "int64"
    like = tg.randn(2, 3, dtype="float64")
    assert tg.zeros_like(like).dtype == "float64" and tg.ones_like(like).shape == (2, 3)


def test_manual_seed_makes_random_tensors_reproducible():
    tg.manual_seed(7)
    first = tg.randn(4).numpy()
    tg.manual_seed(7)
    numpy.testing.assert_array_equal(tg.randn(4).numpy(), first)
    assert not numpy.array_equal(tg.randn(4).numpy(), first)


def test_rand_is_uniform_in_the_unit_interval():
    values = tg.rand(1000).numpy()
    assert values.min() >= 0.0 and values.max() < 1.0
    assert 0.4 < values.mean() < 0.6


# PyTorch's tensor and from_numpy -------------------------------------------------------

DATA = {
    "float": 1.5,
    "floats": [[1.0, 2.0], [3.0, 4.0]],
    "ints": [[1, 2], [3, 4]],
    "bools": [True, False],
    "float64 array": numpy.array([1.0, 2.0]),
    "int32 array": numpy.array([1, 2], dtype=numpy.int32),
    "float16 array": numpy.array([0.5], dtype=numpy.float16),
    "numpy scalar": numpy.float64(2.5),
}


@pytest.mark.parametrize("data", DATA.values(), ids=DATA.keys())
def test_tensor_gives_pytorchs_dtype_and_values(data):
    torch = pytest.importorskip("torch")
    ours, theirs = tg.tensor(data), torch.tensor(data)
    assert f"torch.{ours.dtype}" == str(theirs.dtype)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("data", DATA.values(), ids=DATA.keys())
def test_tensor_takes_dtype_device_and_requires_grad(data, strict_cuda):
    t = tg.tensor(data, dtype="float64", device="cuda", requires_grad=True)
    assert (t.dtype, t.device, t.requires_grad, t.is_leaf) == ("float64", "cuda", True, True)
    numpy.testing.assert_array_equal(t.numpy(), numpy.asarray(data, dtype="float64"))


def test_tensor_copies_an_array():
    array = numpy.array([1.0, 2.0])
    t = tg.tensor(array)
    array[0] = 9.0
    assert t.tolist() == [1.0, 2.0] and not numpy.shares_memory(t.numpy(), array)


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_tensor_of_a_tensor_is_a_detached_copy_on_its_device(device, strict_cuda):
    source = tg.Tensor([1.0, 2.0], device=device, requires_grad=True) * 2.0
    copy = tg.tensor(source)
    assert copy.device == device and copy.is_leaf and not copy.requires_grad
    assert copy._data is not source._data and copy.tolist() == [2.0, 4.0]
    copy._data[...] = source._data * 0.0
    assert source.tolist() == [2.0, 4.0]


def test_tensor_of_integers_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating point tensors can require gradients, got dtype int64"):
        tg.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "uint8", "bool"])
def test_from_numpy_shares_memory_and_keeps_the_dtype_as_pytorch_does(dtype):
    torch = pytest.importorskip("torch")
    array = numpy.zeros((2, 3), dtype=dtype)
    t = tg.from_numpy(array)
    assert f"torch.{t.dtype}" == str(torch.from_numpy(array).dtype) and t.device == "cpu" and t.shape == (2, 3)
    array[0, 1] = 1
    assert t.numpy()[0, 1] == 1
    t._data[1, 2] = 1
    assert array[1, 2] == 1


@pytest.mark.parametrize("data, words", [
    ([1.0, 2.0], "from_numpy expects a numpy.ndarray, got list; tensor\\(data\\) copies other data"),
    (tg.ones(2), "got Tensor"),
    (numpy.array(["a"]), "booleans, integers or floats, got dtype <U1"),
    (numpy.array([None]), "got dtype object"),
])
def test_from_numpy_refuses_what_pytorch_refuses(data, words):
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=words):
        tg.from_numpy(data)
    with pytest.raises(TypeError):
        torch.from_numpy(data if not isinstance(data, tg.Tensor) else torch.ones(2))


@pytest.mark.parametrize("n", [1, 9, 100])
@pytest.mark.parametrize("seed", [0, 42])
def test_randperm_is_pytorchs_after_the_same_seed(torch, n, seed):
    tg.manual_seed(seed)
    torch.manual_seed(seed)
    assert tg.randperm(n).tolist() == torch.randperm(n).tolist()
    ours, theirs = tg.Generator().manual_seed(seed + 1), torch.Generator().manual_seed(seed + 1)
    assert [tg.randperm(n, generator=ours).tolist() for _ in range(2)] == \
        [torch.randperm(n, generator=theirs).tolist() for _ in range(2)]
    assert tg.randperm(n, dtype=tg.int32).dtype == tg.int32
