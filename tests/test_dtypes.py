"""Dtypes with PyTorch's names, the default dtype, and promotion by PyTorch's rules,
each compared with torch."""

import numpy
import pytest

import tinygrad_bn as tg

NAMES = ["float32", "float64", "float16", "double", "float", "half", "long", "int64", "int32", "int", "bool",
         "int16", "int8", "uint8", "short"]


@pytest.mark.parametrize("name", NAMES)
def test_dtype_objects_are_pytorchs_and_compare_with_tensor_dtypes(name):
    torch = pytest.importorskip("torch")
    ours = getattr(tg, name)
    assert ours == numpy.dtype(str(getattr(torch, name)).removeprefix("torch."))
    assert tg.zeros(2, dtype=ours).dtype == ours


def _pair(rng, dtype, shape):
    return (rng.random(shape) * 3 + 1).astype(dtype)  # no zeros to divide by


OPERANDS = [
    ("int32", (3,)), ("int64", (3,)), ("float32", (3,)), ("float64", (3,)), ("float16", (3,)), ("bool", (3,)),
    ("uint8", (3,)), ("int8", ()), ("float64", ()), ("int64", ()), ("float32", ()),
]


@pytest.mark.parametrize("op", ["add", "mul", "div", "sub"])
@pytest.mark.parametrize("left", OPERANDS)
@pytest.mark.parametrize("right", [*OPERANDS, 2, 2.5, True])
def test_elementwise_results_have_pytorchs_dtype(op, left, right):
    torch = pytest.importorskip("torch")
    rng = numpy.random.default_rng(0)
    a = _pair(rng, *left)
    b = right if not isinstance(right, tuple) else _pair(rng, *right)
    if op == "sub" and (a.dtype.kind == "b" or getattr(b, "dtype", a.dtype).kind == "b" or b is True):
        return  # PyTorch refuses to subtract booleans
    tb = b if not isinstance(right, tuple) else torch.from_numpy(numpy.array(b))
    expected = getattr(torch, op)(torch.from_numpy(numpy.array(a)), tb)
    ours = getattr(tg.ops, op)(tg.tensor(a), b if not isinstance(right, tuple) else tg.tensor(b))
    assert ours.dtype == numpy.dtype(str(expected.dtype).removeprefix("torch."))
    numpy.testing.assert_allclose(ours.numpy().astype("float64"), expected.numpy().astype("float64"), rtol=1e-3)


def test_an_integer_tensor_divided_by_a_number_is_the_default_float():
    assert (tg.arange(4) / 2).dtype == tg.float32 and (tg.arange(4) * 0.5).dtype == tg.float32
    tg.set_default_dtype(tg.float64)
    try:
        assert (tg.arange(4) / 2).dtype == tg.float64 and tg.tensor([0.5]).dtype == tg.float64
        assert tg.zeros(2).dtype == tg.randn(2).dtype == tg.float64
    finally:
        tg.set_default_dtype(tg.float32)
    assert tg.get_default_dtype() == tg.float32


def test_the_default_dtype_must_be_floating():
    with pytest.raises(TypeError, match="floating dtype .* got int64"):
        tg.set_default_dtype(tg.int64)


def test_mixed_float_inputs_to_a_layer_raise_as_in_pytorch():
    with pytest.raises(RuntimeError, match="one dtype, got float64 .* and float32"):
        tg.nn.Linear(3, 2)(tg.ones(4, 3, dtype=tg.float64))
    assert tg.nn.Linear(3, 2).double()(tg.ones(4, 3, dtype=tg.float64)).dtype == tg.float64


def test_every_dtype_is_an_instance_of_torch_dtype(torch):
    import tinygrad_bn

    for framework in (tinygrad_bn, torch):
        tensors = [framework.zeros(1), framework.zeros(1, dtype=framework.int64), framework.tensor([True])]
        assert all(isinstance(t.dtype, framework.dtype) for t in tensors)
        assert isinstance(framework.get_default_dtype(), framework.dtype) and not isinstance(3, framework.dtype)
