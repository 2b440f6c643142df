"""The integer-only ops: the shifts (``<<``, ``>>``, ``bitwise_left_shift``,
``bitwise_right_shift``) with PyTorch's dtypes and its results for counts that are
negative or past the width, ``gcd``/``lcm``, and integer powers with negative
exponents; all compared with PyTorch, also on the
strict stand-in device."""

import numpy
import pytest

import tinygrad_bn as tg

VALUES = numpy.array([7, -7, 5, -3, 0, 1, -1, 100])
COUNTS = numpy.array([0, 1, 2, 3, 7, 8, -1, 70])

CALLS = {
    "<< number": lambda f, a, b: a << 2,
    ">> number": lambda f, a, b: a >> 1,
    "<< tensor": lambda f, a, b: a << b,
    ">> tensor": lambda f, a, b: a >> b,
    "number << tensor": lambda f, a, b: 3 << b.clamp(0, 8),
    "number >> tensor": lambda f, a, b: 300 >> b.clamp(0, 8),
    "int8 << (wraps)": lambda f, a, b: a.to(f.int8) << b.to(f.int8),
    "int8 >> int64": lambda f, a, b: a.to(f.int8) >> b,
    "uint8 >>": lambda f, a, b: a.abs().to(f.uint8) >> b.clamp(0, 9).to(f.uint8),
    "int32 << number": lambda f, a, b: a.to(f.int32) << 40,
    "bool << number": lambda f, a, b: (a > 0) << 1,
    "bitwise_left_shift": lambda f, a, b: f.bitwise_left_shift(a, b),
    "bitwise_right_shift method": lambda f, a, b: a.bitwise_right_shift(b),
    "gcd": lambda f, a, b: f.gcd(a * 6, b * 4),
    "gcd int32 with int64": lambda f, a, b: f.gcd(a.to(f.int32), b),
    "lcm": lambda f, a, b: f.lcm(a, b),
    "lcm method": lambda f, a, b: (a * 2).lcm(b + 1),
    "int ** negative int tensor": lambda f, a, b: a.clamp(-2, 2) ** b.clamp(-3, 3),
    "number ** int tensor": lambda f, a, b: f.pow(2, b.clamp(-3, 3)),
    "int32 ** int8 tensor": lambda f, a, b: a.clamp(-2, 2).int() ** b.clamp(-3, 3).to(f.int8),
}


def _run(f, name, device=None):
    a, b = f.tensor(VALUES), f.tensor(COUNTS)
    if device is not None:
        a, b = a.to(device), b.to(device)
    return CALLS[name](f, a, b)


@pytest.mark.parametrize("name", CALLS)
def test_values_and_dtypes_are_pytorchs(torch, name):
    ours, theirs = _run(tg, name), _run(torch, name)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert not ours.requires_grad


@pytest.mark.parametrize("name", CALLS)
def test_on_the_device(strict_cuda, name):
    on_device = _run(tg, name, "cuda")
    assert on_device.device.type == "cuda"
    numpy.testing.assert_array_equal(on_device.cpu().numpy(), _run(tg, name).numpy())


@pytest.mark.parametrize("call, words", [
    (lambda: tg.ones(2) << 1, "bitwise_left_shift needs bool or integer tensors, got float32"),
    (lambda: tg.tensor([True]) >> tg.tensor([False]), "needs integer tensors, got two of dtype bool"),
    (lambda: tg.gcd(tg.ones(2), tg.ones(2)), "gcd needs integer tensors, got float32"),
    (lambda: tg.lcm(tg.tensor([4]), 6), "lcm() expects two Tensors, got Tensor and int"),
    (lambda: tg.tensor([2]) ** -1, "Integers to negative integer powers are not allowed."),
    (lambda: tg.tensor([2]).pow(-2), "Integers to negative integer powers are not allowed."),
])
def test_errors_say_expected_and_given(call, words):
    with pytest.raises((RuntimeError, TypeError)) as error:
        call()
    assert words in str(error.value)
