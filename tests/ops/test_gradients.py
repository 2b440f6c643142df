"""Every op's first and second derivatives against float64 finite differences."""

from tinygrad_bn.check import gradcheck, gradgradcheck


def test_gradcheck(op_case):
    assert gradcheck(op_case.fn, op_case.tensors())


def test_gradgradcheck(op_case):
    assert gradgradcheck(op_case.fn, op_case.tensors())
