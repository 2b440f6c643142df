"""Every op's first and second derivatives against float64 finite differences, and
its backward without ``params`` on the node."""

from tinygrad_bn.autograd import Function, grad
from tinygrad_bn.check import gradcheck, gradgradcheck


def test_gradcheck(op_case):
    assert gradcheck(op_case.fn, op_case.tensors())


def test_gradgradcheck(op_case):
    assert gradgradcheck(op_case.fn, op_case.tensors())


def _second_order(op_case) -> list:
    """The gradients g of sum(y²) and those of sum(g²): two backwards, the second through the first."""
    inputs = op_case.tensors()
    y = op_case.fn(*inputs)
    firsts = grad((y * y).sum(), inputs, create_graph=True)
    seconds = grad(sum((first * first).sum() for first in firsts), inputs, allow_unused=True)
    return [None if s is None else s.tolist() for s in firsts + seconds]


def test_backward_reads_no_params(op_case, monkeypatch):
    """Backward reads what forward set on the node, never ``params`` (kept for display)."""
    expected = _second_order(op_case)

    def unreadable(node):
        raise AssertionError(f"{node.name}.backward read params")

    monkeypatch.setattr(Function, "params", property(unreadable, lambda node, value: None))
    assert _second_order(op_case) == expected
